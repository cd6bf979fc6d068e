/**
 * The client against the fake notification server over real HTTP. Assertions are on outcomes:
 * the results returned and the requests the server received. Timeouts are short and driven by
 * the server never answering ('hang'), waits are on events (a request arriving, a result).
 * Timeouts run on fake timers, advanced only once the server has the request, so a slow
 * machine cannot time a request out before the server saw it.
 */
import { createServer } from 'node:net';
import type { NotificationResult, Order } from '@ocs/domain';
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

function client(options: Partial<NotifierClientOptionsInput> = {}): HttpOrderNotifier {
  const notifier = createOrderNotifier({
    baseUrl: server.url,
    keyNamespace: 'inst-a',
    initialDelayMs: 1,
    maxDelayMs: 2,
    breakerThreshold: 100,
    ...options,
  });
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

/**
 * Fake `setTimeout` only (the HTTP stack keeps its own timers), with no backoff delay, so the
 * only timers are the attempts' timeouts.
 */
function fakeTimeouts(): Partial<NotifierClientOptionsInput> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  return { initialDelayMs: 0, maxDelayMs: 0 };
}

/** Lets the server receive the order's request, then runs its attempt's timeout. */
async function timeOutRequest(orderId: number, ms: number): Promise<void> {
  await server.waitForRequests(1, orderId);
  await vi.advanceTimersByTimeAsync(ms);
}

const keysFor = (orderId: number) =>
  server.requestsFor(orderId).map((request) => {
    const index = request.orderIds.indexOf(orderId);
    return request.idempotencyKeys[index];
  });

describe('idempotency keys', () => {
  it('sends the namespaced key, the same on every retry (single endpoint)', async () => {
    server.script(1, { status: 500 }, { status: 503 });

    const results = await client({ batchSize: 1 }).notifyCompleted(orders(1));

    expect(results).toEqual([{ orderId: 1, ok: true, attempts: 3 }]);
    expect(keysFor(1)).toEqual([
      'inst-a:order-completed:1',
      'inst-a:order-completed:1',
      'inst-a:order-completed:1',
    ]);
  });

  it('sends the namespaced key per batch entry, the same on every retry', async () => {
    server.script(3, { status: 500 });

    const results = await client({ batchSize: 10 }).notifyCompleted(orders(2, 3));

    expect(results).toEqual([
      { orderId: 2, ok: true, attempts: 1 },
      { orderId: 3, ok: true, attempts: 2 },
    ]);
    expect(keysFor(3)).toEqual(['inst-a:order-completed:3', 'inst-a:order-completed:3']);
    expect(server.requests.map((request) => request.orderIds)).toEqual([[2, 3], [3]]);
  });

  it.each([1, 10])(
    'counts a duplicate of our own key as delivered (batchSize %i)',
    async (batchSize) => {
      const notifier = client({ batchSize });
      await notifier.notifyCompleted(orders(4));
      server.script(5, { duplicate: true, echoKey: null }); // no echo: the request carried ours

      const again = await notifier.notifyCompleted(orders(4, 5));

      expect(again).toEqual([
        { orderId: 4, ok: true, attempts: 1 },
        { orderId: 5, ok: true, attempts: 1 },
      ]);
      expect(server.storedKeys).toEqual(['inst-a:order-completed:4']);
    },
  );

  it.each([1, 10])(
    'counts a duplicate of a foreign key as a failure, not retried (batchSize %i)',
    async (batchSize) => {
      server.script(6, { duplicate: true, echoKey: 'inst-b:order-completed:6' });

      const [result] = await client({ batchSize }).notifyCompleted(orders(6));

      expect(result).toMatchObject({
        orderId: 6,
        ok: false,
        reason: { kind: 'rejected', attempts: 1 },
        maybeDelivered: false,
      });
      expect(server.requestsFor(6)).toHaveLength(1);
    },
  );

  it('two notifiers of one installation (replicas, later runs) send the same key: stored once', async () => {
    const first = await client({ batchSize: 1 }).notifyCompleted(orders(8));
    const replica = await client({ batchSize: 10 }).notifyCompleted(orders(8));

    expect([...first, ...replica]).toEqual([
      { orderId: 8, ok: true, attempts: 1 },
      { orderId: 8, ok: true, attempts: 1 },
    ]);
    expect(keysFor(8)).toEqual(['inst-a:order-completed:8', 'inst-a:order-completed:8']);
    expect(server.storedKeys).toEqual(['inst-a:order-completed:8']);
  });

  it('keeps installations apart: another namespace is not a duplicate of ours', async () => {
    await client({ batchSize: 1 }).notifyCompleted(orders(7));
    const other = await client({ batchSize: 1, keyNamespace: 'inst-b' }).notifyCompleted(orders(7));

    expect(other).toEqual([{ orderId: 7, ok: true, attempts: 1 }]);
    expect(server.storedKeys).toEqual(['inst-a:order-completed:7', 'inst-b:order-completed:7']);
  });
});

