/** Row ↔ domain conversions shared by both adapters, so they answer with identical shapes. */
import {
  type CompleteOrderResponse,
  type CompletionRunSummary,
  completeOrderResponseSchema,
  completionRunOutcomeSchema,
  type Order,
  type OrderState,
} from '@ocs/domain';

export interface StateIds {
  submitted: number;
  finished: number;
}

export function resolveStateIds(rows: readonly { id: number; orderState: string }[]): StateIds {
  const byName = new Map(rows.map((row) => [row.orderState, row.id]));
  const submitted = byName.get('SUBMITTED');
  const finished = byName.get('FINISHED');
  if (submitted === undefined || finished === undefined) {
    throw new Error(
      'ORDER_STATES lacks the SUBMITTED or FINISHED row: run the migrations (pnpm db:migrate)',
    );
  }
  return { submitted, finished };
}

export function stateName(stateId: number, states: StateIds): OrderState {
  if (stateId === states.submitted) return 'SUBMITTED';
  if (stateId === states.finished) return 'FINISHED';
  throw new Error(`ORDERS.OrderStateId ${stateId} is neither SUBMITTED nor FINISHED`);
}

export interface OrderRow {
  id: number;
  orderDate: Date;
  orderStateId: number;
}

export interface OrderLineRow {
  id: number;
  orderId: number;
  productId: number;
  orderedQuantity: number;
  deliveredQuantity: number | null;
}

export function toOrders(
  orderRows: readonly OrderRow[],
  lineRows: readonly OrderLineRow[],
  states: StateIds,
): Order[] {
  const linesByOrder = new Map<number, Order['lines']>();
  for (const line of lineRows) {
    let lines = linesByOrder.get(line.orderId);
    if (!lines) {
      lines = [];
      linesByOrder.set(line.orderId, lines);
    }
    lines.push({
      id: line.id,
      productId: line.productId,
      orderedQuantity: line.orderedQuantity,
      deliveredQuantity: line.deliveredQuantity,
    });
  }
  return orderRows.map((row) => ({
    id: row.id,
    orderDate: row.orderDate,
    state: stateName(row.orderStateId, states),
    lines: linesByOrder.get(row.id) ?? [],
  }));
}

export function sortedUniqueIds(ids: readonly number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}

export type RunOrderOutcome =
  | 'not-found'
  | 'requirements-failed'
  | 'notification-failed'
  | 'update-failed'
  | 'claimed-elsewhere';

export interface RunOrderRow {
  runId: string;
  orderId: number;
  outcome: RunOrderOutcome;
  reason: string | null;
}

/** One row per requested id that did not complete; completed ids live in the ledger. */
export function toFailureRows(runId: string, response: CompleteOrderResponse): RunOrderRow[] {
  const rows = new Map<number, RunOrderRow>();
  const add = (orderId: number, outcome: RunOrderOutcome, reason: unknown) => {
    if (!rows.has(orderId)) {
      rows.set(orderId, {
        runId,
        orderId,
        outcome,
        reason: reason === null ? null : JSON.stringify(reason),
      });
    }
  };
  for (const id of response.notFoundOrderIds) add(id, 'not-found', null);
  for (const o of response.unsuccessfulOrders) add(o.orderId, 'requirements-failed', o.reasons);
  for (const o of response.unsuccessfullyNotifiedOrders) {
    add(o.orderId, 'notification-failed', o.reason);
  }
  for (const o of response.unsuccessfullyUpdatedOrders) add(o.orderId, 'update-failed', o.reason);
  for (const o of response.claimedElsewhereOrders) add(o.orderId, 'claimed-elsewhere', o.reason);
  return [...rows.values()];
}

/** The response again, from the failure rows and the ids the ledger says this run finished. */
export function toResponse(
  completedIds: readonly number[],
  failures: readonly { orderId: number; outcome: string; reason: string | null }[],
): CompleteOrderResponse {
  const response: CompleteOrderResponse = {
    completedOrderIds: [...completedIds].sort((a, b) => a - b),
    notFoundOrderIds: [],
    unsuccessfulOrders: [],
    unsuccessfullyNotifiedOrders: [],
    unsuccessfullyUpdatedOrders: [],
    claimedElsewhereOrders: [],
  };
  for (const { orderId, outcome, reason } of [...failures].sort((a, b) => a.orderId - b.orderId)) {
    const parsed: unknown = reason === null ? null : JSON.parse(reason);
    switch (outcome) {
      case 'not-found':
        response.notFoundOrderIds.push(orderId);
        break;
      case 'requirements-failed':
        response.unsuccessfulOrders.push({ orderId, reasons: parsed as never });
        break;
      case 'notification-failed':
        response.unsuccessfullyNotifiedOrders.push({ orderId, reason: parsed as never });
        break;
      case 'update-failed':
        response.unsuccessfullyUpdatedOrders.push({ orderId, reason: parsed as never });
        break;
      case 'claimed-elsewhere':
        response.claimedElsewhereOrders.push({ orderId, reason: parsed as never });
        break;
    }
  }
  return completeOrderResponseSchema.parse(response);
}

/** A run row as read back: the outcome column is plain text until validated. */
export interface StoredRunSummary extends Omit<CompletionRunSummary, 'outcome'> {
  outcome: string;
}

export function toRunSummary(row: StoredRunSummary): CompletionRunSummary {
  return {
    id: row.id,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    requestedCount: row.requestedCount,
    outcome: completionRunOutcomeSchema.parse(row.outcome),
    failedCount: row.failedCount,
    completedCount: row.completedCount,
    notFoundCount: row.notFoundCount,
    failedRequirementsCount: row.failedRequirementsCount,
    notNotifiedCount: row.notNotifiedCount,
    notUpdatedCount: row.notUpdatedCount,
    claimedElsewhereCount: row.claimedElsewhereCount,
  };
}

/** Runs recorded before the ledger kept the whole response as JSON in the run row. */
export function legacyResponse(response: string): CompleteOrderResponse {
  return completeOrderResponseSchema.parse(JSON.parse(response));
}
