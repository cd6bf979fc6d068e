/**
 * A record of one completion call, for audit and the admin app. It is written when the call
 * starts (outcome `RUNNING`) and completed when it ends, so a call whose process died is
 * visible as a call that never finished.
 */
import { z } from 'zod';
import {
  type CompleteOrderResponse,
  completeOrderResponseSchema,
} from './complete-order-response.js';
import { type CompletionErrorCode, completionErrorCodes } from './errors.js';
import { type CallOutcome, callOutcomes, countOutcomes } from './outcomes.js';

export const completionCallOutcomeSchema = z.enum([
  'RUNNING',
  'COMPLETED',
  ...(Object.values(completionErrorCodes) as CompletionErrorCode[]),
  'FAILED',
]);
export type CompletionCallOutcome = z.infer<typeof completionCallOutcomeSchema>;

/** How many requested ids had each call outcome (the table in outcomes.ts). */
export const completionCallCountsSchema = z.object(
  Object.fromEntries(callOutcomes.map((o) => [o, z.number().int().nonnegative()])) as {
    [K in CallOutcome]: z.ZodNumber;
  },
);
export type CompletionCallCounts = z.infer<typeof completionCallCountsSchema>;

export const completionCallSummarySchema = z.object({
  /** Sortable by time (e.g. a ULID or a UUIDv7), so cursors can page by it. */
  id: z.string().min(1),
  startedAt: z.date(),
  /** null while the call runs, and for ever if its process died. */
  finishedAt: z.date().nullable(),
  requestedCount: z.number().int().nonnegative(),
  outcome: completionCallOutcomeSchema,
  /** Requested ids not completed by this run (0 while it runs). */
  failedCount: z.number().int().nonnegative(),
  counts: completionCallCountsSchema,
  /** The scheduler run the call belongs to; null for calls made outside a run. */
  runId: z.string().nullable(),
});
export type CompletionCallSummary = z.infer<typeof completionCallSummarySchema>;

export const completionCallSchema = completionCallSummarySchema.extend({
  /** Every requested id's outcome: completed ids come from the ledger, failures from the run. */
  response: completeOrderResponseSchema,
});
export type CompletionCall = z.infer<typeof completionCallSchema>;

/** What the use case records when a call starts. */
export interface CompletionCallStart {
  id: string;
  /** The scheduler run the call belongs to, when the caller said. */
  runId?: string | null;
  startedAt: Date;
  requestedCount: number;
}

/** What the use case records when a call ends, whatever its outcome. */
export interface CompletionCallEnd {
  finishedAt: Date;
  outcome: Exclude<CompletionCallOutcome, 'RUNNING'>;
  /** The response: counts are stored, and per-order rows only for the ids that failed. */
  response: CompleteOrderResponse;
}

export function countsOf(response: CompleteOrderResponse): CompletionCallCounts {
  return countOutcomes(response);
}