describe('legacy: a request that may have been delivered is not sent again', () => {
  // Long enough never to fire on a slow machine unless a test runs it on fake timers.
  const LEGACY_TIMEOUT = 10_000;
  const legacy = (options: Partial<NotifierClientOptionsInput> = {}) =>
    client({ protocol: 'legacy', maxAttempts: 4, legacyTimeoutMs: LEGACY_TIMEOUT, ...options });

  it('does not retry a timeout: the server saw exactly one request', async () => {
    server.script(10, 'hang');
    const notifier = legacy(fakeTimeouts());

    const call = notifier.notifyCompleted(orders(10));
    await timeOutRequest(10, LEGACY_TIMEOUT);
    const [result] = await call;
    await notifier.close(); // nothing left that could still send

    expect(result).toMatchObject({
      ok: false,
      reason: { kind: 'timeout', attempts: 1 },
      maybeDelivered: true,
    });
    expect(server.requestsFor(10)).toHaveLength(1);
  });

  it('does not retry a connection dropped after the request was received', async () => {
    server.script(11, 'destroy');
    const notifier = legacy();

    const [result] = await notifier.notifyCompleted(orders(11));
    await notifier.close();

    expect(result).toMatchObject({
      ok: false,
      reason: { kind: 'network', attempts: 1 },
      maybeDelivered: true,
    });
    expect(server.requestsFor(11)).toHaveLength(1);
  });

  it('retries them with retryUnconfirmed: true', async () => {
    server.script(12, 'hang', 'destroy');

    const call = legacy({ retryUnconfirmed: true, ...fakeTimeouts() }).notifyCompleted(orders(12));
    await timeOutRequest(12, LEGACY_TIMEOUT);
    const [result] = await call;

    expect(result).toEqual({ orderId: 12, ok: true, attempts: 3 });
    expect(server.requestsFor(12).map((request) => request.outcome)).toEqual([
      'hang',
      'destroy',
      200,
    ]);
  });

  it('retries a 500 (an answer: certainly not delivered)', async () => {
    server.script(13, { status: 500 }, { status: 502 });

    const [result] = await legacy().notifyCompleted(orders(13));

    expect(result).toEqual({ orderId: 13, ok: true, attempts: 3 });
    expect(server.requestsFor(13)).toHaveLength(3);
  });

  it('reports a 500 to the last attempt as not delivered', async () => {
    server.script(14, { status: 500 }, { status: 500 });

    const [result] = await legacy({ maxAttempts: 2 }).notifyCompleted(orders(14));

    expect(result).toMatchObject({
      ok: false,
      reason: { kind: 'http-status', status: 500, attempts: 2 },
      maybeDelivered: false,
    });
  });

  it('waits for a slow service up to legacyTimeoutMs, not attemptTimeoutMs', async () => {
    server.latencyMs = 30;

    const [result] = await legacy({ attemptTimeoutMs: 1, legacyTimeoutMs: 10_000 }).notifyCompleted(
      orders(15),
    );

    expect(result).toEqual({ orderId: 15, ok: true, attempts: 1 });
    expect(server.requestsFor(15)).toHaveLength(1);
  });

  it('keeps retrying a refused connection and reports it as not delivered', async () => {
    const refused = createOrderNotifier({
      baseUrl: await closedPortUrl(),
      keyNamespace: 'inst-a',
      protocol: 'legacy',
      maxAttempts: 3,
      initialDelayMs: 1,
      maxDelayMs: 2,
    });
    clients.push(refused);

    const [result] = await refused.notifyCompleted(orders(16));

    expect(result).toMatchObject({
      ok: false,
      reason: { kind: 'network', attempts: 3 },
      maybeDelivered: false,
    });
    expect(result?.ok === false && result.reason.message).toMatch(/ECONNREFUSED/);
  });
});

