import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authorizedProcedure } from '../trpc.js';

export const callsRouter = {
  list: authorizedProcedure('admin')
    .input(
      z.object({
        cursor: z.string().nullish(),
        limit: z.number().int().min(1).max(200).default(50),
      }),
    )
    .query(({ ctx, input }) =>
      ctx.calls.list({ before: input.cursor ?? undefined, limit: input.limit }),
    ),

  byId: authorizedProcedure('admin')
    .input(z.object({ id: z.string().min(1) }))
    .query(async ({ ctx, input }) => {
      const run = await ctx.calls.findById(input.id);
      if (!run) throw new TRPCError({ code: 'NOT_FOUND', message: `Run ${input.id} not found` });
      return run;
    }),
} satisfies TRPCRouterRecord;
