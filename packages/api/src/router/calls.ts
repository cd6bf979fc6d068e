/**
 * Completion calls (one `orders.complete` each), as the admin app shows them: the history with
 * unfinished calls marked, calls per day for the chart, and one call with its retryable ids.
 */
import { retryableOrderIds } from '@ocs/domain';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authorizedProcedure } from '../trpc.js';
import { callJson, daysAgo, daysInput, idSchema } from './shared.js';

export const callsRouter = {
  /** Newest first, a page at a time; `runId` keeps one scheduler run's calls. */
  history: authorizedProcedure('admin')
    .input(
      z.object({
        cursor: z.string().nullish(),
        limit: z.number().int().min(1).max(200).default(20),
        runId: idSchema.optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const page = await ctx.calls.list({
        before: input.cursor ?? undefined,
        limit: input.limit,
        runId: input.runId,
      });
      const now = await ctx.databaseClock.now();
      return {
        runs: page.runs.map((call) => callJson(call, now, ctx.claimLeaseMs)),
        nextCursor: page.nextCursor,
      };
    }),

  perDay: authorizedProcedure('admin')
    .input(daysInput)
    .query(async ({ ctx, input }) =>
      ctx.ledgerQueries.callsPerDay(await daysAgo(ctx.databaseClock, input.days)),
    ),

  detail: authorizedProcedure('admin')
    .input(z.object({ id: idSchema }))
    .query(async ({ ctx, input }) => {
      const call = await ctx.calls.findById(input.id);
      if (!call) throw new TRPCError({ code: 'NOT_FOUND', message: `Call ${input.id} not found` });
      const { response, ...summary } = call;
      return {
        ...callJson(summary, await ctx.databaseClock.now(), ctx.claimLeaseMs),
        response,
        /** The failed ids a later call may still complete (not found and requirements excluded). */
        retryableOrderIds: retryableOrderIds(response),
      };
    }),
} satisfies TRPCRouterRecord;
