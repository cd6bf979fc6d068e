/**
 * The notifier client (`@ocs/notifier-client`) against the real notifier app over HTTP: the
 * contract between the two, one case per fault mode of the app. The client's own behaviour
 * (retries, timeouts, breaker, cancellation) is tested in its package against a fake server.
 * Assertions are on what the app received and on the results; the one wait (Retry-After) runs
 * on fake timers, moved by the test once the client has scheduled its retry.
 */

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

  it("honours the app's Retry-After: the second attempt waits as long as it says", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    notifier().faults.set({ failFirstAttempts: 1, failStatus: 503, retryAfterSeconds: 1 });
    let retryScheduled: () => void = () => {};
    const scheduled = new Promise<void>((resolve) => {
      retryScheduled = resolve;
    });
    const log = (_obj: unknown, msg?: string) => {
      if (msg === 'retrying a notification') retryScheduled();
    };
    const logger = { debug: log, info: log, warn: log, error: log };

    const call = createOrderNotifier(
      {
        baseUrl: notifier().url,
        keyNamespace: 'test-install',
        batchSize: 1,
        initialDelayMs: 0,
        maxDelayMs: 0,
        breakerThreshold: 100,
      },
      { logger },
    ).notifyCompleted(ordersWithIds([30]));
    await scheduled;
    await vi.advanceTimersByTimeAsync(999);
    const beforeTheDelay = notifier().store.requests(30).length;
    await vi.advanceTimersByTimeAsync(1);
    const [result] = await call;
    vi.useRealTimers();

    expect(beforeTheDelay).toBe(1);
    expect(result).toEqual({ orderId: 30, ok: true, attempts: 2 });
    expect(
      notifier()
        .store.requests(30)
        .map((r) => r.status),
    ).toEqual([503, 201]);
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
});

function createNotifierServerWithAuth() {
  return createNotifierServer({ authHeader: 'Bearer t0ken', logger: pino({ level: 'silent' }) });
}
