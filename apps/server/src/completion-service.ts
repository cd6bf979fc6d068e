/**
 * Runs completion calls for both the tRPC procedure and the original's POST /orders route,
 * and lets shutdown drain them: no new call once it starts, a grace period for calls in
 * flight, then no new notification (as at a call's deadline: the requests in flight run to
 * their end, within one attempt's timeout, so a notification the service accepted is
 * recorded rather than sent again after the lease), and only after that attempt's time the
 * requests still in flight are cut. The calls finish what was acknowledged, release what was
 * never sent and record their runs before the process exits.
 *
 * Every call also has its own deadline, well inside the claim lease: past it the call sends
 * no new notification and answers what it knows, the rest as retryable, so a slow notifier
 * or database never lets a call outlive its claims.
 */
import {
  type CompleteOrders,
  type CompletionResult,
  isCompletionError,
  type Logger,
  type OrderCompletionOptions,
  type OrderId,
  RetryableCallError,
} from '@ocs/domain';

export class CompletionService {
  readonly #completeOrders: CompleteOrders;
  readonly #logger: Logger;
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Cuts the requests in flight: the last step of a shutdown. */
  readonly #stop = new AbortController();
  /** No new notification: the end of the shutdown grace. */
  readonly #stopSending = new AbortController();
  readonly #deadlineMs: number;
  readonly #attemptMs: number;
  #draining = false;

  /**
   * `deadlineMs`: how long one call may send notifications (COMPLETION_DEADLINE_MS);
   * `attemptMs`: one notification attempt's timeout, the longest a request in flight lasts.
   */
  constructor(
    completeOrders: CompleteOrders,
    logger: Logger,
    options: { deadlineMs: number; attemptMs?: number },
  ) {
    this.#completeOrders = completeOrders;
    this.#logger = logger;
    this.#deadlineMs = options.deadlineMs;
    this.#attemptMs = options.attemptMs ?? 0;
  }

  get accepting(): boolean {
    return !this.#draining;
  }

  /**
   * Resolves with the response, or rejects with the use case's completion error, or with a
   * RetryableCallError when the call failed part-way or the server is shutting down.
   */
  async complete(
    orderIds: readonly OrderId[],
    options: OrderCompletionOptions = {},
  ): Promise<CompletionResult> {
    if (this.#draining) {
      throw new RetryableCallError('The server is shutting down; retry on another replica', 503);
    }
    // Not AbortSignal.timeout: its timer cannot be cleared, and a call that ended in time
    // must not log that it reached its deadline.
    const deadline = new AbortController();
    const deadlineMs = this.#deadlineMs;
    const started = performance.now();
    const timer = setTimeout(() => {
      this.#logger.warn(
        { ids: orderIds.length, deadlineMs },
        'completion call reached its deadline: no new notifications; the rest is answered as retryable',
      );
      deadline.abort(new Error(`the call's deadline of ${deadlineMs} ms passed`));
    }, deadlineMs);
    // The deadline stops new notifications only: a request in flight may already have reached
    // the service, and cutting it would turn a delivered notification into one sent again.
    const call = this.#completeOrders.execute(orderIds, {
      signal: this.#stop.signal,
      stopSending: AbortSignal.any([deadline.signal, this.#stopSending.signal]),
      runId: options.runId ?? null,
    });
    this.#inFlight.add(call);
    const pastDeadline = (callId: string | undefined, notNotified: number) => {
      if (!deadline.signal.aborted) return;
      this.#logger.warn(
        {
          callId,
          ids: orderIds.length,
          notNotified,
          deadlineMs,
          durationMs: Math.round(performance.now() - started),
        },
        'completion call stopped by its deadline',
      );
    };
    try {
      const result = await call;
      pastDeadline(result.callId, result.response.unsuccessfullyNotifiedOrders.length);
      return result;
    } catch (error) {
      if (isCompletionError(error)) {
        pastDeadline(error.callId || undefined, error.response.unsuccessfullyNotifiedOrders.length);
        throw error;
      }
      pastDeadline(undefined, orderIds.length);
      // Logged by the use case with its run id; the caller only learns it may retry.
      throw new RetryableCallError(
        'The call failed part-way (see the server log); nothing was notified twice, retry it',
        500,
      );
    } finally {
      clearTimeout(timer);
      this.#inFlight.delete(call);
    }
  }

  /**
   * Stops taking calls and waits for those in flight: after `graceMs` they send no new
   * notification; one attempt's timeout (and a second) later, requests still in flight are cut.
   */
  async drain(graceMs: number): Promise<void> {
    this.#draining = true;
    if (this.#inFlight.size === 0) return;
    this.#logger.info({ calls: this.#inFlight.size, graceMs }, 'waiting for calls in flight');
    const cutAfterMs = this.#attemptMs + 1000;
    let cut: NodeJS.Timeout | undefined;
    const grace = setTimeout(() => {
      this.#logger.warn(
        { calls: this.#inFlight.size, cutAfterMs },
        'shutdown grace over: no new notifications; the requests in flight end within their attempt timeout',
      );
      this.#stopSending.abort();
      cut = setTimeout(() => {
        this.#logger.warn(
          { calls: this.#inFlight.size },
          'requests still in flight after their attempt timeout: cut',
        );
        this.#stop.abort();
      }, cutAfterMs);
    }, graceMs);
    try {
      await Promise.allSettled([...this.#inFlight]);
    } finally {
      clearTimeout(grace);
      clearTimeout(cut);
    }
  }
}
