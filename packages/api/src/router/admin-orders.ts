/**
 * The admin app's view of one order: its lines, each requirement's verdict (the same
 * requirements the completion uses, evaluated now), its ledger row and its run history.
 * Dates travel as ISO strings (no transformer on this router yet).
 */
import { type LedgerEntry, orderIdSchema } from '@ocs/domain';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authorizedProcedure } from '../trpc.js';

export function ledgerEntryJson(entry: LedgerEntry, now: Date) {
  return {
    ...entry,
    claimedAt: entry.claimedAt.toISOString(),
    leaseUntil: entry.leaseUntil.toISOString(),
    notifiedAt: entry.notifiedAt?.toISOString() ?? null,
    finishedAt: entry.finishedAt?.toISOString() ?? null,
    leaseEnded: entry.leaseUntil.getTime() <= now.getTime(),
    ageMs: Math.max(0, now.getTime() - entry.claimedAt.getTime()),
  };
}

export const adminOrdersRouter = {
  detail: authorizedProcedure('admin')
    .input(z.object({ id: orderIdSchema }))
    .query(async ({ ctx, input }) => {
      const [order] = await ctx.orders.findByIds([input.id]);
      if (!order) {
        throw new TRPCError({ code: 'NOT_FOUND', message: `Order ${input.id} not found` });
      }
      // The requirements judge by this process's clock (as the completion does); the lease by
      // the database's.
      const now = new Date();
      const [ledger, history, databaseNow] = await Promise.all([
        ctx.ledgerQueries.entry(order.id),
        ctx.ledgerQueries.orderHistory(order.id, 50),
        ctx.databaseClock.now(),
      ]);
      return {
        order: { ...order, orderDate: order.orderDate.toISOString() },
        checkedAt: now.toISOString(),
        verdicts: ctx.requirements.map((requirement) => {
          const reason = requirement.check(order, { now });
          return { requirement: requirement.name, passed: reason === null, reason };
        }),
        ledger: ledger ? ledgerEntryJson(ledger, databaseNow) : null,
        /** Runs that recorded a failure for this order, newest first. */
        history: history.map((h) => ({ ...h, startedAt: h.startedAt.toISOString() })),
        /** The run that finished it, from the ledger. */
        finishedBy: ledger?.state === 'finished' ? ledger.callId : null,
      };
    }),
} satisfies TRPCRouterRecord;
