/**
 * Writes acknowledged notifications to the ledger while the rest are still in flight: one
 * write at a time, each taking every acknowledgement that arrived during the previous one
 * (the first takes those added in the same turn: a batch's results arrive together). So the
 * acknowledgements a crash can lose are at most those of one write, with no timer and no
 * round trip per order.
 */
import type { OrderId } from './order.js';

export class AcknowledgementWriter {
  readonly #write: (ids: OrderId[]) => Promise<void>;
  #pending: OrderId[] = [];
  #draining: Promise<void> | null = null;
  #error: unknown = null;

  constructor(write: (ids: OrderId[]) => Promise<void>) {
    this.#write = write;
  }

  add(id: OrderId): void {
    this.#pending.push(id);
    this.#draining ??= this.#drain();
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
          // Unwritten acknowledgements leave the claims as they were: the orders are still
          // finished by this call, and the ledger only loses the intermediate state.
          this.#error ??= error;
        }
      }
    } finally {
      this.#draining = null;
    }
  }
}
