/** The notifier app over real HTTP: contract validation, de-duplication, listing, control. */
import {
  batchNotificationResponseSchema,
  notificationListResponseSchema,
} from '@ocs/notifier-client/contract';
import { describe, expect, it, vi } from 'vitest';
import { useNotifier } from './support.js';

const notifier = useNotifier();

function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(`${notifier().url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

// biome-ignore lint/suspicious/noExplicitAny: test bodies are read loosely, asserted exactly
async function json(response: Response): Promise<any> {
  return response.json();
}

const notification = (orderId: number) => ({
  orderId,
  event: 'order.completed',
  occurredAt: '2025-01-01T00:00:00.000Z',
});

describe('notifier app', () => {
  it('accepts a v1 notification once per idempotency key and answers repeats as duplicate', async () => {
    const key = { 'Idempotency-Key': 'order-completed-1' };
    const first = await call('POST', '/v1/notifications', notification(1), key);
    const again = await call('POST', '/v1/notifications', notification(1), key);

    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({
      orderId: 1,
      status: 'accepted',
      idempotencyKey: 'order-completed-1',
    });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({
      orderId: 1,
      status: 'duplicate',
      idempotencyKey: 'order-completed-1',
    });
    const list = notificationListResponseSchema.parse(
      await (await call('GET', '/v1/notifications?orderId=1')).json(),
    );
    expect(list.notifications).toEqual([
      expect.objectContaining({ orderId: 1, idempotencyKey: 'order-completed-1', protocol: 'v1' }),
    ]);
  });

  it('answers a batch per order and de-duplicates inside it too', async () => {
    const response = await call('POST', '/v1/notifications/batch', {
      notifications: [1, 2, 1].map((id) => ({ ...notification(id), idempotencyKey: `k-${id}` })),
    });

    expect(response.status).toBe(200);
    const { results } = batchNotificationResponseSchema.parse(await response.json());
    expect(results.map((r) => [r.status, r.idempotencyKey])).toEqual([
      ['accepted', 'k-1'],
      ['accepted', 'k-2'],
      ['duplicate', 'k-1'],
    ]);
    expect(notifier().store.list()).toHaveLength(2);
  });

  it('logs each request with its keys and whether the answer reached the client', async () => {
    await call('POST', '/v1/notifications', notification(1), { 'Idempotency-Key': 'ns:1' });
    await call('POST', '/v1/notifications/batch', {
      notifications: [2, 3].map((id) => ({ ...notification(id), idempotencyKey: `ns:${id}` })),
    });
    await call('GET', '/notify/4');

    const { requests } = await json(await call('GET', '/control/requests'));
    expect(requests).toEqual([
      expect.objectContaining({
        orderIds: [1],
        idempotencyKeys: ['ns:1'],
        status: 201,
        answered: true,
      }),
      expect.objectContaining({
        orderIds: [2, 3],
        idempotencyKeys: ['ns:2', 'ns:3'],
        status: 200,
        answered: true,
      }),
      expect.objectContaining({ orderIds: [4], idempotencyKeys: [], status: 200, answered: true }),
    ]);
  });

  it('tallies per order: every stored notification and the orders sent more than once', async () => {
    await call('POST', '/v1/notifications/batch', {
      notifications: [5, 6].map((id) => ({ ...notification(id), idempotencyKey: `t:${id}` })),
    });
    // Order 6 again with its key (a duplicate, not stored), and order 7 twice through legacy.
    await call('POST', '/v1/notifications', notification(6), { 'Idempotency-Key': 't:6' });
    await call('GET', '/notify/7');
    await call('GET', '/notify/7');

    expect(await json(await call('GET', '/control/order-tally'))).toEqual({
      notifiedOrderIds: [5, 6, 7, 7],
      ordersSentMoreThanOnce: 2,
      requestLogComplete: true,
    });
  });

  it('records answered: false when the client went away before the answer', async () => {
    // The answer comes after 1 s; the client leaves as soon as the request is in the log.
    notifier().faults.set({ latencyMs: 1000 });
    const controller = new AbortController();
    const gone = fetch(`${notifier().url}/notify/5`, { signal: controller.signal }).catch(
      () => 'aborted',
    );
    await vi.waitFor(() => expect(notifier().store.requests(5)).toHaveLength(1));
    controller.abort();
    expect(await gone).toBe('aborted');

    // The service still processed it after its latency: status decided, never delivered.
    await vi.waitFor(() => expect(notifier().store.requests(5)[0]?.status).toBe(200), {
      timeout: 3000,
    });
    expect(notifier().store.requests(5)[0]).toMatchObject({ status: 200, answered: false });
    expect(notifier().store.list(5)).toHaveLength(1);
  });

  it('serves the legacy GET /notify/{orderId}', async () => {
    const response = await call('GET', '/notify/42');

    expect(response.status).toBe(200);
    expect(notifier().store.list(42)).toEqual([
      expect.objectContaining({ orderId: 42, protocol: 'legacy', idempotencyKey: null }),
    ]);
  });

  it.each([
    ['bad JSON', '/v1/notifications', '{nope', /^invalid JSON body/],
    ['a missing field', '/v1/notifications', { orderId: 1 }, /"event"/],
    ['a wrong event', '/v1/notifications', { ...notification(1), event: 'x' }, /"event"/],
    ['an empty batch', '/v1/notifications/batch', { notifications: [] }, /"notifications"/],
    [
      'a batch entry without key',
      '/v1/notifications/batch',
      { notifications: [notification(1)] },
      /"notifications\.0\.idempotencyKey"/,
    ],
  ])('answers 400 naming the field for %s', async (_, path, body, message) => {
    const response = await call('POST', path, body, { 'Idempotency-Key': 'k' });

    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatch(message);
    expect(notifier().store.list()).toEqual([]);
  });

  it('answers 400 when the Idempotency-Key header is missing', async () => {
    const response = await call('POST', '/v1/notifications', notification(1));

    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatch(/Idempotency-Key/);
  });

  it('answers 400 for a non-numeric legacy order id and an invalid orderId filter', async () => {
    expect((await call('GET', '/notify/abc')).status).toBe(400);
    const list = await call('GET', '/v1/notifications?orderId=-3');
    expect(list.status).toBe(400);
    expect((await json(list)).error).toMatch(/"orderId"/);
  });

  it('changes faults at run time through PUT /control/faults, validated', async () => {
    const bad = await call('PUT', '/control/faults', { failureRate: 2 });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error).toMatch(/"failureRate"/);

    const set = await call('PUT', '/control/faults', {
      failingOrderIds: [5],
      failStatus: 429,
      retryAfterSeconds: 7,
    });
    expect(set.status).toBe(200);
    expect(await (await call('GET', '/control/faults')).json()).toMatchObject({
      failingOrderIds: [5],
      failStatus: 429,
      retryAfterSeconds: 7,
      down: false,
    });

    const failed = await call('GET', '/notify/5');
    expect(failed.status).toBe(429);
    expect(failed.headers.get('retry-after')).toBe('7');
    expect((await call('GET', '/notify/6')).status).toBe(200);
  });

  it("answers 503 to every notification when down is '503'", async () => {
    notifier().faults.set({ down: '503', retryAfterSeconds: 2 });

    const response = await call('GET', '/notify/1');

    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(notifier().store.list()).toEqual([]);
  });

  it('counts notification requests in /stats and clears with DELETE /v1/notifications', async () => {
    await call('GET', '/notify/1');
    await call('GET', '/notify/2');
    const stats = await json(await call('GET', '/stats'));
    expect(stats).toMatchObject({
      requests: 2,
      inFlight: 0,
      maxInFlight: 1,
      notificationsStored: 2,
    });
    expect(stats.byRoute['GET /notify/:orderId']).toBe(2);

    expect((await call('DELETE', '/v1/notifications')).status).toBe(204);
    expect(await (await call('GET', '/v1/notifications')).json()).toEqual({ notifications: [] });
    expect((await json(await call('GET', '/stats'))).requests).toBe(0);
  });

  it('answers 404 for an unknown route', async () => {
    expect((await call('GET', '/nope')).status).toBe(404);
  });
});
