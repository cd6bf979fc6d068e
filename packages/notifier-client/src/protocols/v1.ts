/**
 * The keyed protocol: `POST /v1/notifications` (one order) or `POST /v1/notifications/batch`,
 * each notification under an idempotency key the service de-duplicates on, so a request that
 * may have reached the service is resent under the same key.
 */
import {
  BatchEntriesFailedError,
  CancelledError,
  type EntryFailure,
  ForeignDuplicateError,
  isRetryableStatus,
  mayHaveBeenDelivered,
} from '../attempt-errors.js';
import type { Call, Track } from '../call.js';
import { entryFailure } from '../failure-mapping.js';
import { idempotencyKeyFor } from '../idempotency-key.js';
import type { PolicyPipeline } from '../policy-pipeline.js';
import {
  type BatchNotificationEntry,
  type BatchNotificationResult,
  MAX_BATCH_SIZE,
} from '../wire.js';
import type { NotifierProtocol, ProtocolOptions } from './protocol.js';
import { NotifierTransport } from './v1-transport.js';

export const v1: NotifierProtocol = {
  summary: 'JSON, batches, idempotency keys',
  idempotent: true,
  // 8 batches in flight by default: with the server's 200 orders per batch, the same 1,600
  // orders in flight as 16 x 100 in half the requests (each costs the client and the service
  // a request's work whatever it carries, about 1 ms of the server's CPU at 100 orders).
  defaultConcurrency: 8,
  maxBatchSize: MAX_BATCH_SIZE,
  attemptTimeoutMs: (options) => options.attemptTimeoutMs,
  createSender(options, { pipeline, clock }) {
    const sender = new V1Sender(options, pipeline);
    return {
      start(call, ids) {
        const occurredAt = clock.now().toISOString();
        if (options.batchSize === 1) {
          return ids.map((id) => sender.single(call, call.track(id), occurredAt));
        }
        return chunk(ids, options.batchSize).map((batch) =>
          sender.batch(
            call,
            batch.map((id) => call.track(id)),
            occurredAt,
          ),
        );
      },
      close: () => {},
    };
  },
};

class V1Sender {
  readonly #transport: NotifierTransport;
  readonly #pipeline: PolicyPipeline;
  readonly #keyNamespace: string;

  constructor(options: ProtocolOptions, pipeline: PolicyPipeline) {
    this.#transport = new NotifierTransport(options.baseUrl, options.authHeader);
    this.#pipeline = pipeline;
    this.#keyNamespace = options.keyNamespace;
  }

  #keyFor(orderId: number): string {
    return idempotencyKeyFor(this.#keyNamespace, orderId);
  }

  single(call: Call, track: Track, occurredAt: string): Promise<void> {
    const { orderId } = track;
    const body = { orderId, event: 'order.completed', occurredAt } as const;
    const key = this.#keyFor(orderId);
    return this.#pipeline
      .run(call, async () => {
        if (call.signal.aborted) throw new CancelledError(false);
        track.attempts++;
        track.inFlight = true;
        try {
          await this.#pipeline.withAttemptTimeout(call.signal, (attemptSignal) =>
            this.#transport.notifyV1(body, key, attemptSignal),
          );
        } catch (error) {
          if (mayHaveBeenDelivered(error)) track.maybeDelivered = true;
          throw error;
        } finally {
          track.inFlight = false;
        }
        call.succeed(track);
      })
      .catch((error: unknown) => call.fail(track, error));
  }

  /**
   * One batch through the pipeline. Each attempt sends only the orders still pending; each
   * order's result is final (and reported) as soon as an answer settles it.
   */
  batch(call: Call, tracks: Track[], occurredAt: string): Promise<void> {
    let pending = tracks;
    return this.#pipeline
      .run(call, async () => {
        if (call.signal.aborted) throw new CancelledError(false);
        const sent = pending;
        const entries: BatchNotificationEntry[] = sent.map((track) => {
          track.attempts++;
          track.inFlight = true;
          return {
            orderId: track.orderId,
            event: 'order.completed',
            occurredAt,
            idempotencyKey: this.#keyFor(track.orderId),
          };
        });
        let results: BatchNotificationResult[];
        try {
          results = await this.#pipeline.withAttemptTimeout(call.signal, (attemptSignal) =>
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
          const key = this.#keyFor(track.orderId);
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
      })
      .catch((error: unknown) => {
        for (const track of pending) {
          const entry =
            error instanceof BatchEntriesFailedError
              ? error.failures.get(track.orderId)
              : undefined;
          if (entry && !call.signal.aborted) {
            call.finish(track, entryFailure(entry, track.attempts));
          } else {
            call.fail(track, error);
          }
        }
      });
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
