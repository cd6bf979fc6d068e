/**
 * The scheduler's lock (one runner at a time), its heartbeat, and the claims that keep a run
 * from calling itself done.
 */
import { schedulerLockName, schedulerReportSchema } from '@ocs/domain';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authorizedProcedure } from '../trpc.js';
import { holderSchema } from './shared.js';

export const schedulerRouter = {
  /**
   * Takes (or renews) the single-runner lock for `ttlMs`. Answers who holds it; a holder that
   * dies keeps it only until its lease ends.
   */
  acquireLock: authorizedProcedure('scheduler')
    .input(z.object({ holder: holderSchema, ttlMs: z.number().int().min(1000).max(3_600_000) }))
    .mutation(async ({ ctx, input }) => {
      // The lease is decided in the database's clock, whatever this replica's says.
      const lease = await ctx.leases.acquire(schedulerLockName, input.holder, input.ttlMs);
      return { ...lease, leaseUntil: lease.leaseUntil.toISOString() };
    }),

  /**
   * Orders still SUBMITTED that the pending pages leave out: held by calls whose claims'
   * leases have not ended, or held for an operator. A run reports them rather than calling
   * itself done.
   */
  heldClaims: authorizedProcedure('scheduler', 'admin').query(({ ctx }) =>
    ctx.ledgerQueries.heldClaims(),
  ),

  /**
   * A scheduler says it is alive (with its cron expression and next run); the answer names the
   * oldest run requested from the admin app, for it to carry out when it is idle.
   */
  heartbeat: authorizedProcedure('scheduler')
    .input(schedulerReportSchema)
    .mutation(async ({ ctx, input }) => {
      await ctx.runs.heartbeat(input);
      const requested = await ctx.runs.nextRequested();
      return {
        requestedRun: requested ? { id: requested.id, triggeredBy: requested.triggeredBy } : null,
      };
    }),

  releaseLock: authorizedProcedure('scheduler')
    .input(z.object({ holder: holderSchema }))
    .mutation(async ({ ctx, input }) => {
      await ctx.leases.release(schedulerLockName, input.holder);
      return { released: true as const };
    }),
} satisfies TRPCRouterRecord;
