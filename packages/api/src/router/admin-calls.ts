/**
 * The admin app's views of completion calls: history with unfinished calls marked, calls per
 * day for the chart, and one call with its retryable ids. Dates travel as ISO strings.
 */
import { type CompletionCallSummary, retryableOrderIds } from '@ocs/domain';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authorizedProcedure } from '../trpc.js';

/**
 * A run still RUNNING after a whole claim lease cannot be working any more: every claim it
 * held has ended, so its process died (a crashed replica) or was cut off. Runs are timed in
 * the database's clock and `now` is the database's, so a skewed replica judges this right.
 */
function runJson(run: CompletionCallSummary, now: Date, claimLeaseMs: number) {
  const startedAt = new Date(run.startedAt);
  const finishedAt = run.finishedAt === null ? null : new Date(run.finishedAt);
  return {
    ...run,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt?.toISOString() ?? null,
    durationMs: finishedAt ? finishedAt.getTime() - startedAt.getTime() : null,
    unfinished: run.outcome === 'RUNNING' && now.getTime() - startedAt.getTime() > claimLeaseMs,
  };
}

export const adminCallsRouter = {
  history: authorizedProcedure('admin')
    .input(
      z.object({
        cursor: z.string().nullish(),
        limit: z.number().int().min(1).max(200).default(20),
        /** Only the calls of this scheduler run. */
        runId: z.string().min(1).max(64).optional(),
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
        runs: page.runs.map((run) => runJson(run, now, ctx.claimLeaseMs)),
        nextCursor: page.nextCursor,
      };
    }),

  perDay: authorizedProcedure('admin')
    .input(z.object({ days: z.number().int().min(1).max(366).default(30) }))
    .query(async ({ ctx, input }) => {
      const now = await ctx.databaseClock.now();
      const since = new Date(now.getTime() - input.days * 86_400_000);
      return ctx.ledgerQueries.callsPerDay(since);
    }),

  detail: authorizedProcedure('admin')
    .input(z.object({ id: z.string().min(1).max(64) }))
    .query(async ({ ctx, input }) => {
      const run = await ctx.calls.findById(input.id);
      if (!run) throw new TRPCError({ code: 'NOT_FOUND', message: `Run ${input.id} not found` });
      const { response, ...summary } = run;
      return {
        ...runJson(summary, await ctx.databaseClock.now(), ctx.claimLeaseMs),
        response,
        /** The failed ids a later call may still complete (not found and requirements excluded). */
        retryableOrderIds: retryableOrderIds(response),
      };
    }),
} satisfies TRPCRouterRecord;
