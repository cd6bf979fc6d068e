/**
 * The retry and breaker policies of the client against the fake notification server: which
 * answers are retried, `Retry-After`, the circuit breaker, batches and headers. Assertions are
 * on the results and on the requests the server received. Waits are on the fake clock: the
 * breaker's (Date) and the backoff's (setTimeout), moved by the test, never on the wall clock.
 */
import type { Logger, Order } from '@ocs/domain';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOrderNotifier, type HttpOrderNotifier } from '../src/http-order-notifier.js';
import type { NotifierClientOptionsInput } from '../src/options.js';
import {
  type FakeNotificationServer,
  startFakeNotificationServer,
} from '../src/testing/fake-notification-server.js';

let server: FakeNotificationServer;
const clients: HttpOrderNotifier[] = [];

beforeAll(async () => {
  server = await startFakeNotificationServer();
});
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(clients.splice(0).map((client) => client.close()));
  server.reset();
});
afterAll(() => server.close());

function client(
  options: Partial<NotifierClientOptionsInput> = {},
  logger?: Logger,
): HttpOrderNotifier {
  const notifier = createOrderNotifier(
    {
      baseUrl: server.url,
      keyNamespace: 'inst-a',
      initialDelayMs: 0,
      maxDelayMs: 0,
      breakerThreshold: 100,
      ...options,
    },
    logger ? { logger } : {},
  );
  clients.push(notifier);
  return notifier;
}

function orders(...ids: number[]): Order[] {
  return ids.map((id) => ({
    id,
    orderDate: new Date('2024-01-01T00:00:00Z'),
    state: 'SUBMITTED' as const,
    lines: [{ id, productId: 1, orderedQuantity: 1, deliveredQuantity: 1 }],
  }));
}

/** A logger that tells when the client has scheduled a retry (its backoff timer is set). */
function retryWatcher() {
  let waiting: { resolve: (delayMs: number) => void } | null = null;
  const delays: number[] = [];
  const log = (obj: object | string, msg?: string) => {
    if (msg !== 'retrying a notification' || typeof obj === 'string') return;
    const { delayMs } = obj as { delayMs: number };
    delays.push(delayMs);
    waiting?.resolve(delayMs);
    waiting = null;
  };
  const logger: Logger = { debug: log, info: log, warn: log, error: log };
  return {
    logger,
    /** Resolves with the delay of the next retry scheduled (or of one already scheduled). */
    nextRetry(): Promise<number> {
      if (delays.length > 0) return Promise.resolve(delays.shift() as number);
      return new Promise((resolve) => {
        waiting = {
          resolve: (delay) => {
            delays.shift();
            resolve(delay);
          },
        };
      });
    },
  };
}

describe('which answers are retried', () => {
  it.each([
    [500, 2],
    [502, 2],
    [503, 2],
    [599, 2],
    [408, 2],
    [429, 2],
    [400, 1],
    [404, 1],
    [409, 1],
    [422, 1],
    [499, 1],
  ])('v1: after a %i, sends %i request(s)', async (status, requests) => {
    server.script(1, { status });

    const [result] = await client({ batchSize: 1, maxAttempts: 2 }).notifyCompleted(orders(1));

    expect(server.requestsFor(1)).toHaveLength(requests);
    if (requests === 2) {
      expect(result).toEqual({ orderId: 1, ok: true, attempts: 2 });
    } else {
      expect(result).toEqual({
        orderId: 1,
        ok: false,
        maybeDelivered: false,
        reason: {
          kind: 'http-status',
          status,
          attempts: 1,
          message: `the notification service answered ${status}: scripted ${status}`,
        },
      });
    }
  });

  it.each([
    [500, 2],
    [408, 2],
    [429, 2],
    [404, 1],
  ])('legacy: after a %i, sends %i request(s)', async (status, requests) => {
    server.script(2, { status });

    const [result] = await client({ protocol: 'legacy', maxAttempts: 2 }).notifyCompleted(
      orders(2),
    );

    expect(server.requestsFor(2)).toHaveLength(requests);
    expect(result?.ok).toBe(requests === 2);
  });

  it('gives up after maxAttempts, reporting the last status and every attempt', async () => {
    server.script(3, { status: 500 }, { status: 502 }, { status: 503 });

    const [result] = await client({ batchSize: 1, maxAttempts: 3 }).notifyCompleted(orders(3));

    expect(result).toEqual({
      orderId: 3,
      ok: false,
      maybeDelivered: false,
      reason: {
        kind: 'http-status',
        status: 503,
        attempts: 3,
        message: 'the notification service answered 503: scripted 503',
      },
    });
    expect(server.requestsFor(3)).toHaveLength(3);
  });

  it('with maxAttempts 1, never retries', async () => {
    server.script(4, { status: 500 });

    const [result] = await client({ batchSize: 1, maxAttempts: 1 }).notifyCompleted(orders(4));

    expect(result).toMatchObject({ ok: false, reason: { status: 500, attempts: 1 } });
    expect(server.requestsFor(4)).toHaveLength(1);
  });
});

