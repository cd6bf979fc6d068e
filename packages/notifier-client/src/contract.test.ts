/**
 * The wire contract: what the schemas accept (and return unchanged) and what they reject. The
 * notifier app validates requests with these very schemas, so a loosened or tightened field
 * here changes what the service answers.
 */
import { describe, expect, it } from 'vitest';
import {
  batchNotificationRequestSchema,
  batchNotificationResponseSchema,
  errorResponseSchema,
  IDEMPOTENCY_KEY_HEADER,
  idempotencyKeySchema,
  MAX_BATCH_SIZE,
  notificationListResponseSchema,
  notificationRequestSchema,
  notificationResponseSchema,
  notifierPaths,
} from './contract.js';

const request = { orderId: 42, event: 'order.completed', occurredAt: '2026-11-27T12:00:00.000Z' };
const entry = { ...request, idempotencyKey: 'inst-1:order-completed:42' };
const ok = (schema: { safeParse: (v: unknown) => { success: boolean } }, value: unknown) =>
  schema.safeParse(value).success;

describe('notification contract', () => {
  it('names the paths and the key header', () => {
    expect(notifierPaths).toEqual({
      legacyNotify: expect.any(Function),
      notifications: '/v1/notifications',
      batch: '/v1/notifications/batch',
    });
    expect(notifierPaths.legacyNotify(42)).toBe('/notify/42');
    expect(IDEMPOTENCY_KEY_HEADER).toBe('Idempotency-Key');
  });

  it('a v1 request: a positive order id, the one event, an ISO time with offset; nothing else', () => {
    expect(notificationRequestSchema.parse(request)).toEqual(request);
    expect(
      ok(notificationRequestSchema, { ...request, occurredAt: '2026-11-27T13:00:00+01:00' }),
    ).toBe(true);
    expect(ok(notificationRequestSchema, { ...request, orderId: 0 })).toBe(false);
    expect(ok(notificationRequestSchema, { ...request, orderId: 1.5 })).toBe(false);
    expect(ok(notificationRequestSchema, { ...request, event: 'order.created' })).toBe(false);
    expect(ok(notificationRequestSchema, { ...request, occurredAt: '27/11/2026' })).toBe(false);
    expect(ok(notificationRequestSchema, { ...request, extra: 1 })).toBe(false);
  });

  it('keys are 1..200 characters', () => {
    expect(ok(idempotencyKeySchema, 'k')).toBe(true);
    expect(ok(idempotencyKeySchema, 'k'.repeat(200))).toBe(true);
    expect(ok(idempotencyKeySchema, '')).toBe(false);
    expect(ok(idempotencyKeySchema, 'k'.repeat(201))).toBe(false);
  });

  it('a batch: 1..500 entries, each with its key; nothing else', () => {
    const batch = { notifications: [entry] };
    expect(batchNotificationRequestSchema.parse(batch)).toEqual(batch);
    expect(MAX_BATCH_SIZE).toBe(500);
    const many = (n: number) => ({
      notifications: Array.from({ length: n }, (_, i) => ({ ...entry, orderId: i + 1 })),
    });
    expect(ok(batchNotificationRequestSchema, many(500))).toBe(true);
    expect(ok(batchNotificationRequestSchema, many(501))).toBe(false);
    expect(ok(batchNotificationRequestSchema, { notifications: [] })).toBe(false);
    expect(ok(batchNotificationRequestSchema, { notifications: [request] })).toBe(false);
    expect(ok(batchNotificationRequestSchema, { ...batch, extra: 1 })).toBe(false);
  });

  it('a v1 answer: accepted or duplicate, with the notification id and the key echoed or not', () => {
    const answer = { orderId: 42, status: 'accepted', notificationId: 7, idempotencyKey: 'k' };
    expect(notificationResponseSchema.parse(answer)).toEqual(answer);
    const { idempotencyKey: _, ...legacy } = answer;
    expect(notificationResponseSchema.parse({ ...legacy, status: 'duplicate' })).toEqual({
      ...legacy,
      status: 'duplicate',
    });
    expect(ok(notificationResponseSchema, { ...answer, status: 'failed' })).toBe(false);
    expect(ok(notificationResponseSchema, { ...answer, notificationId: 0 })).toBe(false);
    expect(ok(notificationResponseSchema, { ...answer, idempotencyKey: '' })).toBe(false);
  });

  it('a batch answer: one result per entry; a failed one carries a 4xx/5xx status', () => {
    const results = [
      { orderId: 1, status: 'accepted', idempotencyKey: 'k1' },
      { orderId: 2, status: 'duplicate' },
      { orderId: 3, status: 'failed', error: { status: 503, message: 'down' } },
    ];
    expect(batchNotificationResponseSchema.parse({ results })).toEqual({ results });
    const failed = (status: number) => ({
      results: [{ orderId: 3, status: 'failed', error: { status, message: 'x' } }],
    });
    expect(ok(batchNotificationResponseSchema, failed(400))).toBe(true);
    expect(ok(batchNotificationResponseSchema, failed(599))).toBe(true);
    expect(ok(batchNotificationResponseSchema, failed(399))).toBe(false);
    expect(ok(batchNotificationResponseSchema, failed(600))).toBe(false);
    expect(ok(batchNotificationResponseSchema, { results: [{ orderId: 1, status: 'lost' }] })).toBe(
      false,
    );
    expect(ok(batchNotificationResponseSchema, {})).toBe(false);
  });

  it('the stored notifications, as the service lists them', () => {
    const record = {
      id: 1,
      orderId: 42,
      event: 'order.completed',
      occurredAt: '2026-11-27T12:00:00.000Z',
      idempotencyKey: null,
      protocol: 'legacy',
      receivedAt: '2026-11-27T12:00:00.100Z',
    };
    expect(notificationListResponseSchema.parse({ notifications: [record] })).toEqual({
      notifications: [record],
    });
    expect(
      ok(notificationListResponseSchema, { notifications: [{ ...record, protocol: 'v2' }] }),
    ).toBe(false);
    expect(ok(notificationListResponseSchema, { notifications: [{ ...record, id: 0 }] })).toBe(
      false,
    );
    expect(errorResponseSchema.parse({ error: 'bad' })).toEqual({ error: 'bad' });
    expect(ok(errorResponseSchema, {})).toBe(false);
  });
});
