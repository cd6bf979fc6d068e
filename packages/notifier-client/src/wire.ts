/**
 * The requests and answers on the wire (legacy and v1), apart from the protocol names so the
 * protocol modules can build on them; `contract.ts` is the whole contract.
 */
import { z } from 'zod';

export const notificationEventSchema = z.literal('order.completed');
export type NotificationEvent = z.infer<typeof notificationEventSchema>;

const orderIdSchema = z.number().int().positive();

/** Largest batch the v1 batch endpoint accepts. */
export const MAX_BATCH_SIZE = 500;

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const idempotencyKeySchema = z.string().min(1).max(200);

/**
 * The namespace of our idempotency keys (the installation id): two installations sharing one
 * notification service never send the same key for their own order 42.
 */
export const keyNamespaceSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1..64 characters of A-Z, a-z, 0-9, ".", "_", "-"');

export const notifierPaths = {
  /** The original API: `GET /notify/{orderId}`, success = any 2xx. */
  legacyNotify: (orderId: number) => `/notify/${orderId}`,
  notifications: '/v1/notifications',
  batch: '/v1/notifications/batch',
} as const;

/** Body of `POST /v1/notifications` (the idempotency key travels in the header). */
export const notificationRequestSchema = z.strictObject({
  orderId: orderIdSchema,
  event: notificationEventSchema,
  occurredAt: z.iso.datetime({ offset: true }),
});
export type NotificationRequest = z.infer<typeof notificationRequestSchema>;

/** One entry of a batch: a batch has no single header, so each entry carries its key. */
export const batchNotificationEntrySchema = notificationRequestSchema.extend({
  idempotencyKey: idempotencyKeySchema,
});
export type BatchNotificationEntry = z.infer<typeof batchNotificationEntrySchema>;

export const batchNotificationRequestSchema = z.strictObject({
  notifications: z.array(batchNotificationEntrySchema).min(1).max(MAX_BATCH_SIZE),
});
export type BatchNotificationRequest = z.infer<typeof batchNotificationRequestSchema>;

export const notificationStatusSchema = z.enum(['accepted', 'duplicate', 'failed']);
export type NotificationStatus = z.infer<typeof notificationStatusSchema>;

/**
 * Answer of `POST /v1/notifications` (201 accepted, 200 duplicate) and of the legacy call. v1
 * echoes the request's `idempotencyKey`, so a client can tell a duplicate of its own key from one
 * of another installation's; legacy has none.
 */
export const notificationResponseSchema = z.object({
  orderId: orderIdSchema,
  status: z.enum(['accepted', 'duplicate']),
  notificationId: z.number().int().positive(),
  idempotencyKey: idempotencyKeySchema.optional(),
});
export type NotificationResponse = z.infer<typeof notificationResponseSchema>;

/**
 * A batch answers 200 with one result per entry. A failed entry carries the HTTP status the
 * single endpoint would have answered, so the client classifies it the same way.
 */
export const batchNotificationResultSchema = z.object({
  orderId: orderIdSchema,
  status: notificationStatusSchema,
  /** The entry's key, echoed (optional for older services). */
  idempotencyKey: idempotencyKeySchema.optional(),
  error: z.object({ status: z.number().int().min(400).max(599), message: z.string() }).optional(),
});
export type BatchNotificationResult = z.infer<typeof batchNotificationResultSchema>;

export const batchNotificationResponseSchema = z.object({
  results: z.array(batchNotificationResultSchema),
});
export type BatchNotificationResponse = z.infer<typeof batchNotificationResponseSchema>;

export const errorResponseSchema = z.object({ error: z.string() });
export type ErrorResponse = z.infer<typeof errorResponseSchema>;
