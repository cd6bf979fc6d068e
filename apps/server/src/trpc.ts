/** The one initTRPC of the server: context, error shape and the procedure builders. */
import {
  type CompleteOrderResponse,
  type CompletionErrorCode,
  type CompletionRunRepository,
  isCompletionError,
  type LeaseRepository,
  type LedgerQueries,
  type OrderRepository,
  type OrderRequirement,
  type PendingHint,
} from '@ocs/domain';
import { initTRPC, TRPCError } from '@trpc/server';
import { z } from 'zod';
import type { Principal } from './auth.js';
import { type CompletionService, RetryableCallError } from './completion-service.js';
import type { Role } from './config.js';

export interface Context {
  principal: Principal | null;
  completion: CompletionService;
  orders: OrderRepository;
  runs: CompletionRunRepository;
  leases: LeaseRepository;
  /** The admin app's reads over the ledger and runs; the requirements it evaluates orders by. */
  ledgerQueries: LedgerQueries;
  requirements: readonly OrderRequirement[];
  claimLeaseMs: number;
  /** What the requirements let the database skip when listing pending orders. */
  pendingHints: (now: Date) => PendingHint[];
  /** Throws when the database cannot be reached. */
  pingDatabase: () => Promise<void>;
}

export interface CompletionErrorData {
  code: CompletionErrorCode;
  response: CompleteOrderResponse;
  /** The run that recorded the call (the admin app links to it). */
  runId: string;
}

const t = initTRPC.context<Context>().create({
  // Never send stack traces: the error body is read by other services, not developers.
  isDev: false,
  errorFormatter({ shape, error }) {
    const { cause } = error;
    const completion: CompletionErrorData | null = isCompletionError(cause)
      ? { code: cause.code, response: cause.response, runId: cause.runId }
      : null;
    const zodError = cause instanceof z.ZodError ? z.flattenError(cause) : null;
    return {
      ...shape,
      message:
        cause instanceof z.ZodError
          ? cause.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')
          : cause instanceof RetryableCallError
            ? cause.message
            : error.code === 'INTERNAL_SERVER_ERROR'
              ? // The cause may be a driver error quoting SQL; it is logged, never sent.
                'Internal server error'
              : shape.message,
      // true: the call did not complete, and repeating it is safe (the ledger keeps it exactly-once).
      data: { ...shape.data, completion, zodError, retryable: cause instanceof RetryableCallError },
    };
  },
});

export const router = t.router;
export const publicProcedure = t.procedure;

export function authorizedProcedure(...roles: Role[]) {
  return t.procedure.use(({ ctx, next }) => {
    if (!ctx.principal) {
      throw new TRPCError({ code: 'UNAUTHORIZED', message: 'A valid bearer token is required' });
    }
    if (!roles.includes(ctx.principal.role)) {
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: `This procedure needs one of the roles: ${roles.join(', ')}`,
      });
    }
    return next({ ctx: { ...ctx, principal: ctx.principal } });
  });
}