describe('v1 retries what may have been delivered, under the same key', () => {
  it('retries a timeout with the same key', async () => {
    server.script(20, 'hang');

    const call = client({ batchSize: 1, attemptTimeoutMs: 50, ...fakeTimeouts() }).notifyCompleted(
      orders(20),
    );
    await timeOutRequest(20, 50);
    const [result] = await call;

    expect(result).toEqual({ orderId: 20, ok: true, attempts: 2 });
    expect(keysFor(20)).toEqual(['inst-a:order-completed:20', 'inst-a:order-completed:20']);
    expect(server.storedKeys).toEqual(['inst-a:order-completed:20']);
  });

  it('stays "maybe delivered" when a timed-out attempt is followed by 500s', async () => {
    server.script(21, 'hang', { status: 500 }, { status: 500 });

    const call = client({
      batchSize: 1,
      attemptTimeoutMs: 50,
      maxAttempts: 3,
      ...fakeTimeouts(),
    }).notifyCompleted(orders(21));
    await timeOutRequest(21, 50);
    const [result] = await call;

    expect(result).toMatchObject({
      ok: false,
      reason: { kind: 'http-status', status: 500, attempts: 3 },
      maybeDelivered: true,
    });
  });

  it('marks every order of a dropped batch as maybe delivered', async () => {
    server.script(22, 'destroy', 'destroy');

    const results = await client({ batchSize: 10, maxAttempts: 2 }).notifyCompleted(orders(22, 23));

    expect(results).toEqual([
      expect.objectContaining({ orderId: 22, ok: false, maybeDelivered: true }),
      expect.objectContaining({ orderId: 23, ok: false, maybeDelivered: true }),
    ]);
    expect(server.requests).toHaveLength(2);
  });

  it('reports a refused connection as not delivered', async () => {
    const refused = createOrderNotifier({
      baseUrl: await closedPortUrl(),
      keyNamespace: 'inst-a',
      maxAttempts: 2,
      initialDelayMs: 1,
      maxDelayMs: 2,
    });
    clients.push(refused);

    const [result] = await refused.notifyCompleted(orders(24));

    expect(result).toMatchObject({
      ok: false,
      reason: { kind: 'network', attempts: 2 },
      maybeDelivered: false,
    });
  });
});

