import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit } from './concurrency-limit.js';

describe('concurrency limit', () => {
  it('runs at most `limit` at once, in arrival order, and hands every slot on', async () => {
    const limit = new ConcurrencyLimit(2);
    let active = 0;
    let maxActive = 0;
    const started: number[] = [];
    const gates = Array.from({ length: 5 }, () => {
      let open = () => {};
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      return { open, opened };
    });
    const runs = gates.map((gate, i) =>
      limit.run(async () => {
        started.push(i);
        active++;
        maxActive = Math.max(maxActive, active);
        await gate.opened;
        active--;
        if (i === 1) throw new Error('a failing task still hands its slot on');
        return i;
      }),
    );
    for (const gate of gates) gate.open();
    const settled = await Promise.allSettled(runs);

    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(maxActive).toBe(2);
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
  });
});
