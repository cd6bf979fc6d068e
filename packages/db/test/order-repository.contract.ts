/**
 * The behaviour every OrderRepository/CompletionRunRepository adapter must show, run against
 * each real database (MariaDB and the embedded file) by the *.test.ts files beside it.
 */
import type { CompletionRun } from '@ocs/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GeneratedOrdersOptions,
  type OcsDatabase,
  openDatabase,
  seedGeneratedOrders,
} from '../src/client.js';
import { monthsBefore } from '../src/seed/demo-orders.js';

export interface ContractTarget {
  url: string;
  /** Makes the database itself raise an error when that order's row is updated. */
  failUpdatesOf(orderId: number): Promise<void>;
  clearFailures(): Promise<void>;
  /** The per-order outcome rows stored for a run, ascending by order id. */
  runOrderOutcomes(runId: string): Promise<{ orderId: number; outcome: string }[]>;
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

    it('saves runs, reads one back whole and lists them newest first', async () => {
      const run = (id: string, minute: number, completed: number[]): CompletionRun => ({
        id,
        startedAt: new Date(Date.UTC(2026, 5, 15, 12, minute, 0, 123)),
        finishedAt: new Date(Date.UTC(2026, 5, 15, 12, minute, 1, 456)),
        requestedCount: completed.length + 4,
        outcome: 'COMPLETED',
        completedCount: completed.length,
        failedCount: 4,
        response: {
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
        },
      });
      const many = Array.from({ length: 30_000 }, (_, i) => 1_000_000 + i);
      const [run1, run2, run3] = [
        run('run-01', 1, [1, 2]),
        run('run-02', 2, many),
        run('run-03', 3, [3]),
      ];
      const runs = [run1, run2, run3];
      for (const r of runs) await db.runs.save(r);

      expect(await db.runs.findById('run-02')).toEqual(run2);
      expect(await db.runs.findById('run-missing')).toBeNull();

      const outcomes = await target.runOrderOutcomes('run-01');
      expect(outcomes).toEqual([
        { orderId: 1, outcome: 'completed' },
        { orderId: 2, outcome: 'completed' },
        { orderId: 4, outcome: 'requirements-failed' },
        { orderId: 5, outcome: 'notification-failed' },
        { orderId: 6, outcome: 'update-failed' },
        { orderId: missingId, outcome: 'not-found' },
      ]);
      expect(await target.runOrderOutcomes('run-02')).toHaveLength(30_004);

      const summary = ({ response: _, ...rest }: CompletionRun) => rest;
      const firstPage = await db.runs.list({ limit: 2 });
      expect(firstPage).toEqual({
        runs: [summary(run3), summary(run2)],
        nextCursor: 'run-02',
      });
      const secondPage = await db.runs.list({ before: 'run-02', limit: 2 });
      expect(secondPage).toEqual({ runs: [summary(run1)], nextCursor: null });
    });
  });
}
