import { zeroCounts } from '@ocs/domain';
import { describe, expect, it } from 'vitest';
import { Tally } from './run-tally.js';

describe('Tally', () => {
  it('given an id retried until it completes, counts only its last outcome, once', () => {
    const tally = new Tally();
    tally.pending = 2;

    tally.settle(1, 'request_failed');
    tally.settle(1, 'not_notified');
    tally.settle(1, 'completed');
    tally.settle(2, 'claimed_elsewhere');

    expect(tally.settled).toBe(2);
    expect(tally.counts()).toEqual({ ...zeroCounts(), completed: 1, claimed_elsewhere: 1 });
    expect([...tally.retryable]).toEqual([[2, 'claimed_elsewhere']]);
  });

  it('given orders that fail requirements, counts the orders and each failure by code', () => {
    const tally = new Tally();

    tally.settle(3, 'unreachable');
    tally.failRequirements(3, ['ORDER.TOO_RECENT', 'ORDER.NO_LINES']);
    tally.failRequirements(4, ['ORDER.TOO_RECENT']);

    expect(tally.settled).toBe(2);
    expect(tally.retryable.size).toBe(0);
    expect(tally.progress()).toMatchObject({
      settled: 2,
      counts: { failed_requirements: 2 },
      failedRequirements: { 'ORDER.TOO_RECENT': 2, 'ORDER.NO_LINES': 1 },
    });
  });

  it('names the ids left undone by kind, in ascending order', () => {
    const tally = new Tally();

    for (const id of [9, 2, 5]) tally.settle(id, 'not_tried');
    tally.settle(7, 'request_failed');
    tally.settle(1, 'completed');

    expect(tally.undoneIds()).toEqual({ not_tried: [2, 5, 9], request_failed: [7] });
    expect(tally.summary(2, Date.now(), 'run-1')).toMatchObject({
      runId: 'run-1',
      completed: 1,
      notTried: 3,
      requestFailed: 1,
      leftUndone: 4,
      rounds: 2,
    });
  });
});
