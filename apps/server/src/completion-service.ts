/**
 * Runs completion calls for both the tRPC procedure and the original's POST /orders route,
 * and lets shutdown drain them: no new call once it starts, a grace period for calls in
 * flight, then their notifications are stopped (they still finish what was acknowledged,
 * release what was never sent and record their runs) before the process exits.
 */
import {
  type CompleteOrders,
  type CompletionResult,
  isCompletionError,
  type Logger,
  type OrderId,
  RetryableCallError,
} from '@ocs/domain';

export class CompletionService {
  readonly #completeOrders: CompleteOrders;
  readonly #logger: Logger;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #stop = new AbortController();
  #draining = false;

  constructor(completeOrders: CompleteOrders, logger: Logger) {
    this.#completeOrders = completeOrders;
    this.#logger = logger;
  }

  get accepting(): boolean {
    return !this.#draining;
  }

  /**
   * Resolves with the response, or rejects with the use case's completion error, or with a
   * RetryableCallError when the call failed part-way or the server is shutting down.
   */
  async complete(orderIds: readonly OrderId[]): Promise<CompletionResult> {
    if (this.#draining) {
      throw new RetryableCallError('The server is shutting down; retry on another replica', 503);
    }
    const call = this.#completeOrders.execute(orderIds, { signal: this.#stop.signal });
    this.#inFlight.add(call);
    try {
      return await call;
    } catch (error) {
      if (isCompletionError(error)) throw error;
      // Logged by the use case with its run id; the caller only learns it may retry.
      throw new RetryableCallError(
        'The call failed part-way (see the server log); nothing was notified twice, retry it',
        500,
      );
    } finally {
      this.#inFlight.delete(call);
    }
  }

  /** Stops taking calls and waits for those in flight, stopping their notifications after `graceMs`. */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true;
    if (this.#inFlight.size === 0) return;
    this.#logger.info({ calls: this.#inFlight.size, graceMs }, 'waiting for calls in flight');
    const timer = setTimeout(() => {
      this.#logger.warn(
        { calls: this.#inFlight.size },
        'shutdown grace over: stopping notifications of calls in flight',
      );
      this.#stop.abort();
    }, graceMs);
    try {
      await Promise.allSettled([...this.#inFlight]);
    } finally {
      clearTimeout(timer);
    }
  }
}
