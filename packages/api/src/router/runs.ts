/**
 * Scheduler runs: the operator's unit of work. The admin app reads them (live over SSE),
 * requests runs and retries; the scheduler (the one executor of runs) begins, reports and ends
 * them under its lock, and pages the ids of a retry.
 */
import { outcomeSchema, runProgressSchema, runTriggerSchema, type SchedulerRun } from '@ocs/domain';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authorizedProcedure, type Context } from '../trpc.js';
import { daysAgo, daysInput, holderSchema, idSchema } from './shared.js';

/** How often the live view reads the runs (each subscriber): well within 1 s of a batch. */
const livePollMs = 250;

async function overview(ctx: Pick<Context, 'runs' | 'databaseClock'>) {
  const [page, schedulers, now] = await Promise.all([
    ctx.runs.list({ limit: 15 }),
    ctx.runs.instances(),
    ctx.databaseClock.now(),
  ]);
  return {
    now,
    /** The run going on now, if any. */
    current: page.runs.find((r) => r.status === 'running') ?? null,
    /** Requested runs no scheduler has taken yet. */
    waiting: page.runs.filter((r) => r.status === 'requested'),
    recent: page.runs,
    schedulers,
    /** A daemon is alive: requested runs will be carried out. */
    schedulerAlive: daemonAlive(schedulers),
  };
}

async function runOrThrow(ctx: Pick<Context, 'runs'>, id: string): Promise<SchedulerRun> {
  const run = await ctx.runs.findById(id);
  if (!run) throw new TRPCError({ code: 'NOT_FOUND', message: `Run ${id} not found` });
  return run;
}

/** Waits `ms`, or less when `signal` aborts; leaves no listener behind either way. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Only a daemon carries out requested runs (`run-once` reports itself but takes none). */
function daemonAlive(schedulers: { alive: boolean; mode: string }[]): boolean {
  return schedulers.some((s) => s.alive && s.mode === 'daemon');
}

