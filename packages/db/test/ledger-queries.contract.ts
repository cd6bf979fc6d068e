/**
 * The operators' ledger queries on each real database (MariaDB and the embedded file), run
 * by the *.test.ts files beside it on a fresh database of their own.
 */
import { emptyCompleteOrderResponse } from '@ocs/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OcsDatabase, openDatabase } from '../src/client.js';
import { backdate, type TestDatabase } from '../src/testing/index.js';

const t0 = new Date('2026-06-15T23:30:00.000Z');
const minutes = (n: number) => new Date(t0.getTime() + n * 60_000);

export function describeLedgerQueriesContract(
  name: string,
  skip: boolean,
  createDatabase: () => Promise<TestDatabase>,
): void {
  describe.skipIf(skip)(`ledger queries contract: ${name}`, () => {
    let testDb: TestDatabase;
    let db: OcsDatabase;

    beforeAll(async () => {
      testDb = await createDatabase();
      db = openDatabase({ url: testDb.url });
      await db.migrate();
      await db.seedDemo(t0);
    });

    afterAll(async () => {
      await db?.close();
      await testDb?.drop();
    });

    it('given no claim, an order has no ledger entry and no history', async () => {
      expect(await db.ledgerQueries.entry(1)).toBeNull();
      expect(await db.ledgerQueries.orderHistory(1, 10)).toEqual([]);
    });

    it('given runs over two UTC days, history and runs per day say what each run did', async () => {
      await db.calls.start({ id: 'run-a', startedAt: t0, requestedCount: 3 });
      await db.calls.complete('run-a', {
        finishedAt: minutes(1),
        outcome: 'COMPLETED',
        response: {
          ...emptyCompleteOrderResponse(),
          completedOrderIds: [2],
          unsuccessfulOrders: [
            {
              orderId: 1,
              reasons: [{ requirement: 'fully-delivered', code: 'ORDER.X', message: 'm' }],
            },
          ],
          unsuccessfullyNotifiedOrders: [
            { orderId: 3, reason: { kind: 'http-status', message: '503', attempts: 2 } },
          ],
        },
      });
      await db.calls.start({ id: 'run-b', startedAt: minutes(40), requestedCount: 1 });
      await db.calls.complete('run-b', {
        finishedAt: minutes(41),
        outcome: 'COMPLETED',
        response: { ...emptyCompleteOrderResponse(), completedOrderIds: [3] },
      });
      await db.calls.start({ id: 'run-c', startedAt: minutes(50), requestedCount: 1 });

      const history = await db.ledgerQueries.orderHistory(3, 10);
      expect(history).toEqual([
        {
          callId: 'run-a',
          startedAt: t0,
          runOutcome: 'COMPLETED',
          outcome: 'not_notified',
          reason: { kind: 'http-status', message: '503', attempts: 2 },
        },
      ]);
      expect(await db.ledgerQueries.callsPerDay(new Date('2026-06-01T00:00:00Z'))).toEqual([
        { day: '2026-06-15', runs: 1, completed: 1, failed: 2 },
        { day: '2026-06-16', runs: 2, completed: 1, failed: 0 },
      ]);
      expect(await db.ledgerQueries.callsPerDay(minutes(30))).toEqual([
        { day: '2026-06-16', runs: 2, completed: 1, failed: 0 },
      ]);
    });

    it('given claims whose lease ended, they are stale; release deletes claimed and hands over notified', async () => {
      // Leases are judged in the database's clock: `backdate` is time passing there.
      const before = (await db.clock.now()).getTime();
      await db.ledger.claim({ callId: 'dead', orderIds: [1, 2, 3, 4], leaseMs: 600_000 });
      await db.ledger.markNotified('dead', [3]);
      await db.ledger.hold('dead', [1]);
      await db.ledger.claim({ callId: 'alive', orderIds: [5], leaseMs: 3_600_000 });
      // Finished by other means (e.g. the original service): nothing left to do for its claim.
      expect(await db.orders.markFinished([4], t0)).toEqual({ updatedIds: [4] });

      // A held claim needs an operator whatever its lease says.
      const live = await db.ledgerQueries.staleClaims(10);
      expect(live.map((e) => [e.orderId, e.state])).toEqual([[1, 'unconfirmed']]);
      expect(await db.ledgerQueries.releaseStaleClaim(2)).toBe('not-stale');
      // What the pending pages leave out: 2, 3 and 5 held by live calls, 1 for an operator.
      const held = await db.ledgerQueries.heldClaims();
      expect(held).toMatchObject({ heldByOtherCalls: 3, heldForOperator: 1 });
      expect(held.oldestClaimAgeMs).toBeGreaterThanOrEqual(0);
      expect(held.oldestClaimAgeMs).toBeLessThan(10_000);
      await backdate(testDb.url, 'completion_ledger', 1_200_000);
      // The dead run's leases ended: only 5 is held, claimed 20 minutes ago.
      const later = await db.ledgerQueries.heldClaims();
      expect(later).toMatchObject({ heldByOtherCalls: 1, heldForOperator: 1 });
      expect(later.oldestClaimAgeMs).toBeGreaterThanOrEqual(1_200_000);
      expect(later.oldestClaimAgeMs).toBeLessThan(1_200_000 + 10_000);
      const stale = await db.ledgerQueries.staleClaims(10);
      expect(stale.map((e) => [e.orderId, e.state, e.callId, e.claims])).toEqual([
        [1, 'unconfirmed', 'dead', 1],
        [2, 'claimed', 'dead', 1],
        [3, 'notified', 'dead', 1],
      ]);
      // Claimed and notified in the database's time (20 minutes ago, after the backdating).
      const claimedAt = stale[1]?.claimedAt.getTime() ?? 0;
      expect(claimedAt).toBeGreaterThanOrEqual(before - 1_200_000);
      expect(claimedAt).toBeLessThan(before - 1_200_000 + 10_000);
      expect(stale[1]?.leaseUntil.getTime()).toBe(claimedAt + 600_000);
      expect(stale[2]?.notifiedAt?.getTime()).toBeGreaterThanOrEqual(claimedAt);
      expect(await db.ledgerQueries.staleClaims(2)).toHaveLength(2);

      expect(await db.ledgerQueries.releaseStaleClaim(1)).toBe('released');
      expect(await db.ledgerQueries.releaseStaleClaim(5)).toBe('not-stale');
      expect(await db.ledgerQueries.releaseStaleClaim(2)).toBe('released');
      expect(await db.ledgerQueries.releaseStaleClaim(3)).toBe('handed-over');
      expect(await db.ledgerQueries.releaseStaleClaim(2)).toBe('not-stale');
      expect(await db.ledgerQueries.entry(2)).toBeNull();
      expect((await db.ledgerQueries.entry(3))?.leaseUntil.getTime()).toBe(0);
      expect((await db.ledgerQueries.entry(5))?.state).toBe('claimed');

      // The next call takes over the handed-over order at once and finishes it.
      const claim = await db.ledger.claim({ callId: 'next', orderIds: [3], leaseMs: 600_000 });
      expect(claim.alreadyNotified).toEqual([3]);
      await db.ledger.finish('next', [3]);
      expect(await db.ledgerQueries.entry(3)).toMatchObject({
        state: 'finished',
        callId: 'next',
        claims: 2,
      });
      expect((await db.ledgerQueries.entry(3))?.finishedAt?.getTime()).toBeGreaterThanOrEqual(
        before,
      );
      await backdate(testDb.url, 'completion_ledger', 3_600_000);
      expect(await db.ledgerQueries.releaseStaleClaim(3)).toBe('not-stale');
    });
  });
}
