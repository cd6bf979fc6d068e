/**
 * Claims left behind by a run that is no longer alive (its lease ended while the order was
 * `claimed` or `notified`), and their release by an operator. Releasing is what the next call
 * would do anyway after the lease; it only saves the wait and makes it visible.
 */
import { orderIdSchema, type ReleaseOutcome } from '@ocs/domain';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authorizedProcedure } from '../trpc.js';
import { ledgerEntryJson } from './shared.js';

export const claimsRouter = {
  stale: authorizedProcedure('admin')
    .input(z.object({ limit: z.number().int().min(1).max(1000).default(200) }))
    .query(async ({ ctx, input }) => {
      const claims = await ctx.ledgerQueries.staleClaims(input.limit);
      const now = await ctx.databaseClock.now();
      return { checkedAt: now.toISOString(), claims: claims.map((c) => ledgerEntryJson(c, now)) };
    }),

  /** claimed → the row is deleted (the next call sends it); notified → the lease is ended. */
  release: authorizedProcedure('admin')
    .input(z.object({ orderIds: z.array(orderIdSchema).min(1).max(1000) }))
    .mutation(async ({ ctx, input }) => {
      const results: { orderId: number; outcome: ReleaseOutcome }[] = [];
      for (const orderId of new Set(input.orderIds)) {
        results.push({
          orderId,
          outcome: await ctx.ledgerQueries.releaseStaleClaim(orderId),
        });
      }
      return { results };
    }),
} satisfies TRPCRouterRecord;
