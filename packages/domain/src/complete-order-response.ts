/** What one completion call answers: every requested id lands in exactly one list. */
import { z } from 'zod';
import { orderIdSchema } from './order.js';

export const requirementFailureSchema = z.object({
  /** Name of the requirement that failed, e.g. `order-age`. */
  requirement: z.string(),
  /** Stable machine-readable code, e.g. `ORDER.TOO_RECENT`. */
  code: z.string(),
  message: z.string(),
});
export type RequirementFailure = z.infer<typeof requirementFailureSchema>;

export const notificationFailureKindSchema = z.enum([
  'http-status',
  'timeout',
  'circuit-open',
  'network',
  'rejected',
  'cancelled',
]);
export type NotificationFailureKind = z.infer<typeof notificationFailureKindSchema>;

export const notificationFailureSchema = z.object({
  kind: notificationFailureKindSchema,
  message: z.string(),
  /** HTTP status of the last attempt, when there was a response. */
  status: z.number().int().optional(),
  attempts: z.number().int().nonnegative(),
});
export type NotificationFailure = z.infer<typeof notificationFailureSchema>;

export const updateFailureCodeSchema = z.enum([
  /** The update statement failed and was rolled back: a later call may succeed. */
  'UPDATE.FAILED',
  /** The order was no longer SUBMITTED (another call finished it): nothing to retry. */
  'UPDATE.NOT_SUBMITTED',
  /**
   * The notification service acknowledged it, but neither the acknowledgement nor the update
   * could be written (the database was unreachable): still SUBMITTED, and a call after the
   * claim's lease sends it again (with v1 under the same idempotency key). Retryable.
   */
  'UPDATE.UNRECORDED',
]);
export const updateFailureSchema = z.object({
  code: updateFailureCodeSchema,
  message: z.string(),
});
export type UpdateFailure = z.infer<typeof updateFailureSchema>;

export const claimFailureSchema = z.object({
  /** Another call holds the order's claim (it may be notifying it right now): retry later. */
  code: z.literal('CLAIM.CLAIMED_ELSEWHERE'),
  message: z.string(),
});
export type ClaimFailure = z.infer<typeof claimFailureSchema>;

export const completeOrderResponseSchema = z.object({
  completedOrderIds: z.array(orderIdSchema),
  notFoundOrderIds: z.array(orderIdSchema),
  unsuccessfulOrders: z.array(
    z.object({ orderId: orderIdSchema, reasons: z.array(requirementFailureSchema).min(1) }),
  ),
  unsuccessfullyNotifiedOrders: z.array(
    z.object({ orderId: orderIdSchema, reason: notificationFailureSchema }),
  ),
  unsuccessfullyUpdatedOrders: z.array(
    z.object({ orderId: orderIdSchema, reason: updateFailureSchema }),
  ),
  /** Eligible orders that another live call had claimed, so this call left them alone. */
  claimedElsewhereOrders: z
    .array(z.object({ orderId: orderIdSchema, reason: claimFailureSchema }))
    .default([]),
});
export type CompleteOrderResponse = z.infer<typeof completeOrderResponseSchema>;

export function emptyCompleteOrderResponse(): CompleteOrderResponse {
  return {
    completedOrderIds: [],
    notFoundOrderIds: [],
    unsuccessfulOrders: [],
    unsuccessfullyNotifiedOrders: [],
    unsuccessfullyUpdatedOrders: [],
    claimedElsewhereOrders: [],
  };
}

/**
 * Ids a later call may still complete: notification failures, failed updates and orders
 * claimed by another call are transient; not-found ids, requirement failures and orders
 * someone else finished are not.
 */
export function retryableOrderIds(response: CompleteOrderResponse): number[] {
  return [
    ...response.unsuccessfullyNotifiedOrders.map((o) => o.orderId),
    ...response.claimedElsewhereOrders.map((o) => o.orderId),
    ...response.unsuccessfullyUpdatedOrders
      .filter((o) => o.reason.code !== 'UPDATE.NOT_SUBMITTED')
      .map((o) => o.orderId),
  ];
}