describe('Retry-After', () => {
  it.each([
    ['v1', 503],
    ['v1', 429],
    ['legacy', 503],
  ] as const)(
    '%s: the retry after a %i waits as long as the header says',
    async (protocol, status) => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      server.script(5, { status, retryAfterSeconds: 2 });
      const watcher = retryWatcher();

      const call = client({ protocol, batchSize: 1 }, watcher.logger).notifyCompleted(orders(5));
      expect(await watcher.nextRetry()).toBe(2000);
      await vi.advanceTimersByTimeAsync(1999);
      const beforeTheDelay = server.requestsFor(5).length;
      await vi.advanceTimersByTimeAsync(1);
      const [result] = await call;

      expect(beforeTheDelay).toBe(1);
      expect(result).toEqual({ orderId: 5, ok: true, attempts: 2 });
      expect(server.requestsFor(5)).toHaveLength(2);
    },
  );

  it('is read only on a 429 or 503', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    server.script(6, { status: 500, retryAfterSeconds: 60 });
    const watcher = retryWatcher();

    const call = client({ batchSize: 1 }, watcher.logger).notifyCompleted(orders(6));

    expect(await watcher.nextRetry()).toBe(0);
    expect(await call).toEqual([{ orderId: 6, ok: true, attempts: 2 }]);
  });

  it('the backoff still applies when it is longer than Retry-After', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    server.script(7, { status: 503, retryAfterSeconds: 0 });
    const watcher = retryWatcher();

    const call = client(
      { batchSize: 1, initialDelayMs: 3000, maxDelayMs: 3000 },
      watcher.logger,
    ).notifyCompleted(orders(7));

    // Full jitter: somewhere up to the exponential delay, not the header's 0.
    const delay = await watcher.nextRetry();
    expect(delay).toBeGreaterThan(0);
    expect(delay).toBeLessThanOrEqual(3000);
    await vi.advanceTimersByTimeAsync(3000);
    expect(await call).toEqual([{ orderId: 7, ok: true, attempts: 2 }]);
  });

  it('longer than maxRetryAfterMs: gives up at once, reporting the status', async () => {
    server.script(8, { status: 429, retryAfterSeconds: 2 });

    const [result] = await client({ batchSize: 1, maxRetryAfterMs: 1999 }).notifyCompleted(
      orders(8),
    );

    expect(result).toMatchObject({
      ok: false,
      maybeDelivered: false,
      reason: { kind: 'http-status', status: 429, attempts: 1 },
    });
    expect(server.requestsFor(8)).toHaveLength(1);
  });

  it('exactly maxRetryAfterMs: waits and retries', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    server.script(9, { status: 429, retryAfterSeconds: 2 });
    const watcher = retryWatcher();

    const call = client({ batchSize: 1, maxRetryAfterMs: 2000 }, watcher.logger).notifyCompleted(
      orders(9),
    );
    expect(await watcher.nextRetry()).toBe(2000);
    await vi.advanceTimersByTimeAsync(2000);

    expect(await call).toEqual([{ orderId: 9, ok: true, attempts: 2 }]);
  });
});

describe('circuit breaker', () => {
  const HALF_OPEN_AFTER = 10_000;
  /** Moves the clock the breaker reads (Date) without touching any timer. */
  const clockAt = (start: number, ms: number) => vi.setSystemTime(start + ms);

  it('opens after breakerThreshold failures, fails fast without sending, half-opens after halfOpenAfterMs', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    server.defaultOutcome = { status: 503 };
    const breaking = client({
      batchSize: 1,
      concurrency: 1,
      maxAttempts: 1,
      breakerThreshold: 3,
      halfOpenAfterMs: HALF_OPEN_AFTER,
    });

    const failed = await breaking.notifyCompleted(orders(20, 21, 22));
    expect(failed.map((r) => !r.ok && r.reason.kind)).toEqual([
      'http-status',
      'http-status',
      'http-status',
    ]);
    expect(breaking.circuitState).toBe('open');

    server.defaultOutcome = 'ok';
    clockAt(start, HALF_OPEN_AFTER - 1);
    const fastFailed = await breaking.notifyCompleted(orders(23, 24));
    expect(fastFailed).toEqual([
      {
        orderId: 23,
        ok: false,
        maybeDelivered: false,
        reason: {
          kind: 'circuit-open',
          attempts: 0,
          message:
            'the circuit is open after consecutive failures: not sent, to let the service recover',
        },
      },
      expect.objectContaining({ orderId: 24, reason: expect.objectContaining({ attempts: 0 }) }),
    ]);
    expect(server.requests).toHaveLength(3);

    clockAt(start, HALF_OPEN_AFTER);
    const recovered = await breaking.notifyCompleted(orders(25, 26));
    expect(recovered).toEqual([
      { orderId: 25, ok: true, attempts: 1 },
      { orderId: 26, ok: true, attempts: 1 },
    ]);
    expect(breaking.circuitState).toBe('closed');
  });

  it('does not open below the threshold, and a success resets the count', async () => {
    const breaking = client({ batchSize: 1, concurrency: 1, maxAttempts: 1, breakerThreshold: 3 });
    server.script(30, { status: 500 });
    server.script(31, { status: 500 });
    server.script(33, { status: 500 });
    server.script(34, { status: 500 });

    const results = await breaking.notifyCompleted(orders(30, 31, 32, 33, 34, 35));

    expect(results.map((r) => r.ok)).toEqual([false, false, true, false, false, true]);
    expect(breaking.circuitState).toBe('closed');
  });

  it('does not count 4xx answers: the service is up, the request was wrong', async () => {
    server.defaultOutcome = { status: 422 };
    const breaking = client({ batchSize: 1, concurrency: 1, maxAttempts: 1, breakerThreshold: 2 });

    await breaking.notifyCompleted(orders(40, 41, 42));

    expect(breaking.circuitState).toBe('closed');
    expect(server.requests).toHaveLength(3);
  });

  it('counts a batch only when all its entries failed', async () => {
    const breaking = client({ batchSize: 2, concurrency: 1, maxAttempts: 1, breakerThreshold: 2 });
    server.script(50, { status: 500 });
    server.script(52, { status: 500 });

    const partly = await breaking.notifyCompleted(orders(50, 51, 52, 53));
    expect(partly.map((r) => r.ok)).toEqual([false, true, false, true]);
    expect(breaking.circuitState).toBe('closed');

    server.defaultOutcome = { status: 500 };
    await breaking.notifyCompleted(orders(54, 55, 56, 57));
    expect(breaking.circuitState).toBe('open');
  });
});

