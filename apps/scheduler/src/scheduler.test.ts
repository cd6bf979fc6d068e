import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { withCounts } from '../test/summaries.js';
import type { CompletionJob, RunSummary } from './completion-job.js';
import { Scheduler } from './scheduler.js';
import { formatSummary } from './summary.js';

const summary: RunSummary = withCounts({
  pending: 7,
  completed: 3,
  notFound: 1,
  failedRequirementOrders: 2,
  failedRequirements: { 'ORDER.TOO_RECENT': 2, 'ORDER.NOT_FULLY_DELIVERED': 1 },
  finishedElsewhere: 0,
  notNotified: 1,
  notUpdated: 0,
  claimedElsewhere: 0,
  requestFailed: 0,
  unreachable: 0,
  leftUndone: 1,
  notTried: 0,
  deadlineExceeded: false,
  morePending: false,
  lockExpired: false,
  heldByOtherCalls: 0,
  oldestClaimAgeMs: null,
  heldForOperator: 0,
  rounds: 2,
  durationMs: 1234,
});

/** A job whose runs finish only when the test says so. */
function controllableJob() {
  const releases: (() => void)[] = [];
  let started = 0;
  const job = {
    run: () =>
      new Promise<RunSummary>((resolve) => {
        started += 1;
        releases.push(() => resolve(summary));
      }),
  } as unknown as CompletionJob;
  return {
    job,
    releaseAll: () => {
      for (const release of releases.splice(0)) release();
    },
    started: () => started,
  };
}

describe('Scheduler', () => {
  it('never starts a second run while one is in progress', async () => {
    const { job, releaseAll, started } = controllableJob();
    const summaries: RunSummary[] = [];
    const scheduler = new Scheduler(job, pino({ level: 'silent' }), (s) => summaries.push(s));

    const first = scheduler.runNow();
    const second = await scheduler.runNow();
    expect(second).toBeNull();
    expect(started()).toBe(1);

    releaseAll();
    expect(await first).toBe(summary);
    expect(summaries).toEqual([summary]);

    const third = scheduler.runNow();
    expect(started()).toBe(2);
    releaseAll();
    expect(await third).toBe(summary);
  });
});

describe('formatSummary', () => {
  it('lists completed and failed counts by reason', () => {
    const text = formatSummary(summary);
    expect(text).toContain('completed:                  3');
    expect(text).toContain('requirements not met:       2 orders');
    expect(text).toContain('ORDER.NOT_FULLY_DELIVERED: 1');
    expect(text).toContain('ORDER.TOO_RECENT: 2');
    expect(text).toContain('not notified:             1');
    expect(text).toContain('left undone:                1');
    expect(text).toContain('1.2 s, 2 rounds');
  });
});
