/** Row ↔ domain conversions shared by every dialect, so they answer with identical shapes. */
import {
  type CallOutcome,
  type CompleteOrderResponse,
  type CompletionCallCounts,
  type CompletionCallSummary,
  callOutcomes,
  classifyResponse,
  completeOrderResponseSchema,
  completionCallOutcomeSchema,
  type Order,
  type OrderState,
} from '@ocs/domain';
import type {
  CompletionCallOrderInsert,
  CompletionCallRow,
  OrderLineRow,
  OrderRow,
  OrderStateRow,
} from './rows.js';

export interface StateIds {
  submitted: number;
  finished: number;
}

export function resolveStateIds(rows: readonly OrderStateRow[]): StateIds {
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

/** A failure row as written: its outcome a call outcome key of @ocs/domain's outcome table. */
export type CallOrderRow = Required<CompletionCallOrderInsert> & { outcome: CallOutcome };

/** One row per requested id that did not complete; completed ids live in the ledger. */
export function toFailureRows(callId: string, response: CompleteOrderResponse): CallOrderRow[] {
  const rows = new Map<number, CallOrderRow>();
  for (const { orderId, outcome, reason, reasonCode } of classifyResponse(response)) {
    if (outcome === 'completed' || rows.has(orderId)) continue;
    rows.set(orderId, {
      callId,
      orderId,
      outcome,
      reason: reason === null ? null : JSON.stringify(reason),
      reasonCode,
    });
  }
  return [...rows.values()];
}

/**
 * A failure row's outcome as a key of the outcome table. Rows written before the keys (before
 * migration 0004/0005) keep their old names; they are read through this, never rewritten (a
 * large installation would rewrite millions of rows in one statement).
 */
export function storedOutcome(outcome: string, reason: string | null): string {
  switch (outcome) {
    case 'not-found':
      return 'not_found';
    case 'requirements-failed':
      return 'failed_requirements';
    case 'notification-failed':
      return 'not_notified';
    case 'update-failed':
      return reason?.includes('UPDATE.NOT_SUBMITTED') ? 'finished_elsewhere' : 'not_updated';
    case 'claimed-elsewhere':
      return 'claimed_elsewhere';
    default:
      return outcome;
  }
}

/** The response again, from the failure rows and the ids the ledger says this call finished. */
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
    switch (storedOutcome(outcome, reason)) {
      case 'not_found':
        response.notFoundOrderIds.push(orderId);
        break;
      case 'failed_requirements':
        response.unsuccessfulOrders.push({ orderId, reasons: parsed as never });
        break;
      case 'finished_elsewhere':
        // Either list says "finished by another call": the reason's shape tells which.
        if (Array.isArray(parsed))
          response.unsuccessfulOrders.push({ orderId, reasons: parsed as never });
        else response.unsuccessfullyUpdatedOrders.push({ orderId, reason: parsed as never });
        break;
      case 'not_notified':
        response.unsuccessfullyNotifiedOrders.push({ orderId, reason: parsed as never });
        break;
      case 'not_updated':
        response.unsuccessfullyUpdatedOrders.push({ orderId, reason: parsed as never });
        break;
      case 'claimed_elsewhere':
        response.claimedElsewhereOrders.push({ orderId, reason: parsed as never });
        break;
    }
  }
  return completeOrderResponseSchema.parse(response);
}

/** A call row as read back, without the legacy response: one `<outcome>` count column each. */
export type StoredCallSummary = Omit<CompletionCallRow, 'response'>;

export function toCallSummary(row: StoredCallSummary): CompletionCallSummary {
  return {
    id: row.id,
    runId: row.runId,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    requestedCount: row.requestedCount,
    outcome: completionCallOutcomeSchema.parse(row.outcome),
    failedCount: row.failedCount,
    counts: Object.fromEntries(callOutcomes.map((o) => [o, row[o]])) as CompletionCallCounts,
  };
}

/** Runs recorded before the ledger kept the whole response as JSON in the run row. */
export function legacyResponse(response: string): CompleteOrderResponse {
  return completeOrderResponseSchema.parse(JSON.parse(response));
}
