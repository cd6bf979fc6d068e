/**
 * A small real tRPC server for the scheduler's tests: the four procedures the scheduler calls
 * (`scheduler.acquireLock` / `releaseLock`, `orders.pendingCompletion`, `orders.complete`),
 * with the server's shapes, bearer-token check and `error.data.completion`, over the standalone
 * HTTP adapter. Each order answers from a script of outcomes, one per `orders.complete` call
 * that carries it; the stub records what it received so tests assert on that.
 */
import type { AddressInfo } from 'node:net';
import {
  type CompleteOrderResponse,
  emptyCompleteOrderResponse,
  isCompletionError,
  NoOrdersFoundError,
  NoOrdersSuccessfullyNotifiedError,
  NoOrdersSuccessfullyUpdatedError,
} from '@ocs/domain';
import { initTRPC, TRPCError } from '@trpc/server';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import superjson from 'superjson';
import { z } from 'zod';

/** What one `orders.complete` call does with one order. */
export type Outcome =
  | 'complete'
  | 'notNotified'
  /** UPDATE.FAILED: rolled back, retryable. */
  | 'notUpdated'
  /** UPDATE.NOT_SUBMITTED: another call finished it meanwhile. */
  | 'finishedElsewhere'
  | 'claimedElsewhere'
  | { requirements: string[] };

export const schedulerToken = 'scheduler-token-0123456789';

