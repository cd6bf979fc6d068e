/**
 * The `OrderNotifier` over HTTP. Every request goes through, outer to inner (the order Polly
 * v8 recommends): bulkhead (concurrency limit, shared by all calls) → retry (exponential
 * backoff with jitter, `Retry-After` honoured) → circuit breaker (one per notifier, so all
 * calls see the same state) → per-attempt timeout. The timeout is innermost so each attempt
 * gets its own budget and a timed-out attempt counts against the breaker; the breaker sits
 * inside the retry so an open circuit stops the retries at once instead of being retried.
 * The breaker, the backoff and the v1 timeout are cockatiel's; the concurrency limit and the
 * retry loop are ours, so that an abort frees slots and ends backoffs at once (see `#run`).
 * Legacy requests carry their own deadline (`legacyTimeoutMs`) in the transport.
 *
 * Each order's result is final as soon as it is known and is handed to `onResult` at once.
 * Every result that is not a success says whether a request for it may have reached the
 * service (`maybeDelivered`), sticky across attempts: one timed-out attempt makes the order
 * "maybe delivered" even if a later attempt got a 500.
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
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IBackoff,
  type IRetryBackoffContext,
  isBrokenCircuitError,
  TaskCancelledError,
  TimeoutStrategy,
  timeout,
} from 'cockatiel';
import {
  AttemptTimeoutError,
  BatchEntriesFailedError,
  CancelledError,
  ContractError,
  countsAgainstBreaker,
  type EntryFailure,
  ForeignDuplicateError,
  HttpStatusError,
  isRetryableStatus,
  mayHaveBeenDelivered,
  NetworkError,
  type RetryRules,
  shouldRetry,
} from './attempt-errors.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import type { BatchNotificationEntry, NotificationRequest } from './contract.js';
import { idempotencyKeyFor } from './idempotency-key.js';
import { type InFlightRequests, LegacyTransport } from './legacy-transport.js';
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
  readonly #legacy: LegacyTransport | undefined;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #breaker;
  readonly #timeout;
  readonly #limit: ConcurrencyLimit;
  readonly #retryRules: RetryRules;
  readonly #backoff: RetryAfterBackoff;
  /** Every unit still inside the pipeline (queued, backing off or in flight), for `close()`. */
  readonly #running = new Set<Promise<void>>();

  constructor(options: NotifierClientOptions, dependencies: NotifierDependencies = {}) {
    this.options = options;
    this.#logger = dependencies.logger ?? silentLogger;
    this.#clock = dependencies.clock ?? systemClock;
    this.#transport = new NotifierTransport(options.baseUrl, options.authHeader);
    this.#legacy =
      options.protocol === 'legacy'
        ? new LegacyTransport(options.baseUrl, options.authHeader, options.concurrency)
        : undefined;

    this.#retryRules = {
      maxRetryAfterMs: options.maxRetryAfterMs,
      // v1 resends under the same key (the service de-duplicates); legacy cannot tell a resend
      // from a new notification, so an unconfirmed request is resent only when configured.
      retryUnconfirmed: options.protocol === 'v1' || options.retryUnconfirmed,
    };
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

    // v1 only: the legacy transport keeps its own deadline (no per-attempt AbortController).
    this.#timeout = timeout(options.attemptTimeoutMs, TimeoutStrategy.Aggressive);
  }

  get circuitState(): CircuitStateName {
    return circuitStateNames[this.#breaker.state];
  }

  /** The idempotency key this notifier sends for an order. */
  keyFor(orderId: number): string {
    return idempotencyKeyFor(this.options.keyNamespace, orderId);
  }

  async notifyCompleted(
    orders: readonly Order[],
    options: NotifyOptions = {},
  ): Promise<NotificationResult[]> {
    // The same order twice in one call is notified once and answered twice.
    const ids = [...new Set(orders.map((order) => order.id))];
    if (ids.length === 0) return [];
    const call = new Call(ids, options, this.#logger);
    try {
      if (!call.signal.aborted) this.#start(call, ids);
      await call.done;
    } finally {
      call.dispose();
    }
    const results = orders.map((order) => call.resultOf(order.id));
    const failed = results.filter((result) => !result.ok).length;
    this.#logger.debug(
      { orders: ids.length, notified: ids.length - failed, failed, circuit: this.circuitState },
      'notified completed orders',
    );
    return results;
  }

  /**
   * Waits until no request of this notifier is queued or in flight (aborted calls wind down
   * too), then closes its kept-alive connections. For shutdown and tests.
   */
  async close(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
    this.#legacy?.close();
  }

  #start(call: Call, ids: number[]): void {
    const { protocol, batchSize } = this.options;
    if (protocol === 'legacy') {
      for (const id of ids) this.#track(this.#legacyUnit(call, call.track(id)));
    } else if (batchSize === 1) {
      const occurredAt = this.#clock.now().toISOString();
      for (const id of ids) this.#track(this.#singleUnit(call, call.track(id), occurredAt));
    } else {
      const occurredAt = this.#clock.now().toISOString();
      for (const batch of chunk(ids, batchSize)) {
        this.#track(
          this.#batchUnit(
            call,
            batch.map((id) => call.track(id)),
            occurredAt,
          ),
        );
      }
    }
  }

  #track(unit: Promise<void>): void {
    this.#running.add(unit);
    unit.then(() => this.#running.delete(unit));
  }

  /** The hot path: one `GET /notify/{id}` per attempt, with the legacy deadline. */
  #legacyUnit(call: Call, track: Track): Promise<void> {
    const legacy = this.#legacy as LegacyTransport;
    const timeoutMs = this.options.legacyTimeoutMs;
    return this.#run(call, async () => {
      if (call.signal.aborted) throw new CancelledError(false);
      track.attempts++;
      track.inFlight = true;
      try {
        await legacy.notify(track.orderId, timeoutMs, call.inFlight);
      } catch (error) {
        if (mayHaveBeenDelivered(error)) track.maybeDelivered = true;
        throw error;
      } finally {
        track.inFlight = false;
      }
      call.succeed(track);
    }).catch((error: unknown) => call.fail(track, error));
  }

  #singleUnit(call: Call, track: Track, occurredAt: string): Promise<void> {
    const { orderId } = track;
    const body: NotificationRequest = { orderId, event: 'order.completed', occurredAt };
    const key = this.keyFor(orderId);
    return this.#run(call, async () => {
      if (call.signal.aborted) throw new CancelledError(false);
      track.attempts++;
      track.inFlight = true;
      try {
        await this.#v1Attempt(call.signal, (attemptSignal) =>
          this.#transport.notifyV1(body, key, attemptSignal),
        );
      } catch (error) {
        if (mayHaveBeenDelivered(error)) track.maybeDelivered = true;
        throw error;
      } finally {
        track.inFlight = false;
      }
      call.succeed(track);
    }).catch((error: unknown) => call.fail(track, error));
  }

  /**
   * One batch through the pipeline. Each attempt sends only the orders still pending; each
   * order's result is final (and reported) as soon as an answer settles it.
   */
  #batchUnit(call: Call, tracks: Track[], occurredAt: string): Promise<void> {
    let pending = tracks;
    return this.#run(call, async () => {
      if (call.signal.aborted) throw new CancelledError(false);
      const sent = pending;
      const entries: BatchNotificationEntry[] = sent.map((track) => {
        track.attempts++;
        track.inFlight = true;
        return {
          orderId: track.orderId,
          event: 'order.completed',
          occurredAt,
          idempotencyKey: this.keyFor(track.orderId),
        };
      });
      let results: Awaited<ReturnType<NotifierTransport['notifyBatch']>>;
      try {
        results = await this.#v1Attempt(call.signal, (attemptSignal) =>
          this.#transport.notifyBatch(entries, attemptSignal),
        );
      } catch (error) {
        if (mayHaveBeenDelivered(error)) for (const track of sent) track.maybeDelivered = true;
        throw error;
      } finally {
        for (const track of sent) track.inFlight = false;
      }
      const byOrder = new Map(results.map((result) => [result.orderId, result]));
      const retryable = new Map<number, EntryFailure>();
      const next: Track[] = [];
      for (const track of sent) {
        const result = byOrder.get(track.orderId);
        const key = this.keyFor(track.orderId);
        if (result?.status === 'accepted') {
          call.succeed(track);
        } else if (result?.status === 'duplicate') {
          // Delivered only when the duplicate is of our own key (the entry carried it).
          if (result.idempotencyKey === undefined || result.idempotencyKey === key) {
            call.succeed(track);
          } else {
            call.fail(track, new ForeignDuplicateError(key, result.idempotencyKey));
          }
        } else if (result?.error && !isRetryableStatus(result.error.status)) {
          call.finish(track, entryFailure(result.error, track.attempts));
        } else {
          retryable.set(track.orderId, {
            status: result?.error?.status,
            message: result?.error?.message ?? 'the batch response has no result for this order',
          });
          next.push(track);
        }
      }
      pending = next;
      if (retryable.size > 0) {
        throw new BatchEntriesFailedError(retryable, retryable.size === sent.length);
      }
    }).catch((error: unknown) => {
      for (const track of pending) {
        const entry =
          error instanceof BatchEntriesFailedError ? error.failures.get(track.orderId) : undefined;
        if (entry && !call.signal.aborted) {
          call.finish(track, entryFailure(entry, track.attempts));
        } else {
          call.fail(track, error);
        }
      }
    });
  }

  /**
   * One unit (an order, or a batch) through the policies: concurrency limit → retry (backoff
   * with jitter, `Retry-After`) → circuit breaker → the attempt. The retry loop is ours, not
   * cockatiel's `retry`, because cockatiel's delay does not listen to the signal: an aborted
   * call would hold its concurrency slots through every pending backoff (up to a Retry-After).
   */
  #run(call: Call, attempt: () => Promise<void>): Promise<void> {
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
            attemptNo >= this.options.maxAttempts ||
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

  /** One v1 attempt under the per-attempt timeout, with its failures named for the policies. */
  async #v1Attempt<T>(
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
        throw new AttemptTimeoutError(this.options.attemptTimeoutMs);
      throw error;
    }
  }
}