describe('batches', () => {
  it('splits the orders into batches of batchSize, each entry with its own key', async () => {
    const ids = Array.from({ length: 25 }, (_, i) => 100 + i);

    const results = await client({ batchSize: 10, concurrency: 1 }).notifyCompleted(orders(...ids));

    expect(results.every((r) => r.ok && r.attempts === 1)).toBe(true);
    expect(server.requests.map((r) => [r.route, r.orderIds.length])).toEqual([
      ['batch', 10],
      ['batch', 10],
      ['batch', 5],
    ]);
    expect(server.requests.flatMap((r) => r.idempotencyKeys)).toEqual(
      ids.map((id) => `inst-a:order-completed:${id}`),
    );
  });

  it('reports an entry rejected with a 4xx at once, and retries only the transient ones', async () => {
    server.script(60, { status: 422 });
    server.script(61, { status: 500 }, { status: 500 });

    const results = await client({ batchSize: 10, maxAttempts: 2 }).notifyCompleted(
      orders(60, 61, 62),
    );

    expect(results).toEqual([
      {
        orderId: 60,
        ok: false,
        maybeDelivered: false,
        reason: {
          kind: 'rejected',
          status: 422,
          attempts: 1,
          message: 'the notification service rejected this order: scripted 422',
        },
      },
      {
        orderId: 61,
        ok: false,
        maybeDelivered: false,
        reason: {
          kind: 'rejected',
          status: 500,
          attempts: 2,
          message: 'the notification service rejected this order: scripted 500',
        },
      },
      { orderId: 62, ok: true, attempts: 1 },
    ]);
    expect(server.requests.map((r) => r.orderIds)).toEqual([[60, 61, 62], [61]]);
  });

  it('answers the same order twice in one call once, sending it once', async () => {
    const results = await client({ batchSize: 10 }).notifyCompleted(orders(70, 70, 71));

    expect(results).toEqual([
      { orderId: 70, ok: true, attempts: 1 },
      { orderId: 70, ok: true, attempts: 1 },
      { orderId: 71, ok: true, attempts: 1 },
    ]);
    expect(server.requests.map((r) => r.orderIds)).toEqual([[70, 71]]);
  });

  it('sends nothing for no orders', async () => {
    expect(await client().notifyCompleted([])).toEqual([]);
    expect(server.requests).toEqual([]);
  });
});

describe('headers', () => {
  it.each([
    ['v1', 1],
    ['v1', 10],
    ['legacy', 1],
  ] as const)(
    '%s (batchSize %i) sends the auth header when configured, and none otherwise',
    async (protocol, batchSize) => {
      await client({ protocol, batchSize, authHeader: 'Bearer t0ken' }).notifyCompleted(orders(80));
      await client({ protocol, batchSize }).notifyCompleted(orders(81));

      expect(server.requests.map((r) => [r.orderIds, r.authorization])).toEqual([
        [[80], 'Bearer t0ken'],
        [[81], undefined],
      ]);
    },
  );

  it('uses the path of the base URL for legacy requests', async () => {
    const prefixed = client({ protocol: 'legacy', baseUrl: `${server.url}/` });

    expect(await prefixed.notifyCompleted(orders(90))).toEqual([
      { orderId: 90, ok: true, attempts: 1 },
    ]);
    expect(server.requestsFor(90).map((r) => r.route)).toEqual(['legacy']);
  });
});
