/**
 * The policies every request goes through, outer to inner (the order Polly v8 recommends):
 * bulkhead (concurrency limit, shared by all calls) → retry (exponential backoff with jitter,
 * `Retry-After` honoured) → circuit breaker (one per notifier, so all calls see the same
 * state) → per-attempt timeout. The timeout is innermost so each attempt gets its own budget
 * and a timed-out attempt counts against the breaker; the breaker sits inside the retry so an
 * open circuit stops the retries at once instead of being retried. The breaker, the backoff
 * and the timeout are cockatiel's; the concurrency limit and the retry loop are ours, so that
 * an abort frees slots and ends backoffs at once (see `run`). A protocol whose transport keeps
 * its own deadline (legacy) does not use `withAttemptTimeout`.
 */
import type { Logger } from '@ocs/domain';
import {
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IBackoff,
  type IRetryBackoffContext,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
} from 'cockatiel';
import {
  AttemptTimeoutError,
  CancelledError,
  countsAgainstBreaker,
  type RetryRules,
  shouldRetry,
} from './attempt-errors.js';
import type { Call } from './call.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { RetryAfterBackoff } from './retry-after-backoff.js';

export type CircuitStateName = 'closed' | 'open' | 'half-open' | 'isolated';

const circuitStateNames: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/** The client options the policies read (the parsed `NotifierClientOptions` has them all). */
export interface PipelineOptions {
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  attemptTimeoutMs: number;
  breakerThreshold: number;
  halfOpenAfterMs: number;
  concurrency: number;
  maxRetryAfterMs: number;
}

export class PolicyPipeline {
  readonly #options: PipelineOptions;
  readonly #logger: Logger;
  readonly #breaker;
  readonly #timeout;
  readonly #limit: ConcurrencyLimit;
  readonly #retryRules: RetryRules;
  readonly #backoff: RetryAfterBackoff;

  /**
   * `retryUnconfirmed`: whether a request that may have reached the service is sent again
   * (always where the service de-duplicates by idempotency key).
   */
  constructor(options: PipelineOptions, retryUnconfirmed: boolean, logger: Logger) {
    this.#options = options;
    this.#logger = logger;
    this.#retryRules = { maxRetryAfterMs: options.maxRetryAfterMs, retryUnconfirmed };
    this.#backoff = new RetryAfterBackoff(
      new ExponentialBackoff({
        initialDelay: options.initialDelayMs,
        maxDelay: options.maxDelayMs,
      }),
    );
    this.#limit = new ConcurrencyLimit(options.concurrency);

    this.#breaker = circuitBreaker(handleWhen(countsAgainstBreaker), {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold),
    });
    this.#breaker.onBreak(() =>
      this.#logger.warn(
        { threshold: options.breakerThreshold, halfOpenAfterMs: options.halfOpenAfterMs },
        'notifier circuit opened: notifications fail fast until it half-opens',
      ),
    );
    this.#breaker.onReset(() => this.#logger.info('notifier circuit closed again'));

    this.#timeout = timeout(options.attemptTimeoutMs, TimeoutStrategy.Aggressive);
  }

  get circuitState(): CircuitStateName {
    return circuitStateNames[this.#breaker.state];
  }

  /**
   * One unit (an order, or a batch) through the policies: concurrency limit → retry (backoff
   * with jitter, `Retry-After`) → circuit breaker → the attempt. The retry loop is ours, not
   * cockatiel's `retry`, because cockatiel's delay does not listen to the signal: an aborted
   * call would hold its concurrency slots through every pending backoff (up to a Retry-After).
   */
  run(call: Call, attempt: () => Promise<void>): Promise<void> {
    return this.#limit.run(async () => {
      let backoff: IBackoff<IRetryBackoffContext<unknown>> | undefined;
      for (let attemptNo = 1; ; attemptNo++) {
        try {
          // The caller's back-pressure (acknowledgements not yet recorded): wait, or do not send.
          if (call.beforeSend && !(await call.beforeSend())) throw new CancelledError(false);
          return await this.#breaker.execute(attempt, call.signal);
        } catch (error) {
          if (
            call.signal.aborted ||
            attemptNo >= this.#options.maxAttempts ||
            !shouldRetry(error, this.#retryRules)
          ) {
            throw error;
          }
          const reason = error instanceof Error ? error : new Error(String(error));
          const context = { attempt: attemptNo, signal: call.signal, result: { error: reason } };
          backoff = backoff ? backoff.next(context) : this.#backoff.next(context);
          this.#logger.debug(
            {
              attempt: attemptNo,
              delayMs: Math.round(backoff.duration),
              error: error instanceof Error ? error.message : String(error),
            },
            'retrying a notification',
          );
          await call.sleep(backoff.duration);
        }
      }
    });
  }

  /** One attempt under the per-attempt timeout, with its failures named for the policies. */
  async withAttemptTimeout<T>(
    callSignal: AbortSignal,
    send: (attemptSignal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.#timeout.execute(({ signal }) => send(signal), callSignal);
    } catch (error) {
      // Aborted while in flight: it may have reached the service.
      if (callSignal.aborted) throw new CancelledError(true);
      // Not cockatiel's isTaskCancelledError: in 3.2.1 it tests for the bulkhead error's marker.
      if (error instanceof TaskCancelledError)
        throw new AttemptTimeoutError(this.#options.attemptTimeoutMs);
      throw error;
    }
  }
}
