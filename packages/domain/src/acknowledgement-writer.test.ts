/** The ledger writer of acknowledgements: what ends up written, and when flush returns. */
import { describe, expect, it } from 'vitest';
import { AcknowledgementWriter } from './acknowledgement-writer.js';

/** A ledger whose writes finish when the test says, recording what each wrote. */
function slowLedger() {
  const written: number[][] = [];
  const pending: (() => void)[] = [];
  let failNext: Error | null = null;
  const write = (ids: number[]) =>
    new Promise<void>((resolve, reject) => {
      pending.push(() => {
        const failure = failNext;
        failNext = null;
        if (failure) reject(failure);
        else {
          written.push(ids);
          resolve();
        }
      });
    });
  return {
    written,
    write,
    failNextWith: (error: Error) => {
      failNext = error;
    },
    /** Ends the oldest write in progress (a write starts a turn after its first `add`). */
    finishOne: async () => {
      await Promise.resolve();
      pending.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    },
    get inProgress() {
      return pending.length;
    },
  };
}

describe('AcknowledgementWriter', () => {
  it('writes one batch at a time: each takes what arrived during the previous one', async () => {
    const ledger = slowLedger();
    const writer = new AcknowledgementWriter(ledger.write);

    writer.add(1);
    writer.add(2);
    await Promise.resolve();
    writer.add(3);
    writer.add(4);
    expect(ledger.inProgress).toBe(1);
    await ledger.finishOne();
    writer.add(5);
    await ledger.finishOne();
    await ledger.finishOne();

    expect(ledger.written).toEqual([[1, 2], [3, 4], [5]]);
    expect(ledger.inProgress).toBe(0);
  });

  it('puts the acknowledgements of one turn into one write', async () => {
    const ledger = slowLedger();
    const writer = new AcknowledgementWriter(ledger.write);

    for (let id = 1; id <= 100; id++) writer.add(id);
    await Promise.resolve();
    await Promise.resolve();
    expect(ledger.inProgress).toBe(1);
    await ledger.finishOne();

    expect(ledger.written).toEqual([Array.from({ length: 100 }, (_, i) => i + 1)]);
  });

  it('flush resolves only once everything added is written', async () => {
    const ledger = slowLedger();
    const writer = new AcknowledgementWriter(ledger.write);
    writer.add(1);
    await Promise.resolve();
    writer.add(2);
    let flushed = false;
    const flushing = writer.flush().then(() => {
      flushed = true;
    });

    await ledger.finishOne();
    expect(flushed).toBe(false);
    await ledger.finishOne();
    await flushing;

    expect(flushed).toBe(true);
    expect(ledger.written).toEqual([[1], [2]]);
  });

  it('flush with nothing added resolves at once', async () => {
    await expect(new AcknowledgementWriter(async () => {}).flush()).resolves.toBeUndefined();
  });

  it('keeps writing after a failed write, and flush rejects with the first error', async () => {
    const ledger = slowLedger();
    const writer = new AcknowledgementWriter(ledger.write);
    const first = new Error('first');
    writer.add(1);
    await Promise.resolve();
    writer.add(2);
    ledger.failNextWith(first);
    await ledger.finishOne();
    ledger.failNextWith(new Error('second'));
    await ledger.finishOne();
    writer.add(3);
    await ledger.finishOne();

    await expect(writer.flush()).rejects.toBe(first);
    expect(ledger.written).toEqual([[3]]);
  });
});
