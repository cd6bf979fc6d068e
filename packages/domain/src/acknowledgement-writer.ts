/**
 * Writes acknowledged notifications to the ledger while the rest are still in flight: one
 * write at a time, each taking every acknowledgement that arrived during the previous one
 * (the first takes those added in the same turn: a batch's results arrive together). So the
 * acknowledgements a crash can lose are at most those of one write, with no timer and no
 * round trip per order.
 *
 * `room()` is the back-pressure that keeps "sent but not recorded" bounded whatever the
 * database does: a sender waits before each request while `maxUnwritten` acknowledgements are
 * still unwritten (a write that hangs on a partition holds the senders, not just the log).
 */
import type { OrderId } from './order.js';

export interface AcknowledgementWriterOptions {
  /** Unwritten acknowledgements (queued or being written) at which `room()` waits. */
  maxUnwritten?: number;
}

export class AcknowledgementWriter {
  readonly #write: (ids: OrderId[]) => Promise<void>;
  readonly #maxUnwritten: number;
  #pending: OrderId[] = [];
  #writing = 0;
  #draining: Promise<void> | null = null;
  #error: unknown = null;
  readonly #unrecorded: OrderId[] = [];
  #waiting: (() => void)[] = [];

  constructor(
    write: (ids: OrderId[]) => Promise<void>,
    options: AcknowledgementWriterOptions = {},
  ) {
    this.#write = write;
    this.#maxUnwritten = Math.max(1, options.maxUnwritten ?? Number.POSITIVE_INFINITY);
  }

  add(id: OrderId): void {
    this.#pending.push(id);
    this.#draining ??= this.#drain();
  }

  /** Acknowledgements queued or being written. */
  get unwritten(): number {
    return this.#pending.length + this.#writing;
  }

  /** Acknowledgements whose write failed for good: sent, but the ledger does not know. */
  get unrecorded(): readonly OrderId[] {
    return this.#unrecorded;
  }

  /** Resolves once fewer than `maxUnwritten` acknowledgements are unwritten, or on `signal`. */
  room(signal?: AbortSignal): Promise<void> {
    if (this.unwritten < this.#maxUnwritten || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      signal?.addEventListener('abort', done, { once: true });
      this.#waiting.push(done);
    });
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
        this.#writing = batch.length;
        try {
          await this.#write(batch);
        } catch (error) {
          // Unwritten acknowledgements leave the claims as they were: the call still tries to
          // finish them, and reports them as unrecorded if that fails too.
          this.#error ??= error;
          this.#unrecorded.push(...batch);
        } finally {
          this.#writing = 0;
          this.#wake();
        }
      }
    } finally {
      this.#draining = null;
      this.#wake();
    }
  }

  #wake(): void {
    if (this.unwritten >= this.#maxUnwritten) return;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resolve of waiting) resolve();
  }
}
