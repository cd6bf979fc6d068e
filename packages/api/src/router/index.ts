/** The tRPC router. Clients import `AppRouter` as a type only. */
import { TRPCError } from '@trpc/server';
import { publicProcedure, router } from '../trpc.js';
import { adminCallsRouter } from './admin-calls.js';
import { adminOrdersRouter } from './admin-orders.js';
import { sessionRouter } from './admin-session.js';
import { callsRouter } from './calls.js';
import { claimsRouter } from './claims.js';
import { ordersRouter } from './orders.js';
import { runsRouter } from './runs.js';
import { schedulerRouter } from './scheduler.js';

export const appRouter = router({
  orders: router({ ...ordersRouter, ...adminOrdersRouter }),
  calls: router({ ...callsRouter, ...adminCallsRouter }),
  runs: router(runsRouter),
  claims: router(claimsRouter),
  session: router(sessionRouter),
  scheduler: router(schedulerRouter),
  /** Liveness and readiness: 200 when the database answers, 503 when it does not. */
  health: publicProcedure.query(async ({ ctx }) => {
    try {
      await ctx.pingDatabase();
    } catch {
      throw new TRPCError({
        code: 'SERVICE_UNAVAILABLE',
        message: 'The database is unreachable',
      });
    }
    return { status: 'ok' as const, database: 'up' as const };
  }),
});

export type AppRouter = typeof appRouter;
