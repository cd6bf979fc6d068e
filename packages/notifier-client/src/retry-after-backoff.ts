/**
 * Exponential backoff with jitter that yields to the server's `Retry-After`. cockatiel's
 * backoffs cannot see the response, but the retry hands the failed attempt's error to the
 * backoff, and our `HttpStatusError` carries the header's value.
 */
import type { IBackoff, IBackoffFactory, IRetryBackoffContext } from 'cockatiel';
import { HttpStatusError } from './attempt-errors.js';

type Context = IRetryBackoffContext<unknown>;

function retryAfterOf(context: Context): number {
  const { result } = context;
  if ('error' in result && result.error instanceof HttpStatusError) {
    return result.error.retryAfterMs ?? 0;
  }
  return 0;
}

export class RetryAfterBackoff implements IBackoff<Context> {
  readonly #inner: IBackoffFactory<Context>;
  readonly duration: number;

  constructor(inner: IBackoffFactory<Context>, duration = 0) {
    this.#inner = inner;
    this.duration = duration;
  }

  next(context: Context): IBackoff<Context> {
    const inner = this.#inner.next(context);
    return new RetryAfterBackoff(inner, Math.max(inner.duration, retryAfterOf(context)));
  }
}
