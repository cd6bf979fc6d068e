/** The admin app's sign-in: it checks a token before keeping it. */
import type { TRPCRouterRecord } from '@trpc/server';
import { authorizedProcedure } from '../trpc.js';

export const sessionRouter = {
  /** 401 for an unknown token, 403 for one that is not an admin's. */
  me: authorizedProcedure('admin').query(({ ctx }) => ({ role: ctx.principal.role })),
} satisfies TRPCRouterRecord;
