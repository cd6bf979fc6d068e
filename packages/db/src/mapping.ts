/** Row ↔ domain conversions shared by both adapters, so they answer with identical shapes. */
import {
  type CompleteOrderResponse,
  type CompletionRun,
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
  | 'completed'
  | 'not-found'
  | 'requirements-failed'
  | 'notification-failed'
  | 'update-failed';

export interface RunOrderRow {
  runId: string;
  orderId: number;
  outcome: RunOrderOutcome;
  reason: string | null;
}

/** One row per requested order; the first list an id appears in wins. */
export function toRunOrderRows(runId: string, response: CompleteOrderResponse): RunOrderRow[] {
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
  for (const id of response.completedOrderIds) add(id, 'completed', null);
  for (const id of response.notFoundOrderIds) add(id, 'not-found', null);
  for (const o of response.unsuccessfulOrders) add(o.orderId, 'requirements-failed', o.reasons);
  for (const o of response.unsuccessfullyNotifiedOrders) {
    add(o.orderId, 'notification-failed', o.reason);
  }
  for (const o of response.unsuccessfullyUpdatedOrders) add(o.orderId, 'update-failed', o.reason);
  return [...rows.values()];
}

export interface RunRow extends CompletionRunSummary {
  response: string;
}

export function toRunRow(run: CompletionRun): RunRow {
  const { response, ...summary } = run;
  return { ...summary, response: JSON.stringify(response) };
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
    completedCount: row.completedCount,
    failedCount: row.failedCount,
  };
}

export function toRun(row: StoredRunSummary & { response: string }): CompletionRun {
  return {
    ...toRunSummary(row),
    response: completeOrderResponseSchema.parse(JSON.parse(row.response)),
  };
}
