import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { twoRounds as summary } from '../test/summaries.js';
import type { CompletionJob, RunSummary } from './completion-job.js';
import { Scheduler } from './scheduler.js';

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
