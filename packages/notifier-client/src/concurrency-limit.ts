/**
 * The bulkhead: at most `limit` units at once, shared by every call of one notifier, FIFO.
 * Not cockatiel's `bulkhead`: in 3.2.1 a queued task whose signal was aborted is rejected when
 * its turn comes without handing the slot on, so the tasks queued behind it (another call's
 * too) wait until some other task ends, or forever. Here a slot is always handed on.
 */
export class ConcurrencyLimit {
  readonly #limit: number;
  #active = 0;
  #queue: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#active < this.#limit) this.#active++;
    else await new Promise<void>((resolve) => this.#queue.push(resolve)); // slot handed over
    try {
      return await fn();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#active--;
    }
  }
}
