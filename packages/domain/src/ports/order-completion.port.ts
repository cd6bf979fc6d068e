import type { CompleteOrderResponse } from '../complete-order-response.js';
import type { OrderId } from '../order.js';

/** One completion call, recorded: what the API hands a caller. */
export interface OrderCompletionResult {
  callId: string;
  response: CompleteOrderResponse;
}

export interface OrderCompletionOptions {
  /** The scheduler run the call belongs to, recorded with the call. */
  runId?: string | null;
}

/**
 * Completes a batch of orders and records the call. Resolves with the response, or rejects
 * with the use case's `CompletionError` (after recording it).
 */
export interface OrderCompletion {
  complete(
    orderIds: readonly OrderId[],
    options?: OrderCompletionOptions,
  ): Promise<OrderCompletionResult>;
}
