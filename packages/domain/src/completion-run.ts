/** A record of one completion call, for audit and the admin app. */
import { z } from 'zod';
import { completeOrderResponseSchema } from './complete-order-response.js';
import { type CompletionErrorCode, completionErrorCodes } from './errors.js';

export const completionRunOutcomeSchema = z.enum([
  'COMPLETED',
  ...(Object.values(completionErrorCodes) as CompletionErrorCode[]),
  'FAILED',
]);
export type CompletionRunOutcome = z.infer<typeof completionRunOutcomeSchema>;

export const completionRunSummarySchema = z.object({
  /** Sortable by time (e.g. a ULID or a UUIDv7), so cursors can page by it. */
  id: z.string().min(1),
  startedAt: z.date(),
  finishedAt: z.date(),
  requestedCount: z.number().int().nonnegative(),
  outcome: completionRunOutcomeSchema,
  completedCount: z.number().int().nonnegative(),
  failedCount: z.number().int().nonnegative(),
});
export type CompletionRunSummary = z.infer<typeof completionRunSummarySchema>;

export const completionRunSchema = completionRunSummarySchema.extend({
  response: completeOrderResponseSchema,
});
export type CompletionRun = z.infer<typeof completionRunSchema>;
