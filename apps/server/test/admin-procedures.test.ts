/** The admin app's procedures over a real embedded database, called in-process. */

import { appRouter, type Context, createCallerFactory, type Principal } from '@ocs/api';
import { type OcsDatabase, openDatabase } from '@ocs/db/client';
import { backdate, createEmbeddedTestDatabase, type TestDatabase } from '@ocs/db/testing';
import { emptyCompleteOrderResponse, type OrderCompletion } from '@ocs/domain';
import { defaultRequirements } from '@ocs/requirements';
import { TRPCError } from '@trpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let testDb: TestDatabase;
let db: OcsDatabase;
const claimLeaseMs = 60_000;

function caller(principal: Principal | null) {
  const context: Context = {
    principal,
    completion: {} as OrderCompletion,
    orders: db.orders,
    calls: db.calls,
    runs: db.schedulerRuns,
    leases: db.leases,
    ledgerQueries: db.ledgerQueries,
    requirements: defaultRequirements(),
    claimLeaseMs,
    databaseClock: db.clock,
    pendingHints: () => [],
    pingDatabase: () => db.ping(),
    limits: { maxIdsPerCall: 100 },
  };
  return createCallerFactory(appRouter)(context);
}
const admin = () => caller({ role: 'admin' });

beforeAll(async () => {
  testDb = await createEmbeddedTestDatabase();
  db = openDatabase({ url: testDb.url });
  await db.migrate();
  await db.seedDemo(new Date());
});

afterAll(async () => {
  await db?.close();
  await testDb?.drop();
});

describe('admin procedures', () => {
  const reads = [
    (c: ReturnType<typeof caller>) => c.session.me(),
    (c: ReturnType<typeof caller>) => c.orders.detail({ id: 1 }),
    (c: ReturnType<typeof caller>) => c.calls.history({}),
    (c: ReturnType<typeof caller>) => c.calls.perDay({}),
    (c: ReturnType<typeof caller>) => c.claims.stale({}),
    (c: ReturnType<typeof caller>) => c.claims.release({ orderIds: [1] }),
  ];

  it('given the scheduler token, refuse every admin procedure with the reason (403)', async () => {
    for (const call of reads) {
      const error = await call(caller({ role: 'scheduler' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe('FORBIDDEN');
      expect((error as TRPCError).message).toBe('This procedure needs one of the roles: admin');
    }
  });

  it('given no token, refuse with 401', async () => {
    for (const call of reads) {
      await expect(call(caller(null))).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    }
  });

  it('an admin session says its role', async () => {
    expect(await admin().session.me()).toEqual({ role: 'admin' });
  });

  it("an order's detail has its lines and every requirement's verdict with its reason", async () => {
    const one = await admin().orders.detail({ id: 1 });
    expect(one.order.lines).toHaveLength(2);
    expect(typeof one.order.orderDate).toBe('string');
    expect(one.verdicts.map((v) => [v.requirement, v.passed, v.reason?.code ?? null])).toEqual([
      ['order-not-finished', true, null],
      ['fully-delivered', false, 'ORDER.NOT_FULLY_DELIVERED'],
      ['order-age', true, null],
    ]);
    expect(one.ledger).toBeNull();
    const two = await admin().orders.detail({ id: 2 });
    expect(two.verdicts.every((v) => v.passed)).toBe(true);
    await expect(admin().orders.detail({ id: 999 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('orders.list searches by id within the state filter', async () => {
    expect((await admin().orders.list({ id: 3 })).orders.map((o) => o.id)).toEqual([3]);
    expect((await admin().orders.list({ id: 3, state: 'FINISHED' })).orders).toEqual([]);
    expect((await admin().orders.list({ limit: 2 })).nextCursor).toBe(2);
  });

  it('claims of a dead run are listed with their age and released by state', async () => {
    // Claimed five leases ago, in the database's clock.
    await db.ledger.claim({ callId: 'dead-run', orderIds: [2, 3], leaseMs: claimLeaseMs });
    await db.ledger.markNotified('dead-run', [3]);
    await backdate(testDb.url, 'completion_ledger', 5 * claimLeaseMs);
    await db.ledger.claim({ callId: 'live-run', orderIds: [5], leaseMs: claimLeaseMs });
    const { claims } = await admin().claims.stale({});
    expect(claims.map((c) => [c.orderId, c.state, c.callId, c.leaseEnded])).toEqual([
      [2, 'claimed', 'dead-run', true],
      [3, 'notified', 'dead-run', true],
    ]);
    expect(claims[0]?.ageMs).toBeGreaterThanOrEqual(5 * claimLeaseMs);

    const detail = await admin().orders.detail({ id: 3 });
    expect(detail.ledger).toMatchObject({ state: 'notified', callId: 'dead-run', claims: 1 });

    expect(await admin().claims.release({ orderIds: [2, 3, 5] })).toEqual({
      results: [
        { orderId: 2, outcome: 'released' },
        { orderId: 3, outcome: 'handed-over' },
        { orderId: 5, outcome: 'not-stale' },
      ],
    });
    expect((await admin().claims.stale({})).claims.map((c) => c.orderId)).toEqual([3]);
  });

  it('runs: history marks a run RUNNING for longer than a lease as unfinished; detail lists retryable ids', async () => {
    await db.calls.start({
      id: '0000-old',
      startedAt: new Date(Date.now() - 2 * claimLeaseMs),
      requestedCount: 1,
    });
    const started = new Date(Date.now() - 1000);
    await db.calls.start({ id: '0001-done', startedAt: started, requestedCount: 3 });
    await db.calls.complete('0001-done', {
      finishedAt: new Date(started.getTime() + 250),
      outcome: 'COMPLETED',
      response: {
        ...emptyCompleteOrderResponse(),
        completedOrderIds: [],
        notFoundOrderIds: [77],
        unsuccessfullyNotifiedOrders: [
          { orderId: 2, reason: { kind: 'http-status', status: 503, message: 'x', attempts: 2 } },
        ],
        unsuccessfulOrders: [
          {
            orderId: 4,
            reasons: [{ requirement: 'order-age', code: 'ORDER.TOO_RECENT', message: 'y' }],
          },
        ],
      },
    });
    await db.calls.start({ id: '0002-live', startedAt: new Date(), requestedCount: 1 });

    const { runs } = await admin().calls.history({});
    expect(runs.map((r) => [r.id, r.outcome, r.unfinished, r.durationMs])).toEqual([
      ['0002-live', 'RUNNING', false, null],
      ['0001-done', 'COMPLETED', false, 250],
      ['0000-old', 'RUNNING', true, null],
    ]);
    const detail = await admin().calls.detail({ id: '0001-done' });
    expect(detail.retryableOrderIds).toEqual([2]);
    expect(detail.failedCount).toBe(3);
    const today = new Date().toISOString().slice(0, 10);
    const perDay = await admin().calls.perDay({ days: 7 });
    expect(perDay.find((d) => d.day === today)).toMatchObject({ failed: 3 });
  });
});
