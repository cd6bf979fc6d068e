/**
 * What one attempt can fail with, and which of those the retry and the circuit breaker
 * handle. Only transient failures are retried; a 4xx other than 408/429 says the request
 * itself is wrong, so sending it again cannot help.
 */
import { isBrokenCircuitError } from 'cockatiel';

export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export class HttpStatusError extends Error {
  readonly status: number;
  /** From `Retry-After` on a 429 or 503. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, detail: string, retryAfterMs?: number) {
    super(`the notification service answered ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'HttpStatusError';
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

export class NetworkError extends Error {
  constructor(detail: string) {
    super(`network error: ${detail}`);
    this.name = 'NetworkError';
  }
}

export class AttemptTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within the attempt timeout of ${ms} ms`);
    this.name = 'AttemptTimeoutError';
  }
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled by the caller before the notification was confirmed');
    this.name = 'CancelledError';
  }
}

/** A 2xx whose body breaks the contract: the service is up but misbehaving; not retried. */
export class ContractError extends Error {
  constructor(detail: string) {
    super(`the notification service broke the contract: ${detail}`);
    this.name = 'ContractError';
  }
}

export interface EntryFailure {
  status?: number;
  message: string;
}

/** Some entries of a batch failed transiently: the retry sends just those again. */
export class BatchEntriesFailedError extends Error {
  readonly failures: ReadonlyMap<number, EntryFailure>;
  /** Every entry of the request failed: only then does it count against the breaker. */
  readonly allFailed: boolean;

  constructor(failures: ReadonlyMap<number, EntryFailure>, allFailed: boolean) {
    super(`${failures.size} order(s) of the batch failed`);
    this.name = 'BatchEntriesFailedError';
    this.failures = failures;
    this.allFailed = allFailed;
  }
}

function isTransient(error: unknown): boolean {
  return (
    error instanceof NetworkError ||
    error instanceof AttemptTimeoutError ||
    (error instanceof HttpStatusError && isRetryableStatus(error.status))
  );
}

export function shouldRetry(error: unknown, maxRetryAfterMs: number): boolean {
  if (isBrokenCircuitError(error)) return false;
  if (error instanceof BatchEntriesFailedError) return true;
  if (error instanceof HttpStatusError && (error.retryAfterMs ?? 0) > maxRetryAfterMs) return false;
  return isTransient(error);
}

/**
 * The breaker counts what says the service is unwell. A batch where only some orders failed
 * means the service answers, so it does not count.
 */
export function countsAgainstBreaker(error: unknown): boolean {
  if (error instanceof BatchEntriesFailedError) return error.allFailed;
  return isTransient(error);
}
