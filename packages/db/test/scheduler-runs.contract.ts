/**
 * Scheduler runs on each real database (MariaDB and the embedded file): recorded as they go,
 * abandoned once their lock is gone, requested and taken, heartbeats, and the failures a run
 * ended with (grouped, and the ids a retry works on).
 */
import {
  type CompleteOrderResponse,
  emptyCompleteOrderResponse,
  type RunProgress,
  schedulerLockName,
  zeroCounts,
} from '@ocs/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OcsDatabase, openDatabase, seedGeneratedOrders } from '../src/client.js';
import { backdate, type TestDatabase } from '../src/testing/index.js';

const progress = (settled: number, completed: number): RunProgress => ({
  expected: null,
  pending: settled,
  settled,
  counts: { ...zeroCounts(), completed },
  failedRequirements: {},
});

const notNotified = (ids: number[]): CompleteOrderResponse => ({
  ...emptyCompleteOrderResponse(),
  unsuccessfullyNotifiedOrders: ids.map((orderId) => ({
    orderId,
    reason: { kind: 'timeout', message: 'no answer', attempts: 3 },
  })),
});

export function describeSchedulerRunsContract(
  name: string,
  skip: boolean,
  createDatabase: () => Promise<TestDatabase>,
): void {
  describe.skipIf(skip)(`scheduler runs contract: ${name}`, () => {
    let testDb: TestDatabase;
    let db: OcsDatabase;
    let ids: number[];

    beforeAll(async () => {
      testDb = await createDatabase();
      db = openDatabase({ url: testDb.url });
      await db.migrate();
      ({ ids } = await seedGeneratedOrders(db, 6));
    });

    afterAll(async () => {
      await db?.close();
      await testDb?.drop();
    });

    it('records a run as it goes, under its holder only, and ends it', async () => {
      await db.leases.acquire(schedulerLockName, 'holder-a', 60_000);
      const run = await db.schedulerRuns.begin({ holder: 'holder-a', triggeredBy: 'cron' });
      expect(run).toMatchObject({
        triggeredBy: 'cron',
        status: 'running',
        holder: 'holder-a',
        expected: 6,
        settled: 0,
      });
      expect(await db.schedulerRuns.report(run?.id ?? '', 'holder-a', progress(2, 2))).toBe(true);
      expect(await db.schedulerRuns.report(run?.id ?? '', 'someone-else', progress(3, 3))).toBe(
        false,
      );
      expect(await db.schedulerRuns.findById(run?.id ?? '')).toMatchObject({
        settled: 2,
        counts: { completed: 2 },
      });
      expect(
        await db.schedulerRuns.end(run?.id ?? '', 'holder-a', {
          ...progress(6, 4),
          status: 'finished_with_orders_left',
          notes: ['2 held by other calls'],
        }),
      ).toBe(true);
      const ended = await db.schedulerRuns.findById(run?.id ?? '');
      expect(ended).toMatchObject({
        status: 'finished_with_orders_left',
        settled: 6,
        counts: { completed: 4 },
        notes: ['2 held by other calls'],
      });
      expect(ended?.finishedAt).toBeInstanceOf(Date);
      // Ended: no more reports.
      expect(await db.schedulerRuns.report(run?.id ?? '', 'holder-a', progress(6, 6))).toBe(false);
      await db.leases.release(schedulerLockName, 'holder-a');
    });

    it('reads a running run as abandoned once its holder lost the lock', async () => {
      await db.leases.acquire(schedulerLockName, 'holder-b', 60_000);
      const run = await db.schedulerRuns.begin({ holder: 'holder-b', triggeredBy: 'run-once' });
      expect((await db.schedulerRuns.findById(run?.id ?? ''))?.status).toBe('running');
      // Its scheduler died: the lease is gone (released here, as it would end).
      await db.leases.release(schedulerLockName, 'holder-b');
      const abandoned = await db.schedulerRuns.findById(run?.id ?? '');
      expect(abandoned?.status).toBe('abandoned');
      expect(abandoned?.finishedAt).toBeInstanceOf(Date);
      // The next holder's run marks it abandoned for good.
      await db.leases.acquire(schedulerLockName, 'holder-c', 60_000);
      const next = await db.schedulerRuns.begin({ holder: 'holder-c', triggeredBy: 'cron' });
      await db.leases.release(schedulerLockName, 'holder-c');
      const page = await db.schedulerRuns.list({ limit: 10 });
      expect(page.runs.map((r) => [r.id, r.status]).slice(0, 2)).toEqual([
        [next?.id, 'abandoned'],
        [run?.id, 'abandoned'],
      ]);
    });

    it("a holder's own run whose end was never recorded is over when it begins the next", async () => {
      await db.leases.acquire(schedulerLockName, 'holder-g', 60_000);
      const lost = await db.schedulerRuns.begin({ holder: 'holder-g', triggeredBy: 'cron' });
      const next = await db.schedulerRuns.begin({ holder: 'holder-g', triggeredBy: 'cron' });
      expect((await db.schedulerRuns.findById(lost?.id ?? ''))?.status).toBe('abandoned');
      expect((await db.schedulerRuns.findById(next?.id ?? ''))?.status).toBe('running');
      await db.schedulerRuns.end(next?.id ?? '', 'holder-g', {
        ...progress(0, 0),
        status: 'finished',
      });
      await db.leases.release(schedulerLockName, 'holder-g');
    });

    it('a requested run can be cancelled until a scheduler takes it', async () => {
      const requested = await db.schedulerRuns.request({ triggeredBy: 'admin' });
      expect(await db.schedulerRuns.cancel(requested.id)).toBe(true);
      expect(await db.schedulerRuns.findById(requested.id)).toMatchObject({
        status: 'failed',
        error: 'Cancelled by an operator before a scheduler took it',
      });
      expect(await db.schedulerRuns.cancel(requested.id)).toBe(false);
      expect(await db.schedulerRuns.nextRequested()).toBeNull();
    });

    it('a requested run waits until a scheduler takes it, once', async () => {
      const requested = await db.schedulerRuns.request({ triggeredBy: 'admin' });
      expect(requested.status).toBe('requested');
      expect((await db.schedulerRuns.nextRequested())?.id).toBe(requested.id);
      await db.leases.acquire(schedulerLockName, 'holder-d', 60_000);
      const taken = await db.schedulerRuns.begin({
        holder: 'holder-d',
        triggeredBy: 'admin',
        requestedRunId: requested.id,
      });
      expect(taken).toMatchObject({ id: requested.id, status: 'running', holder: 'holder-d' });
      expect(
        await db.schedulerRuns.begin({
          holder: 'holder-d',
          triggeredBy: 'admin',
          requestedRunId: requested.id,
        }),
      ).toBeNull();
      expect(await db.schedulerRuns.nextRequested()).toBeNull();
      await db.schedulerRuns.end(requested.id, 'holder-d', {
        ...progress(0, 0),
        status: 'finished',
      });
      await db.leases.release(schedulerLockName, 'holder-d');
    });

    it('a scheduler that reports is alive for three of its intervals, in the database clock', async () => {
      await db.schedulerRuns.heartbeat({
        instance: 'sched-1',
        mode: 'daemon',
        cron: '0 2 * * *',
        timezone: null,
        nextRunAt: new Date('2030-01-01T02:00:00Z'),
        heartbeatEveryMs: 60_000,
      });
      await db.schedulerRuns.heartbeat({
        instance: 'sched-2',
        mode: 'daemon',
        cron: null,
        timezone: null,
        nextRunAt: null,
        heartbeatEveryMs: 100,
      });
      // A second passes in the database's clock: past three of sched-2's 100 ms intervals.
      await backdate(testDb.url, 'scheduler_instances', 1000);
      const instances = await db.schedulerRuns.instances();
      expect(instances.find((i) => i.instance === 'sched-1')).toMatchObject({
        alive: true,
        cron: '0 2 * * *',
        nextRunAt: new Date('2030-01-01T02:00:00Z'),
      });
      expect(instances.find((i) => i.instance === 'sched-2')?.alive).toBe(false);
    });

    it("groups the failures a run ended with, leaves out what a later call of it finished, and pages a retry's ids", async () => {
      const [a = 0, b = 0, c = 0, d = 0] = ids;
      await db.leases.acquire(schedulerLockName, 'holder-e', 60_000);
      const run = await db.schedulerRuns.begin({ holder: 'holder-e', triggeredBy: 'cron' });
      const runId = run?.id ?? '';
      // Call 1: a, b, c not notified; d fails a requirement.
      const call1 = `${runId}-1`;
      await db.calls.start({ id: call1, runId, startedAt: new Date(), requestedCount: 4 });
      await db.calls.complete(call1, {
        finishedAt: new Date(),
        outcome: 'ORDERS.NONE_NOTIFIED',
        response: {
          ...notNotified([a, b, c]),
          unsuccessfulOrders: [
            {
              orderId: d,
              reasons: [{ requirement: 'order-age', code: 'ORDER.TOO_RECENT', message: 'new' }],
            },
          ],
        },
      });
      // Call 2 of the same run finishes a (a retry round).
      const call2 = `${runId}-2`;
      await db.calls.start({ id: call2, runId, startedAt: new Date(), requestedCount: 1 });
      await db.ledger.claim({ callId: call2, orderIds: [a], leaseMs: 60_000 });
      await db.ledger.markNotified(call2, [a]);
      await db.ledger.finish(call2, [a]);
      await db.calls.complete(call2, {
        finishedAt: new Date(),
        outcome: 'COMPLETED',
        response: { ...emptyCompleteOrderResponse(), completedOrderIds: [a] },
      });
      await db.schedulerRuns.end(runId, 'holder-e', {
        ...progress(4, 1),
        status: 'finished_with_orders_left',
      });
      await db.leases.release(schedulerLockName, 'holder-e');

      const groups = await db.schedulerRuns.failureGroups(runId);
      expect(
        groups.map((g) => [
          g.outcome,
          g.reasonCode,
          g.count,
          g.stillPending,
          g.exampleIds,
          g.retryable,
        ]),
      ).toEqual([
        ['not_notified', 'NOTIFY.TIMEOUT', 2, 2, [b, c], true],
        ['failed_requirements', 'ORDER.TOO_RECENT', 1, 1, [d], false],
      ]);
      expect(groups[0]?.firstSeen).toBeInstanceOf(Date);

      // A retry of the not-notified group works on b and c, paged.
      const first = await db.schedulerRuns.retryIds(
        runId,
        { outcome: 'not_notified' },
        { limit: 1 },
      );
      expect(first).toEqual({ ids: [b], nextCursor: b });
      expect(
        await db.schedulerRuns.retryIds(
          runId,
          { outcome: 'not_notified' },
          { afterId: b, limit: 1 },
        ),
      ).toEqual({ ids: [c], nextCursor: null });
      // Requirements are not retryable; every retryable failure is b and c.
      expect(
        (await db.schedulerRuns.retryIds(runId, { outcome: 'failed_requirements' }, { limit: 10 }))
          .ids,
      ).toEqual([]);
      expect((await db.schedulerRuns.retryIds(runId, {}, { limit: 10 })).ids).toEqual([b, c]);

      // The retry run expects what it retries.
      const retry = await db.schedulerRuns.request({
        triggeredBy: 'retry',
        retryOf: runId,
        retryOutcome: 'not_notified',
      });
      await db.leases.acquire(schedulerLockName, 'holder-f', 60_000);
      const begun = await db.schedulerRuns.begin({
        holder: 'holder-f',
        triggeredBy: 'retry',
        requestedRunId: retry.id,
      });
      expect(begun).toMatchObject({ retryOf: runId, retryOutcome: 'not_notified', expected: 2 });
      expect((await db.schedulerRuns.retriesOf(runId)).map((r) => r.id)).toEqual([retry.id]);
      await db.leases.release(schedulerLockName, 'holder-f');

      // Across runs: the same groups, with how many runs had them.
      const since = await db.schedulerRuns.failureGroupsSince(new Date(Date.now() - 3_600_000));
      // Orders, not rows: a was not notified once, b and c once each; two are still pending.
      expect(since.find((g) => g.outcome === 'not_notified')).toMatchObject({
        count: 3,
        runs: 1,
        stillPending: 2,
      });
    });
  });
}
