/**
 * Orders: their completion (the scheduler's and an operator's), the pending ids the scheduler
 * pages through, and the admin app's list and detail.
 */
import {
  isCompletionError,
  orderIdSchema,
  orderStateSchema,
  RetryableCallError,
} from '@ocs/domain';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authorizedProcedure } from '../trpc.js';
import { idSchema, ledgerEntryJson } from './shared.js';

/** The input of `orders.complete`, with the per-call limit from configuration. */
export function completeInputSchema(maxIdsPerCall: number) {
  return z.object({
    orderIds: z
      .array(orderIdSchema, { error: 'orderIds must be an array of positive integers' })
      .min(1, 'orderIds must contain at least one id')
      .max(maxIdsPerCall, `orderIds may contain at most ${maxIdsPerCall} ids per call`)
      .transform((ids) => [...new Set(ids)]),
    /** The scheduler run this call belongs to (recorded with the call). */
    runId: idSchema.optional(),
  });
}

/** The static schema the router declares (and OpenAPI describes); the limit comes per call. */
export const completeInput = completeInputSchema(Number.MAX_SAFE_INTEGER);

const pageSchema = z.object({
  cursor: orderIdSchema.nullish(),
  limit: z.number().int().min(1).max(10000).default(1000),
});

export const ordersRouter = {
  complete: authorizedProcedure('scheduler', 'admin')
    // The limit lives in the context, so the raw input is checked against it here, with
    // the same zod messages (and error shape) as the declared input schema.
    .use(async ({ ctx, getRawInput, next }) => {
      const limited = completeInputSchema(ctx.limits.maxIdsPerCall).safeParse(await getRawInput());
      if (!limited.success) {
        throw new TRPCError({
          code: 'BAD_REQUEST',
          message: 'Invalid input',
          cause: limited.error,
        });
      }
      return next();
    })
    .input(completeInput)
    .mutation(async ({ ctx, input }) => {
      try {
        const { callId, response } = await ctx.completion.complete(input.orderIds, {
          runId: input.runId ?? null,
        });
        return { callId, ...response };
      } catch (error) {
        // Nothing completed is the caller's business, not a server fault: 400 with the
        // response in error.data.completion (see errorFormatter).
        if (isCompletionError(error)) {
          throw new TRPCError({ code: 'BAD_REQUEST', message: error.message, cause: error });
        }
        // Failed part-way or shutting down: 500/503 with data.retryable (the ledger makes a
        // retry safe).
        if (error instanceof RetryableCallError) {
          throw new TRPCError({
            code: error.status === 503 ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR',
            message: error.message,
            cause: error,
          });
        }
        throw error;
      }
    }),

  /**
   * SUBMITTED order ids that no live call has claimed and that the requirements' hints do not
   * rule out (too recent, not delivered), ascending; the requirements decide for good.
   */
  pendingCompletion: authorizedProcedure('scheduler', 'admin')
    .input(pageSchema)
    .query(({ ctx, input }) =>
      ctx.orders.findPendingIds({
        afterId: input.cursor ?? undefined,
        limit: input.limit,
        // The requirements' hints use this process's clock, as the requirements do; which
        // claims are live is decided in the database's clock.
        hints: ctx.pendingHints(new Date()),
      }),
    ),

  /** The admin app's orders page: by state, a page at a time, or one id. */
  list: authorizedProcedure('admin')
    .input(
      pageSchema.extend({
        state: orderStateSchema.optional(),
        limit: z.number().int().min(1).max(500).default(50),
        /** Search by id: that order alone (if it matches the state filter). */
        id: orderIdSchema.optional(),
      }),
    )
    .query(async ({ ctx, input }) => {
      if (input.id !== undefined) {
        const found = await ctx.orders.findByIds([input.id]);
        const orders = found.filter((o) => !input.state || o.state === input.state);
        return { orders, nextCursor: null };
      }
      return ctx.orders.list({
        state: input.state,
        afterId: input.cursor ?? undefined,
        limit: input.limit,
      });
    }),

  /**
   * One order for the admin app: its lines, each requirement's verdict (the same requirements
   * the completion uses, evaluated now), its ledger row and the calls that failed it.
   */
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