export const runsRouter = {
  /** The home page: the current run, runs waiting for a scheduler, recent runs, schedulers. */
  overview: authorizedProcedure('admin').query(({ ctx }) => overview(ctx)),

  /**
   * The same as `overview`, pushed over SSE whenever it changes (read every 250 ms), so a
   * batch that finishes is on screen within a second.
   */
  live: authorizedProcedure('admin').subscription(async function* ({ ctx, signal }) {
    let last = '';
    while (!signal?.aborted) {
      let view: Awaited<ReturnType<typeof overview>> | null = null;
      try {
        view = await overview(ctx);
      } catch {
        // The database blipped: the stream stays open and tries again (the page's health
        // banner says when the server is not ready).
        await sleep(1000, signal);
        continue;
      }
      const key = JSON.stringify({ ...view, now: undefined });
      if (key !== last) {
        last = key;
        yield view;
      }
      await sleep(livePollMs, signal);
    }
  }),

  /** One run: its figures, its failures grouped by reason, its retries, its first calls. */
  detail: authorizedProcedure('admin')
    .input(z.object({ id: idSchema }))
    .query(async ({ ctx, input }) => {
      const run = await runOrThrow(ctx, input.id);
      const [failures, calls, retries] = await Promise.all([
        ctx.runs.failureGroups(run.id),
        ctx.calls.list({ runId: run.id, limit: 50 }),
        ctx.runs.retriesOf(run.id),
      ]);
      return {
        run,
        failures,
        /** The newest 50 calls of the run. */
        calls: calls.runs,
        moreCalls: calls.nextCursor !== null,
        retries,
      };
    }),

  /** Failures of every run over the last `days`, grouped: what keeps failing, since when. */
  failures: authorizedProcedure('admin')
    .input(daysInput)
    .query(async ({ ctx, input }) =>
      ctx.runs.failureGroupsSince(await daysAgo(ctx.databaseClock, input.days)),
    ),

  /** A run now, carried out by the next scheduler that reports (under its lock). */
  request: authorizedProcedure('admin').mutation(async ({ ctx }) => {
    const run = await ctx.runs.request({ triggeredBy: 'admin' });
    return { run, schedulerAlive: daemonAlive(await ctx.runs.instances()) };
  }),

  /** A requested run no scheduler has taken yet is cancelled (it ends as failed, saying so). */
  cancel: authorizedProcedure('admin')
    .input(z.object({ id: idSchema }))
    .mutation(async ({ ctx, input }) => {
      if (!(await ctx.runs.cancel(input.id))) {
        throw new TRPCError({
          code: 'CONFLICT',
          message: `Run ${input.id} is not waiting for a scheduler (already taken, or unknown)`,
        });
      }
      return runOrThrow(ctx, input.id);
    }),

  /**
   * A retry of a run's retryable failures (all, or one outcome, or one reason of it): a run of
   * its own, carried out by a scheduler, so a large retry does not depend on a browser tab.
   */
  retry: authorizedProcedure('admin')
    .input(
      z.object({
        runId: idSchema,
        outcome: outcomeSchema.nullish(),
        reasonCode: z.string().min(1).max(128).nullish(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      await runOrThrow(ctx, input.runId);
      const { ids } = await ctx.runs.retryIds(
        input.runId,
        { outcome: input.outcome ?? null, reasonCode: input.reasonCode ?? null },
        { limit: 1 },
      );
      if (ids.length === 0) {
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: 'Nothing to retry: no retryable failure of that run is still pending',
        });
      }
      const run = await ctx.runs.request({
        triggeredBy: 'retry',
        retryOf: input.runId,
        retryOutcome: input.outcome ?? null,
        retryReason: input.reasonCode ?? null,
      });
      return { run, schedulerAlive: daemonAlive(await ctx.runs.instances()) };
    }),

  /** The scheduler, holding the lock, starts a run (a requested one, or its own). */
  begin: authorizedProcedure('scheduler')
    .input(
      z.object({
        holder: holderSchema,
        triggeredBy: runTriggerSchema,
        requestedRunId: idSchema.nullish(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const run = await ctx.runs.begin(input);
      if (!run) {
        throw new TRPCError({
          code: 'CONFLICT',
          message: `Run ${input.requestedRunId} is no longer waiting for a scheduler`,
        });
      }
      return run;
    }),

  report: authorizedProcedure('scheduler')
    .input(z.object({ id: idSchema, holder: holderSchema, progress: runProgressSchema }))
    .mutation(async ({ ctx, input }) => ({
      recorded: await ctx.runs.report(input.id, input.holder, input.progress),
    })),

  end: authorizedProcedure('scheduler')
    .input(
      z.object({
        id: idSchema,
        holder: holderSchema,
        end: runProgressSchema.extend({
          status: z.enum(['finished', 'finished_with_orders_left', 'failed']),
          error: z.string().max(1000).nullish(),
          notes: z.array(z.string().max(500)).max(20).optional(),
        }),
      }),
    )
    .mutation(async ({ ctx, input }) => ({
      recorded: await ctx.runs.end(input.id, input.holder, input.end),
    })),

  /** The ids a retry run works on: its parent's retryable failures still SUBMITTED. */
  retryIds: authorizedProcedure('scheduler')
    .input(
      z.object({
        id: idSchema,
        cursor: z.number().int().positive().nullish(),
        limit: z.number().int().min(1).max(10000).default(1000),
      }),
    )
    .query(async ({ ctx, input }) => {
      const run = await runOrThrow(ctx, input.id);
      if (!run.retryOf) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: `Run ${run.id} is not a retry` });
      }
      return ctx.runs.retryIds(
        run.retryOf,
        { outcome: run.retryOutcome, reasonCode: run.retryReason },
        { afterId: input.cursor ?? undefined, limit: input.limit },
      );
    }),
} satisfies TRPCRouterRecord;
