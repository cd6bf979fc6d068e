/** The three ways a completion call can complete nothing; each carries the partial response. */
import type { CompleteOrderResponse } from './complete-order-response.js';

export const completionErrorCodes = {
  noneFound: 'ORDERS.NONE_FOUND',
  noneNotified: 'ORDERS.NONE_NOTIFIED',
  noneUpdated: 'ORDERS.NONE_UPDATED',
} as const;
export type CompletionErrorCode = (typeof completionErrorCodes)[keyof typeof completionErrorCodes];

export abstract class CompletionError extends Error {
  abstract readonly code: CompletionErrorCode;
  readonly response: CompleteOrderResponse;
  /** The completion run that recorded this call. */
  readonly callId: string;

  constructor(message: string, response: CompleteOrderResponse, callId = '') {
    super(message);
    this.name = new.target.name;
    this.response = response;
    this.callId = callId;
  }
}

export class NoOrdersFoundError extends CompletionError {
  readonly code = completionErrorCodes.noneFound;
}

export class NoOrdersSuccessfullyNotifiedError extends CompletionError {
  readonly code = completionErrorCodes.noneNotified;
}

export class NoOrdersSuccessfullyUpdatedError extends CompletionError {
  readonly code = completionErrorCodes.noneUpdated;
}

export function isCompletionError(error: unknown): error is CompletionError {
  return error instanceof CompletionError;
}

/**
 * A call that did not complete for a reason a retry can fix (it failed part-way, or the
 * server is shutting down). Repeating it is safe: the completion ledger keeps every order
 * notified once. `status` is the HTTP status to answer with.
 */
export class RetryableCallError extends Error {
  override name = 'RetryableCallError';
  readonly retryable = true;
  constructor(
    message: string,
    readonly status: 500 | 503,
  ) {
    super(message);
  }
}