/** One order of a call: what happened to it so far. */
interface Track {
  readonly orderId: number;
  attempts: number;
  /** A request for it may have reached the service (sticky across attempts). */
  maybeDelivered: boolean;
  /** A request for it is on the wire right now. */
  inFlight: boolean;
  result: NotificationResult | undefined;
}

/**
 * One `notifyCompleted` call: its orders, their results as they become final, and its signal.
 * On abort, every order not in flight gets its final `cancelled` result at once (its pipeline
 * unit winds down later without sending); requests in flight are aborted and their orders
 * resolve when those requests end.
 */
class Call {
  /** Aborted when the caller's signal is; cockatiel's policies and v1 requests listen on it. */
  readonly signal: AbortSignal;
  /** Legacy requests in flight, aborted together on abort (no listener per request). */
  readonly inFlight: InFlightRequests = new Set();
  readonly done: Promise<void>;
  readonly #tracks = new Map<number, Track>();
  readonly #controller = new AbortController();
  readonly #onResult: NotifyOptions['onResult'];
  readonly beforeSend: NotifyOptions['beforeSend'];
  readonly #logger: Logger;
  readonly #caller: AbortSignal | undefined;
  #remaining: number;
  #resolve: () => void = () => {};

  constructor(ids: readonly number[], options: NotifyOptions, logger: Logger) {
    this.signal = this.#controller.signal;
    // v1 attempts' timeouts listen on this signal; a call may have many in flight.
    setMaxListeners(0, this.signal);
    this.#onResult = options.onResult;
    this.beforeSend = options.beforeSend;
    this.#logger = logger;
    this.#remaining = ids.length;
    this.done = new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
    for (const orderId of ids) {
      this.#tracks.set(orderId, {
        orderId,
        attempts: 0,
        maybeDelivered: false,
        inFlight: false,
        result: undefined,
      });
    }
    this.#caller = options.signal;
    if (this.#caller?.aborted) this.#abort();
    else this.#caller?.addEventListener('abort', this.#abort, { once: true });
  }

  track(orderId: number): Track {
    return this.#tracks.get(orderId) as Track;
  }

  resultOf(orderId: number): NotificationResult {
    return this.track(orderId).result as NotificationResult;
  }

  succeed(track: Track): void {
    this.finish(track, { orderId: track.orderId, ok: true, attempts: track.attempts });
  }

  fail(track: Track, error: unknown): void {
    if (track.result) return;
    const maybeDelivered = track.maybeDelivered || mayHaveBeenDelivered(error);
    this.finish(
      track,
      failure(track, toFailure(error, track.attempts, this.signal), maybeDelivered),
    );
  }

  /** Sets the order's final result once; later outcomes (a unit winding down) are ignored. */
  finish(track: Track, result: NotificationResult | NotificationFailure): void {
    if (track.result) return;
    const final = 'orderId' in result ? result : failure(track, result, track.maybeDelivered);
    track.result = final;
    if (this.#onResult) {
      try {
        this.#onResult(final);
      } catch (error) {
        this.#logger.warn(
          { orderId: track.orderId, error: error instanceof Error ? error.message : String(error) },
          'the onResult callback threw; the result stands',
        );
      }
    }
    if (--this.#remaining === 0) this.#resolve();
  }

  /** Waits between attempts; ends at once when the call is aborted. */
  sleep(ms: number): Promise<void> {
    if (this.signal.aborted || ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.signal.addEventListener('abort', done, { once: true });
    });
  }

  dispose(): void {
    this.#caller?.removeEventListener('abort', this.#abort);
  }

  readonly #abort = (): void => {
    this.#controller.abort(this.#caller?.reason);
    for (const cancel of [...this.inFlight]) cancel();
    for (const track of this.#tracks.values()) {
      // Never sent, or between attempts: final now. In flight: resolves as its request ends.
      if (!track.inFlight) this.fail(track, new CancelledError(false));
    }
  };
}

function failure(
  track: Track,
  reason: NotificationFailure,
  maybeDelivered: boolean,
): NotificationResult {
  return { orderId: track.orderId, ok: false, reason, maybeDelivered };
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
  if (error instanceof ContractError || error instanceof ForeignDuplicateError) {
    return { kind: 'rejected', message, attempts };
  }
  return { kind: 'rejected', message: `unexpected error: ${message}`, attempts };
}
