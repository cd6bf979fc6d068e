import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authorizedProcedure } from '../trpc.js';

/** The one lease every scheduler competes for, so two never work the same run. */
export const schedulerLockName = 'scheduler';

const holderSchema = z.string().min(1).max(128);

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

  releaseLock: authorizedProcedure('scheduler')
    .input(z.object({ holder: holderSchema }))
    .mutation(async ({ ctx, input }) => {
      await ctx.leases.release(schedulerLockName, input.holder);
      return { released: true as const };
    }),
} satisfies TRPCRouterRecord;
