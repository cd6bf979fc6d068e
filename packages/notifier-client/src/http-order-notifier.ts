/**
 * The `OrderNotifier` over HTTP. Every request goes through, outer to inner (the order Polly
 * v8 recommends): bulkhead (concurrency limit, shared by all calls) → retry (exponential
 * backoff with jitter, `Retry-After` honoured) → circuit breaker (one per notifier, so all
 * calls see the same state) → per-attempt timeout. The timeout is innermost so each attempt
 * gets its own budget and a timed-out attempt counts against the breaker; the breaker sits
 * inside the retry so an open circuit stops the retries at once instead of being retried.
 */
import { setMaxListeners } from 'node:events';
import {
  type Clock,
  type Logger,
  type NotificationFailure,
  type NotificationResult,
  type NotifyOptions,
  type Order,
  type OrderNotifier,
  silentLogger,
  systemClock,
} from '@ocs/domain';
import {
  bulkhead,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  isBrokenCircuitError,
  retry,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import {
  AttemptTimeoutError,
  BatchEntriesFailedError,
  CancelledError,
  ContractError,
  countsAgainstBreaker,
  type EntryFailure,
  HttpStatusError,
  isRetryableStatus,
  NetworkError,
  shouldRetry,
} from './attempt-errors.js';
import type { BatchNotificationEntry } from './contract.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import {
  type NotifierClientOptions,
  type NotifierClientOptionsInput,
  parseNotifierClientOptions,
} from './options.js';
import { RetryAfterBackoff } from './retry-after-backoff.js';
import { NotifierTransport } from './transport.js';

export interface NotifierDependencies {
  logger?: Logger;
  clock?: Clock;
}

export type CircuitStateName = 'closed' | 'open' | 'half-open' | 'isolated';

const circuitStateNames: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'isolated',
};

/** Parses the options (throws one error naming the bad keys) and builds the notifier. */
export function createOrderNotifier(
  input: NotifierClientOptionsInput,
  dependencies: NotifierDependencies = {},
): HttpOrderNotifier {
  return new HttpOrderNotifier(parseNotifierClientOptions(input), dependencies);
}

export class HttpOrderNotifier implements OrderNotifier {
  readonly options: NotifierClientOptions;
  readonly #transport: NotifierTransport;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #breaker;
  readonly #timeout;
  readonly #pipeline;

