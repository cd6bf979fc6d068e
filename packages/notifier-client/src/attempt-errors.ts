/**
 * What one attempt can fail with, and which of those the retry and the circuit breaker
 * handle. Only transient failures are retried; a 4xx other than 408/429 says the request
 * itself is wrong, so sending it again cannot help. Each error also says whether the request
 * may have reached the service (`maybeDelivered`): an answer or a refused connection says it
 * did not; a timeout or a connection dropped after sending cannot tell.
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
  /** false only when the request certainly never left (e.g. the connection was refused). */
  readonly maybeDelivered: boolean;

  constructor(detail: string, maybeDelivered: boolean) {
    super(`network error: ${detail}`);
    this.name = 'NetworkError';
    this.maybeDelivered = maybeDelivered;
  }
}

export class AttemptTimeoutError extends Error {
  readonly maybeDelivered: boolean;

  constructor(ms: number, maybeDelivered = true) {
    super(`no answer within the attempt timeout of ${ms} ms`);
    this.name = 'AttemptTimeoutError';
    this.maybeDelivered = maybeDelivered;
  }
}

export class CancelledError extends Error {
  /** true when a request was in flight (sent, unanswered) when the caller aborted. */
  readonly maybeDelivered: boolean;

  constructor(maybeDelivered = false) {
    super('cancelled by the caller before the notification was confirmed');
    this.name = 'CancelledError';
    this.maybeDelivered = maybeDelivered;
  }
}

/** The service answered "duplicate" for a key that is not ours: not our notification. */
export class ForeignDuplicateError extends Error {
  constructor(ours: string, echoed: string) {
    super(
      `the notification service answered "duplicate" for another key ("${echoed.slice(0, 200)}", ours "${ours}"): not counted as delivered`,
    );
    this.name = 'ForeignDuplicateError';
  }
}

/**
 * Connection errors that happen before a single byte of the request was written: the request
 * certainly did not reach the service. Anything else after sending may have.
 */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

export function isNotSentCode(code: unknown): boolean {
  return typeof code === 'string' && NOT_SENT_CODES.has(code);
}

/** Whether a failed attempt may have reached the service. */
export function mayHaveBeenDelivered(error: unknown): boolean {
  if (
    error instanceof NetworkError ||
    error instanceof AttemptTimeoutError ||
    error instanceof CancelledError
  ) {
    return error.maybeDelivered;
  }
  // A 2xx whose body broke the contract: the service did answer success-ish; assume it stored.
  return error instanceof ContractError;
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

export interface RetryRules {
  maxRetryAfterMs: number;
  /**
   * Whether a request that may have reached the service is sent again: always for v1 (the
   * key de-duplicates), only with `retryUnconfirmed` for legacy.
   */
  retryUnconfirmed: boolean;
}

export function shouldRetry(error: unknown, rules: RetryRules): boolean {
  if (isBrokenCircuitError(error)) return false;
  if (error instanceof BatchEntriesFailedError) return true;
  if (error instanceof HttpStatusError && (error.retryAfterMs ?? 0) > rules.maxRetryAfterMs) {
    return false;
  }
  if (!rules.retryUnconfirmed && mayHaveBeenDelivered(error)) return false;
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
