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

export const completeOrderResponseSchema = z.object({
  completedOrderIds: z.array(orderIdSchema),
  notFoundOrderIds: z.array(orderIdSchema),
  unsuccessfulOrders: z.array(
    z.object({ orderId: orderIdSchema, reasons: z.array(requirementFailureSchema).min(1) }),
  ),
  unsuccessfullyNotifiedOrders: z.array(
    z.object({ orderId: orderIdSchema, reason: notificationFailureSchema }),
  ),
  unsuccessfullyUpdatedOrders: z.array(z.object({ orderId: orderIdSchema, reason: z.string() })),
});
export type CompleteOrderResponse = z.infer<typeof completeOrderResponseSchema>;

export function emptyCompleteOrderResponse(): CompleteOrderResponse {
  return {
    completedOrderIds: [],
    notFoundOrderIds: [],
    unsuccessfulOrders: [],
    unsuccessfullyNotifiedOrders: [],
    unsuccessfullyUpdatedOrders: [],
  };
}

/**
 * Ids a later call may still complete: notification and update failures are transient,
 * not-found ids and requirement failures are not (they need the data to change first).
 */
export function retryableOrderIds(response: CompleteOrderResponse): number[] {
  return [
    ...response.unsuccessfullyNotifiedOrders.map((o) => o.orderId),
    ...response.unsuccessfullyUpdatedOrders.map((o) => o.orderId),
  ];
}
