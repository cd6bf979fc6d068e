/**
 * What can go wrong in a run, and what each failure means: the errors the CLI exits on, the
 * two that end a run with a summary of what it left, and how a server's answer (or its
 * absence) maps to them.
 */
import type { CompleteOrderResponse } from '@ocs/domain';
import { isServerError } from './client.js';

/** The server could not be reached or refused the scheduler's token. */
export class ServerUnavailableError extends Error {
  override name = 'ServerUnavailableError';
  constructor(
    message: string,
    readonly reason: 'unreachable' | 'unauthorized',
  ) {
    super(message);
  }
}

/** The server rejected a batch as bad input (e.g. BATCH_SIZE above its MAX_IDS_PER_CALL). */
export class BatchRejectedError extends Error {
  override name = 'BatchRejectedError';
}

/** Another scheduler holds the single-runner lock. */
export class LockHeldError extends Error {
  override name = 'LockHeldError';
  constructor(
    readonly holder: string,
    readonly leaseUntil: string,
  ) {
    super(`Another scheduler (${holder}) is running; its lock lasts until ${leaseUntil}`);
  }
}

/**
 * No renewal of the single-runner lock succeeded for its lease minus one renewal interval:
 * the lock may have passed to another scheduler, so this run sent nothing more.
 */
export class LockExpiredError extends Error {
  override name = 'LockExpiredError';
  constructor(readonly sinceRenewalMs: number) {
    super(
      `The single-runner lock could not be renewed for ${Math.round(sinceRenewalMs)} ms (its lease may have ended): the run stopped sending`,
    );
  }
}

/** The run's deadline passed: what is left is reported, not sent. */
export class RunDeadlineReached extends Error {
  override name = 'RunDeadlineReached';
}

/** Why a run stops sending but still ends with a summary of what it left. */
export function endsTheRun(error: unknown): boolean {
  return error instanceof RunDeadlineReached || error instanceof LockExpiredError;
}

/** Turns "cannot reach the server" and auth failures into one error the CLI exits on. */
export async function callServer<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isServerError(error)) {
      const code = error.data?.code;
      if (code === 'UNAUTHORIZED' || code === 'FORBIDDEN') {
        throw new ServerUnavailableError(
          `The server refused the scheduler's token: ${error.message}`,
          'unauthorized',
        );
      }
    }
    throw error;
  }
}

/** No answer at all (as opposed to an error response): the server is not there. */
export function unreachableError(error: unknown): ServerUnavailableError | null {
  return isServerError(error) && !error.data
    ? new ServerUnavailableError(`Cannot reach the server: ${error.message}`, 'unreachable')
    : null;
}

/** A 5xx the server marks retryable: a database node lost a moment ago, a replica restarting. */
export function isRetryableServerError(error: unknown): boolean {
  return (
    isServerError(error) &&
    (error.data?.httpStatus ?? 0) >= 500 &&
    (error.data as { retryable?: unknown } | undefined)?.retryable === true
  );
}

/**
 * What a failed `orders.complete` call means for its ids: the server's 400 with a response is
 * an answer like any other; a refused token or a rejected batch ends the run (thrown); anything
 * else is a lost answer, safe to send again (the ledger keeps every order notified once).
 */
export function batchFailure(
  error: unknown,
): { response: CompleteOrderResponse } | { lost: 'unreachable' | 'request_failed' } {
  if (isServerError(error) && error.data?.completion) {
    return { response: error.data.completion.response };
  }
  if (error instanceof ServerUnavailableError && error.reason === 'unauthorized') {
    throw error; // a wrong token will not fix itself
  }
  if (isServerError(error) && error.data?.code === 'BAD_REQUEST') {
    throw new BatchRejectedError(`The server rejected a batch: ${error.message}`);
  }
  return { lost: connectionRefused(error) ? 'unreachable' : 'request_failed' };
}

function connectionRefused(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as NodeJS.ErrnoException).code === 'ECONNREFUSED') return true;
  }
  return false;
}
