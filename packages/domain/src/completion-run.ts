/**
 * A record of one completion call, for audit and the admin app. It is written when the call
 * starts (outcome `RUNNING`) and completed when it ends, so a call whose process died is
 * visible as a run that never finished.
 */
import { z } from 'zod';
import {
  type CompleteOrderResponse,
  completeOrderResponseSchema,
} from './complete-order-response.js';
import { type CompletionErrorCode, completionErrorCodes } from './errors.js';

export const completionRunOutcomeSchema = z.enum([
  'RUNNING',
  'COMPLETED',
  ...(Object.values(completionErrorCodes) as CompletionErrorCode[]),
  'FAILED',
]);
export type CompletionRunOutcome = z.infer<typeof completionRunOutcomeSchema>;

/** How many requested ids ended in each list of the response. */
export const completionRunCountsSchema = z.object({
  completedCount: z.number().int().nonnegative(),
  notFoundCount: z.number().int().nonnegative(),
  failedRequirementsCount: z.number().int().nonnegative(),
  notNotifiedCount: z.number().int().nonnegative(),
  notUpdatedCount: z.number().int().nonnegative(),
  claimedElsewhereCount: z.number().int().nonnegative(),
});
export type CompletionRunCounts = z.infer<typeof completionRunCountsSchema>;

export const completionRunSummarySchema = z.object({
  /** Sortable by time (e.g. a ULID or a UUIDv7), so cursors can page by it. */
  id: z.string().min(1),
  startedAt: z.date(),
  /** null while the call runs, and for ever if its process died. */
  finishedAt: z.date().nullable(),
  requestedCount: z.number().int().nonnegative(),
  outcome: completionRunOutcomeSchema,
  /** Requested ids not completed by this run (0 while it runs). */
  failedCount: z.number().int().nonnegative(),
  ...completionRunCountsSchema.shape,
});
export type CompletionRunSummary = z.infer<typeof completionRunSummarySchema>;

export const completionRunSchema = completionRunSummarySchema.extend({
  /** Every requested id's outcome: completed ids come from the ledger, failures from the run. */
  response: completeOrderResponseSchema,
});
export type CompletionRun = z.infer<typeof completionRunSchema>;

/** What the use case records when a call starts. */
export interface CompletionRunStart {
  id: string;
  startedAt: Date;
  requestedCount: number;
}

/** What the use case records when a call ends, whatever its outcome. */
export interface CompletionRunEnd {
  finishedAt: Date;
  outcome: Exclude<CompletionRunOutcome, 'RUNNING'>;
  /** The response: counts are stored, and per-order rows only for the ids that failed. */
  response: CompleteOrderResponse;
}

export function countsOf(response: CompleteOrderResponse): CompletionRunCounts {
  return {
    completedCount: response.completedOrderIds.length,
    notFoundCount: response.notFoundOrderIds.length,
    failedRequirementsCount: response.unsuccessfulOrders.length,
    notNotifiedCount: response.unsuccessfullyNotifiedOrders.length,
    notUpdatedCount: response.unsuccessfullyUpdatedOrders.length,
    claimedElsewhereCount: response.claimedElsewhereOrders.length,
  };
}
