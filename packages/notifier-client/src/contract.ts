/**
 * The notification service's wire contract (legacy and v1). The client sends with these
 * schemas and the notifier app validates with the very same ones, so they cannot drift.
 */
import { z } from 'zod';
import { protocolSchema } from './protocols/names.js';
import { notificationEventSchema } from './wire.js';

export * from './wire.js';

/** What the service stored; legacy calls have no idempotency key. */
export const notificationRecordSchema = z.object({
  id: z.number().int().positive(),
  orderId: z.number().int().positive(),
  event: notificationEventSchema,
  occurredAt: z.string(),
  idempotencyKey: z.string().nullable(),
  protocol: protocolSchema,
  receivedAt: z.string(),
});
export type NotificationRecord = z.infer<typeof notificationRecordSchema>;

/** `GET /v1/notifications[?orderId=N]`. */
export const notificationListResponseSchema = z.object({
  notifications: z.array(notificationRecordSchema),
});
export type NotificationListResponse = z.infer<typeof notificationListResponseSchema>;
