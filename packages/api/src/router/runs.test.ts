import type { SchedulerRun, SchedulerRunRepository } from '@ocs/domain';
import { zeroCounts } from '@ocs/domain';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { fakeContext } from '../../test/context.js';
import { createCallerFactory } from '../trpc.js';
import { appRouter } from './index.js';

const createCaller = createCallerFactory(appRouter);

const run = (overrides: Partial<SchedulerRun> = {}): SchedulerRun => ({
  id: 'run-1',
  triggeredBy: 'cron',
  status: 'finished_with_orders_left',
  requestedAt: new Date(0),
  startedAt: new Date(0),
  finishedAt: new Date(1),
  updatedAt: new Date(1),
  holder: 'sched',
  retryOf: null,
  retryOutcome: null,
  retryReason: null,
  expected: 3,
  pending: 3,
  settled: 3,
  counts: zeroCounts(),
  failedRequirements: {},
  error: null,
  notes: [],
  ...overrides,
});

/** Scheduler runs in memory: enough for the procedures' rules. */
function runs(retryable: number[]): SchedulerRunRepository & { requests: unknown[] } {
  const requests: unknown[] = [];
  return {
    requests,
    request: async (request) => {
      requests.push(request);
      return run({ id: 'run-2', status: 'requested', ...request });
    },
    begin: async () => run({ status: 'running' }),
    report: async () => true,
    end: async () => true,
    findById: async (id) => (id === 'run-1' ? run() : null),
    list: async () => ({ runs: [run()], nextCursor: null }),
    nextRequested: async () => null,
    retriesOf: async () => [],
    cancel: async (id) => id === 'run-2',
    heartbeat: async () => {},
    instances: async () => [],
    failureGroups: async () => [],
    failureGroupsSince: async () => [],
    retryIds: async () => ({ ids: retryable, nextCursor: null }),
  };
}

describe('runs', () => {
  it('a retry is requested as a run of its own, and the app learns no scheduler is alive', async () => {
    const repository = runs([7, 8]);
    const caller = createCaller(fakeContext('admin', { runs: repository }));
    const { run: requested, schedulerAlive } = await caller.runs.retry({
      runId: 'run-1',
      outcome: 'not_notified',
    });
    expect(requested).toMatchObject({
      status: 'requested',
      triggeredBy: 'retry',
      retryOf: 'run-1',
    });
    expect(schedulerAlive).toBe(false);
    expect(repository.requests).toEqual([
      { triggeredBy: 'retry', retryOf: 'run-1', retryOutcome: 'not_notified', retryReason: null },
    ]);
  });

  it('refuses a retry with nothing left to retry, and of an unknown run', async () => {
    const caller = createCaller(fakeContext('admin', { runs: runs([]) }));
    const nothing = await caller.runs.retry({ runId: 'run-1' }).catch((e: unknown) => e);
    expect((nothing as TRPCError).code).toBe('BAD_REQUEST');
    expect((nothing as TRPCError).message).toMatch(/Nothing to retry/);
    const unknown = await caller.runs.retry({ runId: 'nope' }).catch((e: unknown) => e);
    expect((unknown as TRPCError).code).toBe('NOT_FOUND');
  });

  it('an unknown outcome is bad input, naming the field', async () => {
    const caller = createCaller(fakeContext('admin', { runs: runs([1]) }));
    const error = await caller.runs
      .retry({ runId: 'run-1', outcome: 'bogus' as never })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('BAD_REQUEST');
  });

  it('the scheduler executes runs, the admin requests them: neither may do the other', async () => {
    const asScheduler = createCaller(fakeContext('scheduler', { runs: runs([1]) }));
    const asAdmin = createCaller(fakeContext('admin', { runs: runs([1]) }));
    expect(((await asScheduler.runs.request().catch((e: unknown) => e)) as TRPCError).code).toBe(
      'FORBIDDEN',
    );
    expect(
      (
        (await asAdmin.runs
          .begin({ holder: 'h', triggeredBy: 'cron' })
          .catch((e: unknown) => e)) as TRPCError
      ).code,
    ).toBe('FORBIDDEN');
    expect(await asScheduler.runs.begin({ holder: 'h', triggeredBy: 'cron' })).toMatchObject({
      status: 'running',
    });
  });

  it('only a run still waiting for a scheduler can be cancelled', async () => {
    const caller = createCaller(fakeContext('admin', { runs: runs([1]) }));
    const error = await caller.runs.cancel({ id: 'run-1' }).catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('CONFLICT');
    expect((error as TRPCError).message).toMatch(/not waiting for a scheduler/);
  });

  it('a requested run gone meanwhile is a CONFLICT for the scheduler', async () => {
    const repository = { ...runs([1]), begin: async () => null };
    const caller = createCaller(fakeContext('scheduler', { runs: repository }));
    const error = await caller.runs
      .begin({ holder: 'h', triggeredBy: 'admin', requestedRunId: 'run-9' })
      .catch((e: unknown) => e);
    expect((error as TRPCError).code).toBe('CONFLICT');
  });
});
