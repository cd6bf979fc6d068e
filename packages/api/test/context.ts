/** An in-process context for `createCaller` tests: ports backed by arrays. */
import {
  type CompleteOrderResponse,
  type CompletionCall,
  countsOf,
  emptyCompleteOrderResponse,
  type Order,
  type OrderId,
} from '@ocs/domain';
import type { Context, Role } from '../src/index.js';

export const seedOrders: Order[] = [
  { id: 1, orderDate: new Date('2020-01-01T00:00:00Z'), state: 'SUBMITTED', lines: [] },
  { id: 2, orderDate: new Date('2020-02-01T00:00:00Z'), state: 'FINISHED', lines: [] },
];

export interface FakeContext extends Context {
  completedCalls: OrderId[][];
}

export function fakeContext(
  role: Role | null,
  overrides: Partial<Context> & {
    answer?: (ids: readonly OrderId[]) => CompleteOrderResponse;
  } = {},
): FakeContext {
  const completedCalls: OrderId[][] = [];
  const runs: CompletionCall[] = [];
  const answer =
    overrides.answer ??
    ((ids) => ({ ...emptyCompleteOrderResponse(), completedOrderIds: [...ids] }));
  return {
    principal: role ? { role } : null,
    completedCalls,
    completion: {
      async complete(orderIds) {
        completedCalls.push([...orderIds]);
        return { callId: 'run-1', response: answer(orderIds) };
      },
    },
    orders: {
      findByIds: async (ids) => seedOrders.filter((o) => ids.includes(o.id)),
      markFinished: async () => ({ updatedIds: [] }),
      findPendingIds: async ({ afterId, limit }) => {
        const ids = seedOrders
          .filter((o) => o.state === 'SUBMITTED' && o.id > (afterId ?? 0))
          .map((o) => o.id)
          .slice(0, limit);
        return { ids, nextCursor: null };
      },
      list: async ({ state, limit }) => ({
        orders: seedOrders.filter((o) => !state || o.state === state).slice(0, limit),
        nextCursor: null,
      }),
    },
    calls: {
      start: async ({ id, startedAt, requestedCount, runId }) => {
        runs.push({
          id,
          runId: runId ?? null,
          startedAt,
          requestedCount,
          finishedAt: null,
          outcome: 'RUNNING',
          failedCount: 0,
          counts: countsOf(emptyCompleteOrderResponse()),
          response: emptyCompleteOrderResponse(),
        });
      },
      complete: async (id, end) => {
        const run = runs.find((r) => r.id === id);
        if (!run) return;
        Object.assign(run, {
          finishedAt: end.finishedAt,
          outcome: end.outcome,
          counts: countsOf(end.response),
          failedCount: run.requestedCount - end.response.completedOrderIds.length,
          response: end.response,
        });
      },
      findById: async (id) => runs.find((r) => r.id === id) ?? null,
      list: async () => ({ runs: [], nextCursor: null }),
    },
    // The scheduler runs have their own tests on a real database (packages/db, apps/server).
    runs: {} as Context['runs'],
    leases: {
      acquire: async (_name, holder, ttlMs) => ({
        acquired: true,
        holder,
        leaseUntil: new Date(Date.now() + ttlMs),
      }),
      release: async () => {},
    },
    pendingHints: () => [],
    // The admin procedures have their own tests on a real database (apps/server).
    ledgerQueries: {} as Context['ledgerQueries'],
    requirements: [],
    claimLeaseMs: 60_000,
    databaseClock: { now: async () => new Date() },
    pingDatabase: async () => {},
    limits: { maxIdsPerCall: 3 },
    ...overrides,
  };
}
