import type { CompleteOrderResponse } from '../complete-order-response.js';
import type { OrderId } from '../order.js';

/** One completion call, recorded as a run: what the API hands a caller. */
export interface OrderCompletionResult {
  runId: string;
  response: CompleteOrderResponse;
}

/**
 * Completes a batch of orders and records the call as a run. Resolves with the response, or
 * rejects with the use case's `CompletionError` (after recording it).
 */
export interface OrderCompletion {
  complete(orderIds: readonly OrderId[]): Promise<OrderCompletionResult>;
}
