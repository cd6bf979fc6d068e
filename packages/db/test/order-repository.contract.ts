/**
 * The behaviour every OrderRepository/CompletionCallRepository adapter must show, run against
 * each real database (MariaDB and the embedded file) by the *.test.ts files beside it.
 */
import type { CompleteOrderResponse, CompletionCall } from '@ocs/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GeneratedOrdersOptions,
  type OcsDatabase,
  openDatabase,
  seedGeneratedOrders,
} from '../src/client.js';
import { monthsBefore } from '../src/seed/demo-orders.js';
import { backdate } from '../src/testing/index.js';

export interface ContractTarget {
  url: string;
  /** Makes the database itself raise an error when that order's row is updated. */
  failUpdatesOf(orderId: number): Promise<void>;
  clearFailures(): Promise<void>;
  /** The per-order outcome rows stored for a run, ascending by order id. */
  runOrderOutcomes(callId: string): Promise<{ orderId: number; outcome: string }[]>;
  drop(): Promise<void>;
}

const now = new Date('2026-06-15T12:00:00.000Z');
const missingId = 2_000_000_000;

function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  return work().finally(() => {
    console.log(`[${label}] ${((performance.now() - started) / 1000).toFixed(2)} s`);
  });
}

export function describeRepositoryContract(
  name: string,
  skip: boolean,
  createTarget: () => Promise<ContractTarget>,
): void {
  describe.skipIf(skip)(`repository contract: ${name}`, () => {
    let target: ContractTarget;
    let db: OcsDatabase;

    beforeAll(async () => {
      target = await createTarget();
      db = openDatabase({ url: target.url });
      await db.migrate();
    });

    afterAll(async () => {
      await db?.close();
      await target?.drop();
    });

    const generate = (count: number, mix: GeneratedOrdersOptions['mix']) =>
      seedGeneratedOrders(db, count, { now, mix });

    it('given an empty database, the demo seed loads the five original orders once', async () => {
      expect(await db.seedDemo(now)).toEqual({ inserted: 5 });
      expect(await db.seedDemo(now)).toEqual({ inserted: 0 });

      const orders = await db.orders.findByIds([1, 2, 3, 4, 5]);
      expect(
        orders.map((o) => ({
          id: o.id,
          state: o.state,
          orderDate: o.orderDate.toISOString(),
          lines: o.lines.map((l) => [l.productId, l.orderedQuantity, l.deliveredQuantity]),
        })),
      ).toEqual(
        [
          {
            id: 1,
            months: 7,
            lines: [
              [1, 10, 5],
              [2, 20, 20],
            ],
          },
          {
            id: 2,
            months: 7,
            lines: [
              [3, 25, 25],
              [4, 20, 20],
            ],
          },
          {
            id: 3,
            months: 10,
            lines: [
              [5, 15, 15],
              [1, 50, 50],
            ],
          },
          {
            id: 4,
            months: 1,
            lines: [
              [2, 30, 30],
              [3, 25, 25],
            ],
          },
          {
            id: 5,
            months: 5,
            lines: [
              [4, 30, 10],
              [5, 25, 25],
            ],
          },
        ].map(({ id, months, lines }) => ({
          id,
          state: 'SUBMITTED',
          orderDate: monthsBefore(now, months).toISOString(),
          lines,
        })),
      );
    });

    it('given unknown ids among known ones, only the known orders come back', async () => {
      const orders = await db.orders.findByIds([missingId, 2, missingId + 1, 1]);
      expect(orders.map((o) => o.id)).toEqual([1, 2]);
    });

    it('given an order without lines, it comes back with an empty line list', async () => {
      const { ids } = await generate(2, { 'no-lines': 1 });
      const orders = await db.orders.findByIds(ids);
      expect(orders.map((o) => [o.id, o.lines])).toEqual(ids.map((id) => [id, []]));
    });

    it('given duplicate ids, each order comes back and is updated once', async () => {
      const { ids } = await generate(2, { eligible: 1 });
      const [a, b] = ids as [number, number];
      const orders = await db.orders.findByIds([b, a, b, a, a]);
      expect(orders.map((o) => o.id)).toEqual([a, b]);
      expect(orders.every((o) => o.lines.length === 2)).toBe(true);

      expect(await db.orders.markFinished([a, a, b, a], now)).toEqual({ updatedIds: [a, b] });
    });

    it('given an empty id list, no statement reaches the database', async () => {
      // A closed connection fails any statement, so resolving proves none was sent.
      const closed = openDatabase({ url: target.url });
      await closed.close();
      expect(await closed.orders.findByIds([])).toEqual([]);
      expect(await closed.orders.markFinished([], now)).toEqual({ updatedIds: [] });
    });

    it('given an order that is already FINISHED, markFinished leaves it out', async () => {
      const { ids } = await generate(3, { eligible: 1 });
      const [first, ...rest] = ids as [number, ...number[]];
      expect(await db.orders.markFinished([first], now)).toEqual({ updatedIds: [first] });

      const result = await db.orders.markFinished([...ids, missingId], now);
      expect(result.updatedIds).toEqual(rest);
      expect((await db.orders.findByIds(ids)).map((o) => o.state)).toEqual([
        'FINISHED',
        'FINISHED',
        'FINISHED',
      ]);
      expect(await db.orders.markFinished(ids, now)).toEqual({ updatedIds: [] });
    });

    it('when a statement fails in a later chunk, no order of the call is updated', async () => {
      const { ids } = await generate(5, { eligible: 1 });
      const failing = ids[3] as number;
      // Chunks of two: the first chunk is updated before the second one fails.
      const smallChunks = openDatabase({ url: target.url, chunkSize: 2 });
      try {
        await target.failUpdatesOf(failing);
        await expect(smallChunks.orders.markFinished(ids, now)).rejects.toThrow();
        expect((await db.orders.findByIds(ids)).map((o) => o.state)).toEqual(
          ids.map(() => 'SUBMITTED'),
        );

        await target.clearFailures();
        expect(await smallChunks.orders.markFinished(ids, now)).toEqual({ updatedIds: ids });
      } finally {
        await target.clearFailures();
        await smallChunks.close();
      }
    });

    it('when two calls finish the same orders at once, each order is finished by exactly one', async () => {
      const { ids } = await generate(2_000, { eligible: 1 });
      const a = openDatabase({ url: target.url, chunkSize: 300 });
      const b = openDatabase({ url: target.url, chunkSize: 300 });
      try {
        const [first, second] = await Promise.all([
          a.orders.markFinished(ids, now),
          b.orders.markFinished([...ids].reverse(), now),
        ]);
        expect([...first.updatedIds, ...second.updatedIds].sort((x, y) => x - y)).toEqual(ids);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('given 100,000 ids, one call fetches them all and one call finishes them all', async () => {
      const { ids } = await timed(`${name}: seed 100,000 orders`, () =>
        generate(100_000, { eligible: 1 }),
      );
      const requested = [...ids, missingId];

      const orders = await timed(`${name}: findByIds 100,000`, () =>
        db.orders.findByIds(requested),
      );
      expect(orders).toHaveLength(100_000);
      expect(orders.map((o) => o.id)).toEqual(ids);
      expect(orders.every((o) => o.state === 'SUBMITTED' && o.lines.length === 2)).toBe(true);

      const result = await timed(`${name}: markFinished 100,000`, () =>
        db.orders.markFinished(requested, now),
      );
      expect(result.updatedIds).toEqual(ids);
      const after = await db.orders.findByIds(ids);
      expect(after.filter((o) => o.state === 'FINISHED')).toHaveLength(100_000);
    });

    it('pages through pending ids and listed orders with a keyset cursor', async () => {
      const { ids, idsByKind } = await generate(9, { eligible: 1, finished: 1 });
      const first = ids[0] as number;
      const last = ids.at(-1) as number;
      const submitted = ids.filter((id) => !idsByKind.finished.includes(id));
      expect(idsByKind.finished.length).toBeGreaterThan(0);

      const pending: number[] = [];
      let cursor: number | null = first - 1;
      while (cursor !== null) {
        const page = await db.orders.findPendingIds({ afterId: cursor, limit: 2 });
        expect(page.ids.length).toBeLessThanOrEqual(2);
        pending.push(...page.ids);
        cursor = page.nextCursor;
      }
      expect(pending.filter((id) => id <= last)).toEqual(submitted);

      const finished: number[] = [];
      let listCursor: number | null = first - 1;
      while (listCursor !== null) {
        const page = await db.orders.list({ state: 'FINISHED', afterId: listCursor, limit: 2 });
        expect(page.orders.every((o) => o.state === 'FINISHED' && o.lines.length === 2)).toBe(true);
        finished.push(...page.orders.map((o) => o.id));
        listCursor = page.nextCursor;
      }
      expect(finished.filter((id) => id <= last)).toEqual(idsByKind.finished);

      const allButLast = await db.orders.list({ afterId: first - 1, limit: ids.length - 1 });
      expect(allButLast.orders.map((o) => o.id)).toEqual(ids.slice(0, -1));
      expect(allButLast.nextCursor).toBe(ids.at(-2));
    });

    it('records runs as they start and end, reads one back whole and lists them newest first', async () => {
      const at = (minute: number, ms: number) => new Date(Date.UTC(2026, 5, 15, 12, minute, 0, ms));
      const response = (completed: number[]): CompleteOrderResponse => ({
        completedOrderIds: completed,
        notFoundOrderIds: [missingId],
        unsuccessfulOrders: [
          {
            orderId: 4,
            reasons: [
              { requirement: 'order-age', code: 'ORDER.TOO_RECENT', message: 'too recent' },
            ],
          },
        ],
        unsuccessfullyNotifiedOrders: [
          {
            orderId: 5,
            reason: { kind: 'http-status', message: 'HTTP 500', status: 500, attempts: 3 },
          },
        ],
        unsuccessfullyUpdatedOrders: [
          { orderId: 6, reason: { code: 'UPDATE.FAILED', message: 'lock wait timeout' } },
        ],
        claimedElsewhereOrders: [
          {
            orderId: 7,
            reason: { code: 'CLAIM.CLAIMED_ELSEWHERE', message: 'another call holds it' },
          },
        ],
      });
      // Completed ids come from the ledger: claim and finish them under each run's id.
      const finishUnder = async (callId: string, ids: number[]) => {
        await db.ledger.claim({ callId, orderIds: ids, leaseMs: 60_000 });
        await db.ledger.markNotified(callId, ids);
        await db.ledger.finish(callId, ids);
      };
      const completedOf2 = Array.from({ length: 30_000 }, (_, i) => 1_000_000 + i);
      await finishUnder('run-01', [1, 2]);
      await finishUnder('run-02', completedOf2);
      for (const [id, minute] of [
        ['run-01', 1],
        ['run-02', 2],
        ['run-03', 3],
      ] as const) {
        await db.calls.start({ id, startedAt: at(minute, 123), requestedCount: 6 });
      }
      const running = await db.calls.findById('run-03');
      expect(running).toMatchObject({
        outcome: 'RUNNING',
        finishedAt: null,
        counts: { completed: 0 },
      });

      await db.calls.complete('run-01', {
        finishedAt: at(1, 456),
        outcome: 'COMPLETED',
        response: response([1, 2]),
      });
      await db.calls.complete('run-02', {
        finishedAt: at(2, 456),
        outcome: 'COMPLETED',
        response: response(completedOf2),
      });

      const run1 = await db.calls.findById('run-01');
      expect(run1).toEqual({
        id: 'run-01',
        runId: null,
        startedAt: at(1, 123),
        finishedAt: at(1, 456),
        requestedCount: 6,
        outcome: 'COMPLETED',
        failedCount: 5,
        counts: {
          completed: 2,
          finished_elsewhere: 0,
          not_found: 1,
          failed_requirements: 1,
          not_notified: 1,
          not_updated: 1,
          claimed_elsewhere: 1,
        },
        response: response([1, 2]),
      });
      expect((await db.calls.findById('run-02'))?.response.completedOrderIds).toEqual(completedOf2);
      expect(await db.calls.findById('run-missing')).toBeNull();

      // Only failures get a row per order: a million-order run stays small.
      expect(await target.runOrderOutcomes('run-01')).toEqual([
        { orderId: 4, outcome: 'failed_requirements' },
        { orderId: 5, outcome: 'not_notified' },
        { orderId: 6, outcome: 'not_updated' },
        { orderId: 7, outcome: 'claimed_elsewhere' },
        { orderId: missingId, outcome: 'not_found' },
      ]);
      expect(await target.runOrderOutcomes('run-02')).toHaveLength(5);

      const firstPage = await db.calls.list({ limit: 2 });
      expect(firstPage.runs.map((r) => [r.id, r.outcome])).toEqual([
        ['run-03', 'RUNNING'],
        ['run-02', 'COMPLETED'],
      ]);
      expect(firstPage.nextCursor).toBe('run-02');
      const secondPage = await db.calls.list({ before: 'run-02', limit: 2 });
      const { response: _r, ...summary1 } = run1 as CompletionCall;
      expect(secondPage).toEqual({ runs: [summary1], nextCursor: null });
    });

    describe('completion ledger', () => {
      const leasesEnd = (ms: number) => backdate(target.url, 'completion_ledger', ms);
      let ids: number[] = [];

      beforeAll(async () => {
        const seeded = await generate(62, { eligible: 1 });
        ids = seeded.ids;
      });

      it('claims free orders once: a second call sees them claimed elsewhere until the lease ends', async () => {
        const part = ids.slice(0, 10);
        const [firstId, secondId] = part as [number, number];
        const first = await db.ledger.claim({
          callId: 'ledger-a',
          orderIds: part,
          leaseMs: 1000,
        });
        expect(first).toEqual({ toNotify: part, alreadyNotified: [], claimedElsewhere: [] });
        const second = await db.ledger.claim({
          callId: 'ledger-b',
          orderIds: part,
          leaseMs: 1000,
        });
        expect(second).toEqual({ toNotify: [], alreadyNotified: [], claimedElsewhere: part });

        // Claimed orders are not pending while the lease lasts, and pending again after it.
        const pendingNow = await db.orders.findPendingIds({ afterId: firstId - 1, limit: 10 });
        expect(pendingNow.ids.some((id) => part.includes(id))).toBe(false);
        await leasesEnd(1000);
        const pendingLater = await db.orders.findPendingIds({ afterId: firstId - 1, limit: 10 });
        expect(pendingLater.ids).toEqual(part);

        // One acknowledged, one certainly not sent (released), the rest in flight at a "crash".
        await db.ledger.markNotified('ledger-a', [firstId]);
        await db.ledger.release('ledger-a', [secondId, firstId]);
        const taken = await db.ledger.claim({ callId: 'ledger-c', orderIds: part, leaseMs: 1000 });
        expect(taken).toEqual({
          toNotify: part.slice(1),
          alreadyNotified: [part[0]],
          claimedElsewhere: [],
        });
      });

      it('finishes exactly the SUBMITTED ones of a chunk some of whose orders another call finished', async () => {
        const part = (await generate(10, { eligible: 1 })).ids;
        await db.ledger.claim({ callId: 'ledger-m', orderIds: part, leaseMs: 1000 });
        await db.ledger.markNotified('ledger-m', part);
        // Three of them finished elsewhere (another route to ORDERS) before this call finishes.
        const elsewhere = [part[1], part[4], part[9]] as number[];
        expect((await db.orders.markFinished(elsewhere, new Date())).updatedIds).toEqual(elsewhere);
        const { updatedIds } = await db.ledger.finish('ledger-m', part);
        expect(updatedIds).toEqual(part.filter((id) => !elsewhere.includes(id)));
        const orders = await db.orders.findByIds(part);
        expect(orders.every((o) => o.state === 'FINISHED')).toBe(true);
        const entries = await Promise.all(part.map((id) => db.ledgerQueries.entry(id)));
        expect(entries.map((e) => e?.state)).toEqual(part.map(() => 'finished'));
      });

      it('finishes acknowledged orders with ORDERS in one transaction, and never twice', async () => {
        const part = ids.slice(10, 20);
        await db.ledger.claim({
          callId: 'ledger-d',
          orderIds: part,
          leaseMs: 1000,
        });
        await db.ledger.markNotified('ledger-d', part);
        expect(await db.ledger.finish('ledger-d', part)).toEqual({ updatedIds: part });
        expect(await db.ledger.finish('ledger-d', part)).toEqual({ updatedIds: [] });
        const orders = await db.orders.findByIds(part);
        expect(orders.every((o) => o.state === 'FINISHED')).toBe(true);
        // A finished order is not claimable by anyone else.
        const again = await db.ledger.claim({
          callId: 'ledger-e',
          orderIds: part,
          leaseMs: 1000,
        });
        expect(again.toNotify).toEqual([]);
      });

      it('a rolled-back finish leaves ORDERS and the ledger as they were', async () => {
        const part = ids.slice(20, 25);
        await db.ledger.claim({
          callId: 'ledger-f',
          orderIds: part,
          leaseMs: 1000,
        });
        await db.ledger.markNotified('ledger-f', part);
        await target.failUpdatesOf(part[3] as number);
        try {
          await expect(db.ledger.finish('ledger-f', part)).rejects.toThrow();
        } finally {
          await target.clearFailures();
        }
        expect((await db.orders.findByIds(part)).every((o) => o.state === 'SUBMITTED')).toBe(true);
        // Handed over: the next call takes them at once and finishes them without notifying.
        await db.ledger.handOver('ledger-f', part);
        const retry = await db.ledger.claim({
          callId: 'ledger-g',
          orderIds: part,
          leaseMs: 1000,
        });
        expect(retry).toEqual({ toNotify: [], alreadyNotified: part, claimedElsewhere: [] });
      });

      it('a held claim is taken over by no call, even after its lease, and is not pending', async () => {
        const part = ids.slice(60, 62);
        await db.ledger.claim({
          callId: 'held-a',
          orderIds: part,
          leaseMs: 1000,
        });
        await db.ledger.hold('held-a', [part[0] as number]);
        await leasesEnd(5000);
        const again = await db.ledger.claim({ callId: 'held-b', orderIds: part, leaseMs: 1000 });
        expect(again).toEqual({
          toNotify: [part[1]],
          alreadyNotified: [],
          claimedElsewhere: [part[0]],
        });
        await leasesEnd(60_000);
        const pending = await db.orders.findPendingIds({
          afterId: (part[0] as number) - 1,
          limit: 1,
        });
        expect(pending.ids).not.toContain(part[0]);
      });

      it('overlapping claims of the same orders by many calls give each order to exactly one', async () => {
        const part = ids.slice(25, 60);
        const calls = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            db.ledger.claim({
              callId: `race-${i}`,
              // each call asks in its own order, overlapping the others
              orderIds: i % 2 === 0 ? part : [...part].reverse(),
              leaseMs: 1000,
            }),
          ),
        );
        const winners = calls.flatMap((c) => c.toNotify).sort((a, b) => a - b);
        expect(winners).toEqual(part);
        for (const c of calls)
          expect(c.toNotify.length + c.claimedElsewhere.length).toBe(part.length);
      });

      it('a lease has one holder at a time and is free again once it ends', async () => {
        const a = await db.leases.acquire('scheduler', 'holder-a', 60_000);
        expect(a).toMatchObject({ acquired: true, holder: 'holder-a' });
        const b = await db.leases.acquire('scheduler', 'holder-b', 60_000);
        expect(b).toMatchObject({ acquired: false, holder: 'holder-a' });
        // Renewing moves the end to the database's time plus the new ttl.
        const databaseNow = (await db.clock.now()).getTime();
        const renewed = await db.leases.acquire('scheduler', 'holder-a', 120_000);
        expect(renewed.acquired).toBe(true);
        expect(renewed.leaseUntil.getTime() - databaseNow).toBeGreaterThanOrEqual(120_000);
        expect(renewed.leaseUntil.getTime() - databaseNow).toBeLessThan(130_000);
        await backdate(target.url, 'leases', 120_000);
        const afterEnd = await db.leases.acquire('scheduler', 'holder-b', 60_000);
        expect(afterEnd).toMatchObject({ acquired: true, holder: 'holder-b' });
        await db.leases.release('scheduler', 'holder-a');
        expect((await db.leases.acquire('scheduler', 'holder-c', 60_000)).holder).toBe('holder-b');
        await db.leases.release('scheduler', 'holder-b');
        expect((await db.leases.acquire('scheduler', 'holder-c', 60_000)).acquired).toBe(true);
        await db.leases.release('scheduler', 'holder-c');
      });

      it('judges claims in the database clock: written from its time, live until it passes', async () => {
        const { ids: part } = await generate(3, { eligible: 1 });
        const first = part[0] as number;
        const before = (await db.clock.now()).getTime();
        await db.ledger.claim({ callId: 'clock-a', orderIds: part, leaseMs: 600_000 });
        const entry = await db.ledgerQueries.entry(first);
        expect(entry?.claimedAt.getTime()).toBeGreaterThanOrEqual(before);
        expect(entry?.claimedAt.getTime()).toBeLessThan(before + 10_000);
        expect((entry?.leaseUntil.getTime() ?? 0) - (entry?.claimedAt.getTime() ?? 0)).toBe(
          600_000,
        );

        // Nine minutes on in the database: still live, whatever a process's clock says.
        await backdate(target.url, 'completion_ledger', 540_000);
        const early = await db.ledger.claim({ callId: 'clock-b', orderIds: part, leaseMs: 1000 });
        expect(early.claimedElsewhere).toEqual(part);
        expect((await db.ledgerQueries.staleClaims(1000)).map((c) => c.orderId)).not.toContain(
          first,
        );
        expect(await db.ledgerQueries.releaseStaleClaim(first)).toBe('not-stale');

        // Ten: ended, so the next call takes the claims over and an operator may release one.
        await backdate(target.url, 'completion_ledger', 60_000);
        expect((await db.ledgerQueries.staleClaims(1000)).map((c) => c.orderId)).toContain(first);
        expect(await db.ledgerQueries.releaseStaleClaim(first)).toBe('released');
        const late = await db.ledger.claim({ callId: 'clock-b', orderIds: part, leaseMs: 1000 });
        expect(late.toNotify).toEqual(part);
      });

      it('leaves out pending orders the hints rule out: too recent, not fully delivered, no lines', async () => {
        const mixed = await generate(50, {
          eligible: 1,
          'too-recent': 1,
          'not-delivered': 1,
          'no-lines': 1,
        });
        const first = mixed.ids[0] as number;
        const hints = [
          { kind: 'fully-delivered' as const },
          { kind: 'ordered-on-or-before' as const, date: monthsBefore(now, 6) },
        ];
        const page = await db.orders.findPendingIds({
          afterId: first - 1,
          limit: 1000,
          hints,
        });
        expect(page.ids.filter((id) => mixed.ids.includes(id))).toEqual(mixed.idsByKind.eligible);
        const unhinted = await db.orders.findPendingIds({ afterId: first - 1, limit: 1000 });
        expect(unhinted.ids.filter((id) => mixed.ids.includes(id))).toHaveLength(mixed.ids.length);
      });

      it('keeps one installation id, unless configuration names one', async () => {
        const first = await db.installationId();
        expect(first).toMatch(/^[0-9a-f-]{36}$/);
        expect(await db.installationId()).toBe(first);
        expect(await db.installationId('site-b')).toBe('site-b');
      });
    });
  });
}
