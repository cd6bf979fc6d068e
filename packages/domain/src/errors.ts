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
  readonly runId: string;

  constructor(message: string, response: CompleteOrderResponse, runId = '') {
    super(message);
    this.name = new.target.name;
    this.response = response;
    this.runId = runId;
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
