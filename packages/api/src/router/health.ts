/** Liveness and readiness over tRPC, for clients that speak only tRPC. */
import { TRPCError } from '@trpc/server';
import { publicProcedure } from '../trpc.js';

/** 200 when the database answers, 503 when it does not; no token needed. */
export const health = publicProcedure.query(async ({ ctx }) => {
  try {
    await ctx.pingDatabase();
  } catch {
    throw new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: 'The database is unreachable',
    });
  }
  return { status: 'ok' as const, database: 'up' as const };
});
