/** The one initTRPC of the API: context, error shape and the procedure builders. */
import {
  type CompleteOrderResponse,
  type CompletionCallRepository,
  type CompletionErrorCode,
  type DatabaseClock,
  isCompletionError,
  type LeaseRepository,
  type LedgerQueries,
  type OrderCompletion,
  type OrderRepository,
  type OrderRequirement,
  type PendingHint,
  RetryableCallError,
  type SchedulerRunRepository,
} from '@ocs/domain';
import { initTRPC, TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import superjson from 'superjson';
import { z } from 'zod';

export const roles = ['scheduler', 'admin'] as const;
export type Role = (typeof roles)[number];

/** Who is calling, as the host's authenticator decided from the request. */
export interface Principal {
  role: Role;
}

/** What the host hands every call: ports from @ocs/domain and per-call limits. */
export interface Context {
  principal: Principal | null;
  completion: OrderCompletion;
  orders: OrderRepository;
  calls: CompletionCallRepository;
  /** Scheduler runs and the schedulers' heartbeats. */
  runs: SchedulerRunRepository;
  leases: LeaseRepository;
  /** The admin app's reads over the ledger and runs; the requirements it evaluates orders by. */
  ledgerQueries: LedgerQueries;
  requirements: readonly OrderRequirement[];
  claimLeaseMs: number;
  /**
   * The database's clock: the admin views judge leases and unfinished calls in it, as the
   * ledger does (never in this replica's clock, which may be off).
   */
  databaseClock: DatabaseClock;
  /** What the requirements let the database skip when listing pending orders. */
  pendingHints: (now: Date) => PendingHint[];
  /** Throws when the database cannot be reached. */
  pingDatabase: () => Promise<void>;
  limits: {
    /** The most ids one `orders.complete` call may carry. */
    maxIdsPerCall: number;
  };
}

export interface CompletionErrorData {
  code: CompletionErrorCode;
  response: CompleteOrderResponse;
  /** The call's record (the admin app links to it). */
  callId: string;
}

const t = initTRPC.context<Context>().create({
  // superjson: a Date leaves the server as a Date and arrives as one.
  transformer: superjson,
  // Never send stack traces: the error body is read by other services, not developers.
  isDev: false,
  errorFormatter({ shape, error }) {
    const { cause } = error;
    const completion: CompletionErrorData | null = isCompletionError(cause)
      ? { code: cause.code, response: cause.response, callId: cause.callId }
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
      // true: the call did not complete, and repeating it is safe. Every procedure here is: the
      // completion through the ledger (exactly-once), the lock for its holder, the rest reads or
      // idempotent releases. So every 5xx (e.g. the database lost mid-procedure) says so.
      data: {
        ...shape.data,
        completion,
        zodError,
        retryable: cause instanceof RetryableCallError || getHTTPStatusCodeFromError(error) >= 500,
      },
    };
  },
});

export const router = t.router;
export const publicProcedure = t.procedure;
export const createCallerFactory = t.createCallerFactory;

export function authorizedProcedure(...allowed: Role[]) {
  return t.procedure.use(({ ctx, next }) => {
    if (!ctx.principal) {
      throw new TRPCError({ code: 'UNAUTHORIZED', message: 'A valid bearer token is required' });
    }
    if (!allowed.includes(ctx.principal.role)) {
      throw new TRPCError({
        code: 'FORBIDDEN',
        message: `This procedure needs one of the roles: ${allowed.join(', ')}`,
      });
    }
    return next({ ctx: { ...ctx, principal: ctx.principal } });
  });
}
