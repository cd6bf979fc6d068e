/**
 * The notifier client (`@ocs/notifier-client`) against the real notifier app over HTTP.
 * Delays are a few milliseconds so the suite is fast; assertions are on what the app
 * received and on the results, not on timing.
 */

import { createServer } from 'node:net';
import { createOrderNotifier, type NotifierClientOptionsInput } from '@ocs/notifier-client';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createNotifierServer } from '../src/app.js';
import { ordersWithIds, range, useNotifier } from './support.js';

const notifier = useNotifier();

/** Fast settings: tiny backoff, a breaker that does not open unless a test wants it to. */
function client(options: Partial<NotifierClientOptionsInput> = {}) {
  return createOrderNotifier({
    baseUrl: notifier().url,
    keyNamespace: 'test-install',
    initialDelayMs: 2,
    maxDelayMs: 10,
    attemptTimeoutMs: 2000,
    breakerThreshold: 100,
    ...options,
  });
}

describe('notifier client against the notifier app', () => {
  it('given a healthy service, notifies every order once, in both protocols', async () => {
    const v1 = await client({ protocol: 'v1', batchSize: 1 }).notifyCompleted(
      ordersWithIds([1, 2]),
    );
    const legacy = await client({ protocol: 'legacy' }).notifyCompleted(ordersWithIds([3]));

    expect(v1).toEqual([
      { orderId: 1, ok: true, attempts: 1 },
      { orderId: 2, ok: true, attempts: 1 },
    ]);
    expect(legacy).toEqual([{ orderId: 3, ok: true, attempts: 1 }]);
    const stored = notifier().store.list();
    expect(stored.map((n) => [n.orderId, n.protocol, n.idempotencyKey])).toEqual([
      [1, 'v1', 'test-install:order-completed:1'],
      [2, 'v1', 'test-install:order-completed:2'],
      [3, 'legacy', null],
    ]);
    expect(notifier().store.stats().byRoute).toMatchObject({
      'POST /v1/notifications': 2,
      'GET /notify/:orderId': 1,
    });
  });

  it('given a 500 on the first attempt, retries and reports the attempts', async () => {
    notifier().faults.set({ failFirstAttempts: 1, failStatus: 500 });

    const results = await client({ batchSize: 1 }).notifyCompleted(ordersWithIds([7]));

    expect(results).toEqual([{ orderId: 7, ok: true, attempts: 2 }]);
    expect(
      notifier()
        .store.requests(7)
        .map((r) => r.status),
    ).toEqual([500, 201]);
    expect(notifier().store.list(7)).toHaveLength(1);
  });

  it('given a permanent 500, fails after maxAttempts with the status and attempts', async () => {
    notifier().faults.set({ failingOrderIds: [8] });

    const [result] = await client({ protocol: 'legacy', maxAttempts: 3 }).notifyCompleted(
      ordersWithIds([8]),
    );

    expect(result).toMatchObject({
      orderId: 8,
      ok: false,
      reason: { kind: 'http-status', status: 500, attempts: 3 },
    });
    expect(notifier().store.requests(8)).toHaveLength(3);
  });

  it('given a 400, does not retry: the app saw exactly one request', async () => {
    notifier().faults.set({ failingOrderIds: [9], failStatus: 400 });

    const [result] = await client({ batchSize: 1, maxAttempts: 5 }).notifyCompleted(
      ordersWithIds([9]),
    );

    expect(result).toMatchObject({
      ok: false,
      reason: { kind: 'http-status', status: 400, attempts: 1 },
    });
    expect(notifier().store.requests(9)).toHaveLength(1);
  });

  it('given latency above the attempt timeout, reports a timeout after every attempt', async () => {
    notifier().faults.set({ latencyMs: 400 });

    const [result] = await client({
      batchSize: 1,
      maxAttempts: 2,
      attemptTimeoutMs: 50,
    }).notifyCompleted(ordersWithIds([10]));

    expect(result).toMatchObject({ ok: false, reason: { kind: 'timeout', attempts: 2 } });
    expect(notifier().store.requests(10)).toHaveLength(2);
  });

  it('given nothing listening, reports a network error', async () => {
    const closed = createOrderNotifier({
      baseUrl: await closedPortUrl(),
      keyNamespace: 'test-install',
      maxAttempts: 2,
      initialDelayMs: 1,
      maxDelayMs: 2,
    });

    const [result] = await closed.notifyCompleted(ordersWithIds([11]));

    expect(result).toMatchObject({ ok: false, reason: { kind: 'network', attempts: 2 } });
    expect(result?.ok === false && result.reason.message).toMatch(/ECONNREFUSED/);
  });

  it("given down: 'refuse', reports a network error; the control endpoint still answers", async () => {
    notifier().faults.set({ down: 'refuse' });

    const [result] = await client({ batchSize: 1, maxAttempts: 2 }).notifyCompleted(
      ordersWithIds([12]),
    );

    expect(result).toMatchObject({ ok: false, reason: { kind: 'network', attempts: 2 } });
    const faults = await fetch(`${notifier().url}/control/faults`).then((r) => r.json());
    expect(faults).toMatchObject({ down: 'refuse' });
    expect(notifier().store.list()).toEqual([]);
  });

  it('opens the breaker after the threshold, fails fast without the network, then half-opens', async () => {
    notifier().faults.set({ down: '503' });
    const breaking = client({
      batchSize: 1,
      concurrency: 1,
      maxAttempts: 1,
      breakerThreshold: 3,
      halfOpenAfterMs: 300,
    });

    const failed = await breaking.notifyCompleted(ordersWithIds([20, 21, 22]));
    expect(failed.map((r) => !r.ok && r.reason.kind)).toEqual([
      'http-status',
      'http-status',
      'http-status',
    ]);
    expect(breaking.circuitState).toBe('open');
    const requestsWhenOpened = notifier().store.stats().requests;

    notifier().faults.set({});
    const fastFailed = await breaking.notifyCompleted(ordersWithIds([23, 24]));
    expect(fastFailed).toEqual([
      {
        orderId: 23,
        ok: false,
        reason: expect.objectContaining({ kind: 'circuit-open', attempts: 0 }),
        maybeDelivered: false,
      },
      {
        orderId: 24,
        ok: false,
        reason: expect.objectContaining({ kind: 'circuit-open', attempts: 0 }),
        maybeDelivered: false,
      },
    ]);
    expect(notifier().store.stats().requests).toBe(requestsWhenOpened);

    // Waiting out halfOpenAfterMs (with a margin) is the behaviour under test, not a race.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const recovered = await breaking.notifyCompleted(ordersWithIds([25, 26]));
    expect(recovered).toEqual([
      { orderId: 25, ok: true, attempts: 1 },
      { orderId: 26, ok: true, attempts: 1 },
    ]);
    expect(breaking.circuitState).toBe('closed');
  });

  it('honours Retry-After: the second attempt arrives no sooner than it says', async () => {
    notifier().faults.set({ failFirstAttempts: 1, failStatus: 503, retryAfterSeconds: 1 });

    const [result] = await client({
      batchSize: 1,
      initialDelayMs: 1,
      maxDelayMs: 5,
    }).notifyCompleted(ordersWithIds([30]));

    expect(result).toEqual({ orderId: 30, ok: true, attempts: 2 });
    const [first, second] = notifier().store.requests(30);
    expect(first?.status).toBe(503);
    expect(second?.status).toBe(201);
    // Without Retry-After the backoff here is at most 5 ms; the app's own clock recorded both
    // arrivals, so the gap is an outcome. 50 ms of slack for timer granularity.
    expect((second?.receivedAtMs ?? 0) - (first?.receivedAtMs ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('gives up at once when Retry-After is longer than maxRetryAfterMs', async () => {
    notifier().faults.set({ failingOrderIds: [31], failStatus: 429, retryAfterSeconds: 60 });

    const [result] = await client({ batchSize: 1, maxRetryAfterMs: 1000 }).notifyCompleted(
      ordersWithIds([31]),
    );

    expect(result).toMatchObject({
      ok: false,
      reason: { kind: 'http-status', status: 429, attempts: 1 },
    });
  });

  it('never has more requests in flight than the concurrency limit', async () => {
    notifier().faults.set({ latencyMs: 30, jitterMs: 10 });

    const results = await client({ batchSize: 1, concurrency: 3 }).notifyCompleted(
      ordersWithIds(range(100, 24)),
    );

    expect(results.every((r) => r.ok)).toBe(true);
    const stats = notifier().store.stats();
    expect(stats.requests).toBe(24);
    expect(stats.maxInFlight).toBeLessThanOrEqual(3);
    expect(stats.maxInFlight).toBeGreaterThan(1);
  });

  it('shares the concurrency limit between concurrent calls of one notifier', async () => {
    notifier().faults.set({ latencyMs: 30 });
    const shared = client({ batchSize: 1, concurrency: 2 });

    await Promise.all([
      shared.notifyCompleted(ordersWithIds(range(200, 6))),
      shared.notifyCompleted(ordersWithIds(range(300, 6))),
    ]);

    expect(notifier().store.stats().maxInFlight).toBeLessThanOrEqual(2);
  });

  it('splits N orders into ceil(N / batchSize) batch requests', async () => {
    const results = await client({ batchSize: 10 }).notifyCompleted(ordersWithIds(range(400, 25)));

    expect(results.every((r) => r.ok && r.attempts === 1)).toBe(true);
    const batches = notifier().store.requests();
    expect(batches.map((r) => r.orderIds.length)).toEqual([10, 10, 5]);
    expect(notifier().store.stats().byRoute['POST /v1/notifications/batch']).toBe(3);
    expect(notifier().store.list()).toHaveLength(25);
  });

  it('in a batch, retries only the orders that failed and reports each one', async () => {
    notifier().faults.set({ failingOrderIds: [503], failFirstAttempts: 1 });

    const results = await client({ batchSize: 10, maxAttempts: 3 }).notifyCompleted(
      ordersWithIds([501, 502, 503]),
    );

    expect(results).toEqual([
      { orderId: 501, ok: true, attempts: 2 },
      { orderId: 502, ok: true, attempts: 2 },
      {
        orderId: 503,
        ok: false,
        reason: expect.objectContaining({ kind: 'rejected', status: 500, attempts: 3 }),
        maybeDelivered: false,
      },
    ]);
    expect(
      notifier()
        .store.requests()
        .map((r) => r.orderIds),
    ).toEqual([[501, 502, 503], [501, 502, 503], [503]]);
  });

  it('stores the same order once when it is sent twice, single and batch', async () => {
    const single = client({ batchSize: 1 });
    const batch = client({ batchSize: 50 });

    const first = await single.notifyCompleted(ordersWithIds([600]));
    const again = await single.notifyCompleted(ordersWithIds([600]));
    const viaBatch = await batch.notifyCompleted(ordersWithIds([600, 601, 601]));

    expect([...first, ...again, ...viaBatch].every((r) => r.ok)).toBe(true);
    expect(notifier().store.list(600)).toHaveLength(1);
    expect(notifier().store.list(601)).toHaveLength(1);
    expect(notifier().store.requests(600)).toHaveLength(3);
    expect(notifier().store.stats().duplicates).toBe(2);
  });

  it('sends the auth header when configured', async () => {
    const guarded = createNotifierServerWithAuth();
    const { url } = await guarded.listen(0, '127.0.0.1');
    try {
      const withAuth = createOrderNotifier({
        baseUrl: url,
        keyNamespace: 'test-install',
        authHeader: 'Bearer t0ken',
        batchSize: 1,
      });
      const without = createOrderNotifier({
        baseUrl: url,
        keyNamespace: 'test-install',
        batchSize: 1,
      });

      expect(await withAuth.notifyCompleted(ordersWithIds([700]))).toEqual([
        { orderId: 700, ok: true, attempts: 1 },
      ]);
      expect(await without.notifyCompleted(ordersWithIds([701]))).toMatchObject([
        { ok: false, reason: { kind: 'http-status', status: 401, attempts: 1 } },
      ]);
    } finally {
      await guarded.close();
    }
  });

  it('cancels through the AbortSignal: in-flight and queued orders end as cancelled', async () => {
    notifier().faults.set({ latencyMs: 2000 });
    const controller = new AbortController();

    const call = client({ batchSize: 1, concurrency: 2 }).notifyCompleted(
      ordersWithIds(range(800, 10)),
      { signal: controller.signal },
    );
    // Abort once the two that hold a concurrency slot are at the service.
    await vi.waitFor(() => expect(notifier().store.stats().requests).toBe(2));
    controller.abort();
    const results = await call;

    expect(results).toHaveLength(10);
    expect(results.every((r) => !r.ok && r.reason.kind === 'cancelled')).toBe(true);
    // In flight when aborted: may have been delivered; never sent: certainly not.
    expect(results.map((r) => !r.ok && r.maybeDelivered)).toEqual([
      true,
      true,
      ...Array(8).fill(false),
    ]);
    expect(notifier().store.stats().requests).toBe(2);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const results = await client().notifyCompleted(ordersWithIds([900, 901]), {
      signal: AbortSignal.abort(),
    });

    expect(results.map((r) => !r.ok && r.reason)).toEqual([
      expect.objectContaining({ kind: 'cancelled', attempts: 0 }),
      expect.objectContaining({ kind: 'cancelled', attempts: 0 }),
    ]);
    expect(notifier().store.stats().requests).toBe(0);
  });
});

function createNotifierServerWithAuth() {
  return createNotifierServer({ authHeader: 'Bearer t0ken', logger: pino({ level: 'silent' }) });
}

/** A port that was just free: bind it, read it, release it. */
async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}
