/**
 * The state of one `notifyCompleted` call: its orders, their results as they become final,
 * and its signal. Every result that is not a success says whether a request for it may have
 * reached the service (`maybeDelivered`), sticky across attempts: one timed-out attempt makes
 * the order "maybe delivered" even if a later attempt got a 500.
 */
import { setMaxListeners } from 'node:events';
import type { Logger, NotificationFailure, NotificationResult, NotifyOptions } from '@ocs/domain';
import { CancelledError, mayHaveBeenDelivered } from './attempt-errors.js';
import { failedResult, toFailure } from './failure-mapping.js';

/** Aborts the requests in flight of one call; the call aborts them all at once. */
export type InFlightRequests = Set<() => void>;

/** One order of a call: what happened to it so far. */
export interface Track {
  readonly orderId: number;
  attempts: number;
  /** A request for it may have reached the service (sticky across attempts). */
  maybeDelivered: boolean;
  /** A request for it is on the wire right now. */
  inFlight: boolean;
  result: NotificationResult | undefined;
}

/**
 * On abort, every order not in flight gets its final `cancelled` result at once (its pipeline
 * unit winds down later without sending); requests in flight are aborted and their orders
 * resolve when those requests end.
 */
export class Call {
  /** Aborted when the caller's signal is; cockatiel's policies and v1 requests listen on it. */
  readonly signal: AbortSignal;
  /** Requests in flight that have no listener of their own, aborted together on abort. */
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
      failedResult(track.orderId, toFailure(error, track.attempts, this.signal), maybeDelivered),
    );
  }

  /** Sets the order's final result once; later outcomes (a unit winding down) are ignored. */
  finish(track: Track, result: NotificationResult | NotificationFailure): void {
    if (track.result) return;
    const final =
      'orderId' in result ? result : failedResult(track.orderId, result, track.maybeDelivered);
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