describe('onResult and cancellation', () => {
  it.each(['legacy', 'v1'] as const)(
    'calls onResult once per order as soon as it is final, before resolving (%s)',
    async (protocol) => {
      server.script(31, 'hang');
      const seen: NotificationResult[] = [];
      let resolved = false;
      let firstFinal = () => {};
      const first = new Promise<void>((resolve) => {
        firstFinal = resolve;
      });
      const controller = new AbortController();

      const call = client({ protocol, batchSize: 1, concurrency: 2 })
        .notifyCompleted(orders(30, 31, 30), {
          signal: controller.signal,
          onResult: (result) => {
            expect(resolved).toBe(false);
            seen.push(result);
            if (result.orderId === 30) firstFinal();
          },
        })
        .then((results) => {
          resolved = true;
          return results;
        });

      await first; // 30 is final while 31 still hangs
      expect(resolved).toBe(false);
      await server.waitForRequests(1, 31);
      controller.abort();
      const results = await call;

      expect(seen.map((result) => result.orderId).sort()).toEqual([30, 31]);
      expect(results).toEqual([seen[0], seen[1], seen[0]]);
      expect(results[1]).toMatchObject({
        orderId: 31,
        ok: false,
        reason: { kind: 'cancelled', attempts: 1 },
        maybeDelivered: true,
      });
    },
  );

  it.each(['legacy', 'v1'] as const)(
    'stops sending at once on abort: never-sent orders are cancelled and not delivered (%s)',
    async (protocol) => {
      server.script(40, 'hang');
      const controller = new AbortController();
      const notifier = client({ protocol, batchSize: 1, concurrency: 1 });

      const call = notifier.notifyCompleted(orders(40, 41, 42, 43), {
        signal: controller.signal,
      });
      await server.waitForRequests(1, 40);
      controller.abort();
      const results = await call;
      await notifier.close(); // every unit has wound down: nothing else will be sent

      expect(results).toEqual([
        expect.objectContaining({
          orderId: 40,
          reason: expect.objectContaining({ kind: 'cancelled', attempts: 1 }),
          maybeDelivered: true,
        }),
        ...[41, 42, 43].map((orderId) =>
          expect.objectContaining({
            orderId,
            ok: false,
            reason: expect.objectContaining({ kind: 'cancelled', attempts: 0 }),
            maybeDelivered: false,
          }),
        ),
      ]);
      expect(server.requests.map((request) => request.orderIds)).toEqual([[40]]);
    },
  );

  it('resolves an order waiting for its retry at once on abort, keeping what it knows', async () => {
    server.script(50, 'destroy');
    const controller = new AbortController();
    const notifier = client({
      protocol: 'legacy',
      retryUnconfirmed: true,
      initialDelayMs: 60_000,
      maxDelayMs: 60_000,
    });

    const call = notifier.notifyCompleted(orders(50), { signal: controller.signal });
    await server.waitForRequests(1, 50);
    controller.abort();
    const [result] = await call;

    expect(result).toMatchObject({
      ok: false,
      reason: { kind: 'cancelled', attempts: 1 },
      maybeDelivered: true,
    });
    expect(server.requests).toHaveLength(1);
  });

  it('hands the concurrency slots of an aborted call on to the next call of the same notifier', async () => {
    server.script(70, 'hang');
    const controller = new AbortController();
    const notifier = client({ protocol: 'legacy', concurrency: 1 });

    const aborted = notifier.notifyCompleted(orders(70, 71, 72), { signal: controller.signal });
    await server.waitForRequests(1, 70);
    const next = notifier.notifyCompleted(orders(73)); // queued behind the aborted call's orders
    controller.abort();

    expect((await aborted).every((result) => !result.ok)).toBe(true);
    expect(await next).toEqual([{ orderId: 73, ok: true, attempts: 1 }]);
    expect(server.requests.map((request) => request.orderIds)).toEqual([[70], [73]]);
  });

  it('keeps every result when onResult throws', async () => {
    const seen: number[] = [];
    const results = await client({ protocol: 'legacy' }).notifyCompleted(orders(80, 81), {
      onResult: (result) => {
        seen.push(result.orderId);
        throw new Error('the caller failed to record it');
      },
    });

    expect(results).toEqual([
      { orderId: 80, ok: true, attempts: 1 },
      { orderId: 81, ok: true, attempts: 1 },
    ]);
    expect(seen.sort()).toEqual([80, 81]);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const seen: NotificationResult[] = [];
    const results = await client().notifyCompleted(orders(60, 61), {
      signal: AbortSignal.abort(),
      onResult: (result) => seen.push(result),
    });

    expect(results).toEqual(seen);
    expect(results.map((r) => !r.ok && [r.reason.kind, r.maybeDelivered])).toEqual([
      ['cancelled', false],
      ['cancelled', false],
    ]);
    expect(server.requests).toHaveLength(0);
  });
});

/** A port that was just free: bind it, read it, release it. */
async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}

describe('beforeSend: the caller pauses or stops new requests', () => {
  for (const protocol of ['legacy', 'v1'] as const) {
    it(`${protocol}: waits before each request, and sends nothing once it answers false`, async () => {
      let asked = 0;
      let release = () => {};
      const paused = new Promise<void>((resolve) => {
        release = resolve;
      });
      let thirdAsked = () => {};
      const waiting = new Promise<void>((resolve) => {
        thirdAsked = resolve;
      });
      const notifier = client({ protocol, batchSize: 1, concurrency: 1 });

      const call = notifier.notifyCompleted(orders(1, 2, 3, 4), {
        beforeSend: async () => {
          if (++asked <= 2) return true;
          thirdAsked();
          await paused;
          return false;
        },
      });
      // One request at a time: the third is asked for once the first two were answered, and
      // waits on the caller, so nothing more has reached the service.
      await waiting;
      expect(server.requests.flatMap((request) => request.orderIds)).toEqual([1, 2]);
      release();
      const results = await call;

      expect(server.requests.flatMap((request) => request.orderIds)).toEqual([1, 2]);
      expect(results.map((r) => (r.ok ? [r.orderId, 'ok'] : [r.orderId, r.reason.kind]))).toEqual([
        [1, 'ok'],
        [2, 'ok'],
        [3, 'cancelled'],
        [4, 'cancelled'],
      ]);
      expect(results.filter((r) => !r.ok).every((r) => !r.ok && !r.maybeDelivered)).toBe(true);
    });
  }
});
