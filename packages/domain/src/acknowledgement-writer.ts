/**
 * Writes acknowledged notifications to the ledger while the rest are still in flight: one
 * write at a time, each taking every acknowledgement that arrived during the previous one
 * (the first takes those added in the same turn: a batch's results arrive together). So the
 * acknowledgements a crash can lose are at most those of one write, with no timer and no
 * round trip per order.
 *
 * `room()` is the back-pressure that keeps "sent but not recorded" bounded whatever the
 * database does: a sender waits before each request while the process has too many
 * acknowledgements unwritten (a write that hangs on a partition holds the senders too).
 */
import type { OrderId } from './order.js';

/**
 * Acknowledgements not yet written, counted over every call of one process (they share the
 * notifier's requests in flight, so the bound is the process's): senders wait in `room()`
 * while `limit` are unwritten.
 */
export class UnwrittenAcknowledgements {
  readonly limit: number;
  #count = 0;
  #waiting: (() => void)[] = [];

  constructor(limit = Number.POSITIVE_INFINITY) {
    this.limit = Math.max(1, limit);
  }

  get count(): number {
    return this.#count;
  }

  add(n: number): void {
    this.#count += n;
  }

  remove(n: number): void {
    this.#count = Math.max(0, this.#count - n);
    if (this.#count >= this.limit) return;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resolve of waiting) resolve();
  }

  /** Resolves once fewer than `limit` are unwritten, or on `signal`. */
  room(signal?: AbortSignal): Promise<void> {
    if (this.#count < this.limit || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      signal?.addEventListener('abort', done, { once: true });
      this.#waiting.push(done);
    });
  }
}

export interface AcknowledgementWriterOptions {
  /** The process's count of unwritten acknowledgements that `room()` waits on. */
  unwritten?: UnwrittenAcknowledgements;
}

export class AcknowledgementWriter {
  readonly #write: (ids: OrderId[]) => Promise<void>;
  readonly #unwritten: UnwrittenAcknowledgements;
  #pending: OrderId[] = [];
  #draining: Promise<void> | null = null;
  #error: unknown = null;
  readonly #unrecorded: OrderId[] = [];

  constructor(
    write: (ids: OrderId[]) => Promise<void>,
    options: AcknowledgementWriterOptions = {},
  ) {
    this.#write = write;
    this.#unwritten = options.unwritten ?? new UnwrittenAcknowledgements();
  }

  add(id: OrderId): void {
    this.#pending.push(id);
    this.#unwritten.add(1);
    this.#draining ??= this.#drain();
  }

  /** Acknowledgements not yet written, over every writer sharing this one's count. */
  get unwritten(): number {
    return this.#unwritten.count;
  }

  /** Acknowledgements whose write failed for good: sent, but the ledger does not know. */
  get unrecorded(): readonly OrderId[] {
    return this.#unrecorded;
  }

  /** Resolves once the shared count is below its limit, or on `signal`. */
  room(signal?: AbortSignal): Promise<void> {
    return this.#unwritten.room(signal);
  }

  /** Resolves when everything added so far is written; rejects with the first write error. */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
    if (this.#error !== null) throw this.#error;
  }

  async #drain(): Promise<void> {
    try {
      // Let the acknowledgements of the same turn join the first write.
      await null;
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        this.#pending = [];
        try {
          await this.#write(batch);
        } catch (error) {
          // Unwritten acknowledgements leave the claims as they were: the call still tries to
          // finish them, and reports them as unrecorded if that fails too.
          this.#error ??= error;
          this.#unrecorded.push(...batch);
        } finally {
          this.#unwritten.remove(batch.length);
        }
      }
    } finally {
      this.#draining = null;
    }
  }
}
