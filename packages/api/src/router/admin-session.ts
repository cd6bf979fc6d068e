import type { TRPCRouterRecord } from '@trpc/server';
import { authorizedProcedure } from '../trpc.js';

/** Lets the admin app check a token at sign-in: 401 unknown, 403 not an admin. */
export const sessionRouter = {
  me: authorizedProcedure('admin').query(({ ctx }) => ({ role: ctx.principal.role })),
} satisfies TRPCRouterRecord;