export interface StubServer {
  readonly url: string;
  /** The SUBMITTED orders (ascending) with their scripts; unknown ids answer "not found". */
  addOrders(ids: number[], ...script: Outcome[]): void;
  /** The ids of every `orders.complete` call, in arrival order. */
  readonly completeCalls: number[][];
  /** `{ cursor, limit }` of every `orders.pendingCompletion` query. */
  readonly pageQueries: { cursor: number | null; limit: number }[];
  /** Every `scheduler.acquireLock` input and every released holder. */
  readonly lockRequests: { holder: string; ttlMs: number }[];
  readonly releasedHolders: string[];
  /** The lock as the server sees it (`null`: free). */
  lock: { holder: string; leaseUntil: string } | null;
  /** The token the server accepts. */
  token: string;
  /** The next `n` complete calls are processed, then their connection is dropped unanswered. */
  loseAnswers: number;
  /** The next complete calls answer this error instead (one per call), e.g. 'BAD_REQUEST'. */
  failCompletes: ('BAD_REQUEST' | 'INTERNAL_SERVER_ERROR')[];
  /** The next page queries answer this error instead (one per query). */
  failPages: 'INTERNAL_SERVER_ERROR'[];
  /** The next `n` lock requests answer INTERNAL_SERVER_ERROR (e.g. the database blipped). */
  failLocks: number;
  /** The token is known but lacks the scheduler role: every procedure answers FORBIDDEN. */
  forbidden: boolean;
  /** Answers as a server from before `claimedElsewhereOrders` did: the list left out. */
  olderServer: boolean;
  /** Ids the pages list although the server knows no such order (deleted meanwhile). */
  phantomIds: number[];
  /** Called when a page query arrives, before it is answered. */
  onPage: (() => void) | null;
  /** Called when a complete call arrives, before it is processed. */
  onComplete: (() => void) | null;
  /** While set, complete calls wait for it; `inFlight` counts them meanwhile. */
  gate: Promise<void> | null;
  /** What `scheduler.heldClaims` answers; `null`: it fails (an older server). */
  held: {
    heldByOtherCalls: number;
    oldestClaimAgeMs: number | null;
    heldForOperator: number;
  } | null;
  /** Every run the job recorded (`runs.begin`), with its progress reports and its end. */
  readonly runs: {
    id: string;
    triggeredBy: string;
    reports: unknown[];
    end: Record<string, unknown> | null;
  }[];
  /** While set, lock requests wait for it (a server that never answers). */
  lockGate: Promise<void> | null;
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Resolves once `count` complete calls are waiting at the gate at the same time. */
  waitForInFlight(count: number): Promise<void>;
  /** Resolves once `count` lock requests have arrived (answered or not). */
  waitForLockRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startStubServer(): Promise<StubServer> {
  const scripts = new Map<number, Outcome[]>();
  const finished = new Set<number>();
  let inFlight = 0;
  let maxInFlight = 0;
  let inFlightWaiters: { count: number; resolve: () => void }[] = [];
  let lockWaiters: { count: number; resolve: () => void }[] = [];

  const t = initTRPC.context<Context>().create({
    // The scheduler's client speaks superjson, as the real server does.
    transformer: superjson,
    isDev: false,
    errorFormatter({ shape, error }) {
      const { cause } = error;
      const completion = isCompletionError(cause)
        ? { code: cause.code, response: cause.response }
        : null;
      // As the real server: every 5xx says the call may be repeated.
      const retryable = shape.data.httpStatus >= 500;
      return { ...shape, data: { ...shape.data, completion, retryable } };
    },
  });
  const authorized = t.procedure.use(({ ctx, next }) => {
    if (ctx.authorization !== `Bearer ${stub.token}`) {
      throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Unknown token' });
    }
    if (stub.forbidden) {
      throw new TRPCError({ code: 'FORBIDDEN', message: 'The token lacks the scheduler role' });
    }
    return next();
  });

  const router = t.router({
    runs: t.router({
      begin: authorized
        .input(z.object({ holder: z.string(), triggeredBy: z.string() }).passthrough())
        .mutation(({ input }) => {
          const id = `run-${stub.runs.length + 1}`;
          stub.runs.push({ id, triggeredBy: input.triggeredBy, reports: [], end: null });
          return { id, triggeredBy: input.triggeredBy, retryOf: null, expected: null };
        }),
      report: authorized
        .input(z.object({ id: z.string(), holder: z.string(), progress: z.unknown() }))
        .mutation(({ input }) => {
          stub.runs.find((r) => r.id === input.id)?.reports.push(input.progress);
          return { recorded: true };
        }),
      end: authorized
        .input(
          z.object({ id: z.string(), holder: z.string(), end: z.record(z.string(), z.unknown()) }),
        )
        .mutation(({ input }) => {
          const run = stub.runs.find((r) => r.id === input.id);
          if (run) run.end = input.end;
          return { recorded: true };
        }),
    }),
    scheduler: t.router({
      acquireLock: authorized
        .input(z.object({ holder: z.string(), ttlMs: z.number() }))
        .mutation(async ({ input }) => {
          stub.lockRequests.push(input);
          lockWaiters = lockWaiters.filter((waiter) => {
            if (stub.lockRequests.length < waiter.count) return true;
            waiter.resolve();
            return false;
          });
          if (stub.lockGate) await stub.lockGate;
          if (stub.failLocks > 0) {
            stub.failLocks -= 1;
            throw new TRPCError({
              code: 'INTERNAL_SERVER_ERROR',
              message: 'scripted lock failure',
            });
          }
          const now = Date.now();
          const lock = stub.lock;
          if (lock && lock.holder !== input.holder && Date.parse(lock.leaseUntil) > now) {
            return { acquired: false, ...lock };
          }
          stub.lock = {
            holder: input.holder,
            leaseUntil: new Date(now + input.ttlMs).toISOString(),
          };
          return { acquired: true, ...stub.lock };
        }),
      heldClaims: authorized.query(() => {
        if (!stub.held) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such procedure' });
        return stub.held;
      }),
      releaseLock: authorized.input(z.object({ holder: z.string() })).mutation(({ input }) => {
        stub.releasedHolders.push(input.holder);
        if (stub.lock?.holder === input.holder) stub.lock = null;
        return { released: true as const };
      }),
    }),
    orders: t.router({
      pendingCompletion: authorized
        .input(z.object({ cursor: z.number().nullable().optional(), limit: z.number() }))
        .query(({ input }) => {
          const cursor = input.cursor ?? null;
          stub.pageQueries.push({ cursor, limit: input.limit });
          stub.onPage?.();
          const pageFailure = stub.failPages.shift();
          if (pageFailure) {
            throw new TRPCError({ code: pageFailure, message: `scripted ${pageFailure}` });
          }
          const ids = [...scripts.keys(), ...stub.phantomIds]
            .filter((id) => !finished.has(id) && (cursor === null || id > cursor))
            .sort((a, b) => a - b)
            .slice(0, input.limit);
          const nextCursor = ids.length === input.limit ? (ids.at(-1) ?? null) : null;
          return { ids, nextCursor };
        }),
      complete: authorized
        .input(z.object({ orderIds: z.array(z.number()) }))
        .mutation(async ({ ctx, input }) => {
          stub.completeCalls.push([...input.orderIds]);
          stub.onComplete?.();
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          inFlightWaiters = inFlightWaiters.filter((waiter) => {
            if (inFlight < waiter.count) return true;
            waiter.resolve();
            return false;
          });
          try {
            if (stub.gate) await stub.gate;
          } finally {
            inFlight -= 1;
          }
          const failure = stub.failCompletes.shift();
          if (failure) throw new TRPCError({ code: failure, message: `scripted ${failure}` });
          const response = answer(input.orderIds);
          if (stub.loseAnswers > 0) {
            stub.loseAnswers -= 1;
            ctx.destroy();
          }
          if (stub.olderServer && response.claimedElsewhereOrders.length === 0) {
            const { claimedElsewhereOrders: _, ...older } = response;
            if (response.completedOrderIds.length > 0) return { callId: 'run', ...older };
          }
          if (response.completedOrderIds.length > 0) return { callId: 'run', ...response };
          throw new TRPCError({
            code: 'BAD_REQUEST',
            message: 'nothing completed',
            cause: completionError(response),
          });
        }),
    }),
  });

  function answer(ids: number[]): CompleteOrderResponse {
    const response = emptyCompleteOrderResponse();
    for (const id of new Set(ids)) {
      const script = scripts.get(id);
      if (!script) {
        response.notFoundOrderIds.push(id);
        continue;
      }
      if (finished.has(id)) {
        const reasons = [failure('ORDER.ALREADY_FINISHED')];
        response.unsuccessfulOrders.push({ orderId: id, reasons });
        continue;
      }
      const outcome = script.length > 1 ? (script.shift() as Outcome) : (script[0] ?? 'complete');
      if (outcome === 'complete') {
        finished.add(id);
        response.completedOrderIds.push(id);
      } else if (outcome === 'notNotified') {
        response.unsuccessfullyNotifiedOrders.push({
          orderId: id,
          reason: { kind: 'http-status', status: 500, message: 'HTTP 500', attempts: 4 },
        });
      } else if (outcome === 'notUpdated' || outcome === 'finishedElsewhere') {
        const code = outcome === 'notUpdated' ? 'UPDATE.FAILED' : 'UPDATE.NOT_SUBMITTED';
        if (outcome === 'finishedElsewhere') finished.add(id);
        response.unsuccessfullyUpdatedOrders.push({ orderId: id, reason: { code, message: code } });
      } else if (outcome === 'claimedElsewhere') {
        response.claimedElsewhereOrders.push({
          orderId: id,
          reason: { code: 'CLAIM.CLAIMED_ELSEWHERE', message: 'held by another call' },
        });
      } else {
        response.unsuccessfulOrders.push({
          orderId: id,
          reasons: outcome.requirements.map(failure),
        });
      }
    }
    return response;
  }

  const server = createHTTPServer({
    basePath: '/trpc/',
    router,
    createContext: ({ req, res }): Context => ({
      authorization: req.headers.authorization,
      destroy: () => res.socket?.destroy(),
    }),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const stub: StubServer = {
    url: `http://127.0.0.1:${port}`,
    addOrders(ids, ...script) {
      for (const id of ids) scripts.set(id, [...script]);
    },
    completeCalls: [],
    pageQueries: [],
    lockRequests: [],
    releasedHolders: [],
    lock: null,
    token: schedulerToken,
    loseAnswers: 0,
    failCompletes: [],
    failPages: [],
    failLocks: 0,
    forbidden: false,
    olderServer: false,
    phantomIds: [],
    onPage: null,
    onComplete: null,
    gate: null,
    lockGate: null,
    held: { heldByOtherCalls: 0, oldestClaimAgeMs: null, heldForOperator: 0 },
    runs: [],
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    waitForInFlight(count) {
      if (inFlight >= count) return Promise.resolve();
      return new Promise<void>((resolve) => inFlightWaiters.push({ count, resolve }));
    },
    waitForLockRequests(count) {
      if (stub.lockRequests.length >= count) return Promise.resolve();
      return new Promise<void>((resolve) => lockWaiters.push({ count, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return stub;
}

interface Context {
  authorization: string | undefined;
  /** Drops the connection: the call is processed but its answer lost. */
  destroy: () => void;
}

function failure(code: string) {
  return { requirement: code.toLowerCase(), code, message: code };
}

function completionError(response: CompleteOrderResponse) {
  if (response.notFoundOrderIds.length > 0 && response.unsuccessfulOrders.length === 0) {
    return new NoOrdersFoundError('None of the requested orders exists', response);
  }
  if (response.unsuccessfullyUpdatedOrders.length > 0) {
    return new NoOrdersSuccessfullyUpdatedError('No notified order could be updated', response);
  }
  return new NoOrdersSuccessfullyNotifiedError('No order could be notified', response);
}