  constructor(options: NotifierClientOptions, dependencies: NotifierDependencies = {}) {
    this.options = options;
    this.#logger = dependencies.logger ?? silentLogger;
    this.#clock = dependencies.clock ?? systemClock;
    this.#transport = new NotifierTransport(options.baseUrl, options.authHeader);

    const retryPolicy = retry(
      handleWhen((error) => shouldRetry(error, options.maxRetryAfterMs)),
      {
        // Our option counts every attempt; cockatiel's counts the retries after the first.
        maxAttempts: options.maxAttempts - 1,
        backoff: new RetryAfterBackoff(
          new ExponentialBackoff({
            initialDelay: options.initialDelayMs,
            maxDelay: options.maxDelayMs,
          }),
        ),
      },
    );
    retryPolicy.onRetry(({ delay, attempt, ...reason }) => {
      const error = 'error' in reason ? reason.error : undefined;
      this.#logger.debug(
        { attempt, delayMs: Math.round(delay), error: error?.message },
        'retrying a notification',
      );
    });

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
    this.#pipeline = wrap(
      bulkhead(options.concurrency, Number.POSITIVE_INFINITY),
      retryPolicy,
      this.#breaker,
    );
  }

  get circuitState(): CircuitStateName {
    return circuitStateNames[this.#breaker.state];
  }

  async notifyCompleted(
    orders: readonly Order[],
    options: NotifyOptions = {},
  ): Promise<NotificationResult[]> {
    // The same order twice in one call is notified once and answered twice.
    const ids = [...new Set(orders.map((order) => order.id))];
    if (ids.length === 0) return [];
    const occurredAt = this.#clock.now().toISOString();
    const call = callSignal(options.signal);
    try {
      return await this.#notifyIds(orders, ids, occurredAt, call.signal);
    } finally {
      call.dispose();
    }
  }

  async #notifyIds(
    orders: readonly Order[],
    ids: number[],
    occurredAt: string,
    signal: AbortSignal,
  ): Promise<NotificationResult[]> {
    const { protocol, batchSize } = this.options;
    const units =
      protocol === 'legacy' || batchSize === 1
        ? ids.map((id) => this.#notifyOne(id, occurredAt, signal))
        : chunk(ids, batchSize).map((batch) => this.#notifyBatch(batch, occurredAt, signal));

    const byId = new Map<number, NotificationResult>();
    for (const results of await Promise.all(units)) {
      for (const result of results) byId.set(result.orderId, result);
    }
    const results = orders.map((order) => byId.get(order.id) as NotificationResult);
    const failed = results.filter((result) => !result.ok).length;
    this.#logger.debug(
      { orders: ids.length, notified: ids.length - failed, failed, circuit: this.circuitState },
      'notified completed orders',
    );
    return results;
  }

  async #notifyOne(
    orderId: number,
    occurredAt: string,
    signal: AbortSignal,
  ): Promise<NotificationResult[]> {
    let attempts = 0;
    try {
      await this.#execute(signal, async (policySignal) => {
        attempts++;
        await this.#attempt(policySignal, signal, (attemptSignal) =>
          this.options.protocol === 'legacy'
            ? this.#transport.notifyLegacy(orderId, attemptSignal)
            : this.#transport.notifyV1(
                { orderId, event: 'order.completed', occurredAt },
                idempotencyKeyFor(orderId),
                attemptSignal,
              ),
        );
      });
      return [{ orderId, ok: true, attempts }];
    } catch (error) {
      return [{ orderId, ok: false, reason: toFailure(error, attempts, signal) }];
    }
  }

  async #notifyBatch(
    ids: number[],
    occurredAt: string,
    signal: AbortSignal,
  ): Promise<NotificationResult[]> {
    const done = new Map<number, NotificationResult>();
    const attempts = new Map<number, number>(ids.map((id) => [id, 0]));
    let pending = ids;
    try {
      await this.#execute(signal, async (policySignal) => {
        const sent = pending;
        for (const id of sent) attempts.set(id, (attempts.get(id) ?? 0) + 1);
        const entries: BatchNotificationEntry[] = sent.map((orderId) => ({
          orderId,
          event: 'order.completed',
          occurredAt,
          idempotencyKey: idempotencyKeyFor(orderId),
        }));
        const results = await this.#attempt(policySignal, signal, (attemptSignal) =>
          this.#transport.notifyBatch(entries, attemptSignal),
        );
        const byOrder = new Map(results.map((result) => [result.orderId, result]));
        const retryable = new Map<number, EntryFailure>();
        for (const orderId of sent) {
          const result = byOrder.get(orderId);
          const count = attempts.get(orderId) ?? 0;
          if (result?.status === 'accepted' || result?.status === 'duplicate') {
            done.set(orderId, { orderId, ok: true, attempts: count });
          } else if (result?.error && !isRetryableStatus(result.error.status)) {
            done.set(orderId, {
              orderId,
              ok: false,
              reason: entryFailure(result.error, count),
            });
          } else {
            retryable.set(orderId, {
              status: result?.error?.status,
              message: result?.error?.message ?? 'the batch response has no result for this order',
            });
          }
        }
        pending = [...retryable.keys()];
        if (retryable.size > 0) {
          throw new BatchEntriesFailedError(retryable, retryable.size === sent.length);
        }
      });
    } catch (error) {
      for (const orderId of pending) {
        if (done.has(orderId)) continue;
        const count = attempts.get(orderId) ?? 0;
        const entry =
          error instanceof BatchEntriesFailedError ? error.failures.get(orderId) : undefined;
        done.set(orderId, {
          orderId,
          ok: false,
          reason: entry ? entryFailure(entry, count) : toFailure(error, count, signal),
        });
      }
    }
    return ids.map((id) => done.get(id) as NotificationResult);
  }

  /**
   * Runs one unit through the pipeline. cockatiel 3's retry delay does not listen to the
   * signal, so the caller's abort also settles the race at once; the pipeline then winds
   * down on its own (the next attempt sees the aborted signal and stops).
   */
  async #execute(
    signal: AbortSignal,
    fn: (policySignal: AbortSignal) => Promise<void>,
  ): Promise<void> {
    if (signal.aborted) throw new CancelledError();
    const run = this.#pipeline.execute(({ signal: policySignal }) => fn(policySignal), signal);
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new CancelledError());
      signal.addEventListener('abort', onAbort, { once: true });
    });
    run.catch(() => {}); // the race may have settled already; nothing else listens
    try {
      return await Promise.race([run, aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** One attempt under the per-attempt timeout, with its failures named for the policies. */
  async #attempt<T>(
    policySignal: AbortSignal,
    callerSignal: AbortSignal,
    send: (attemptSignal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    if (callerSignal.aborted) throw new CancelledError();
    try {
      return await this.#timeout.execute(({ signal }) => send(signal), policySignal);
    } catch (error) {
      if (callerSignal.aborted) throw new CancelledError();
      // Not cockatiel's isTaskCancelledError: in 3.2.1 it tests for the bulkhead error's marker.
      if (error instanceof TaskCancelledError)
        throw new AttemptTimeoutError(this.options.attemptTimeoutMs);
      throw error;
    }
  }
}

/**
 * One signal per call, aborted when the caller's is. Without a caller signal cockatiel falls
 * back to one module-wide signal, and every in-flight attempt's timeout listens on it, so
 * Node warns about a listener leak past 10; a signal of our own gets a limit that fits.
 */
function callSignal(caller: AbortSignal | undefined): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  if (!caller) return { signal: controller.signal, dispose: () => {} };
  const abort = () => controller.abort(caller.reason);
  if (caller.aborted) abort();
  else caller.addEventListener('abort', abort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => caller.removeEventListener('abort', abort),
  };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function entryFailure(entry: EntryFailure, attempts: number): NotificationFailure {
  return {
    kind: 'rejected',
    message: `the notification service rejected this order: ${entry.message}`,
    ...(entry.status === undefined ? {} : { status: entry.status }),
    attempts,
  };
}

function toFailure(error: unknown, attempts: number, signal: AbortSignal): NotificationFailure {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof CancelledError || signal.aborted) {
    return { kind: 'cancelled', message: new CancelledError().message, attempts };
  }
  if (isBrokenCircuitError(error)) {
    return {
      kind: 'circuit-open',
      message:
        'the circuit is open after consecutive failures: not sent, to let the service recover',
      attempts,
    };
  }
  if (error instanceof AttemptTimeoutError) return { kind: 'timeout', message, attempts };
  if (error instanceof HttpStatusError) {
    return { kind: 'http-status', message, status: error.status, attempts };
  }
  if (error instanceof NetworkError) return { kind: 'network', message, attempts };
  if (error instanceof ContractError) return { kind: 'rejected', message, attempts };
  return { kind: 'rejected', message: `unexpected error: ${message}`, attempts };
}
