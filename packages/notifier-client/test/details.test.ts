/**
 * The client's smaller promises: which connection errors mean "never sent", the options'
 * error messages, Retry-After's edge cases, and what the notifier tells the operator (its log
 * lines). Log lines are the operator's view, asserted as output.
 */
import type { Logger, Order } from '@ocs/domain';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BatchEntriesFailedError, isNotSentCode } from '../src/attempt-errors.js';
import { notificationRecordSchema } from '../src/contract.js';
import { createOrderNotifier, type HttpOrderNotifier } from '../src/http-order-notifier.js';
import { type InvalidNotifierOptionsError, parseNotifierClientOptions } from '../src/options.js';
import { parseRetryAfter } from '../src/retry-after.js';
import {
  type FakeNotificationServer,
  startFakeNotificationServer,
} from '../src/testing/fake-notification-server.js';

describe('connection errors that mean the request never left', () => {
  it.each([
    'ECONNREFUSED',
    'ENOTFOUND',
    'EAI_AGAIN',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'EADDRNOTAVAIL',
    'UND_ERR_CONNECT_TIMEOUT',
  ])('%s: never sent', (code) => {
    expect(isNotSentCode(code)).toBe(true);
  });

  it.each(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', '', undefined, 42])(
    '%s: may have been sent',
    (code) => {
      expect(isNotSentCode(code)).toBe(false);
    },
  );

  it('a batch whose entries failed says how many', () => {
    const error = new BatchEntriesFailedError(
      new Map([
        [1, { message: 'x' }],
        [2, { message: 'y' }],
      ]),
      true,
    );
    expect(error).toMatchObject({
      name: 'BatchEntriesFailedError',
      message: '2 order(s) of the batch failed',
      allFailed: true,
    });
  });
});

describe('options errors', () => {
  const base = { baseUrl: 'http://127.0.0.1:5002', keyNamespace: 'k' };
  const errorOf = (input: unknown) => {
    try {
      parseNotifierClientOptions(input);
    } catch (error) {
      return error as InvalidNotifierOptionsError;
    }
    throw new Error('expected the options to be rejected');
  };

  it('carries a stable code and its name', () => {
    expect(errorOf({ ...base, maxAttempts: 0 })).toMatchObject({
      name: 'InvalidNotifierOptionsError',
      code: 'NOTIFIER.INVALID_OPTIONS',
      keys: ['maxAttempts'],
    });
  });

  it('names an unknown key as a problem of the whole object, "(root)"', () => {
    const error = errorOf({ ...base, maxAttempt: 3 });
    expect(error.keys).toEqual(['(root)']);
    expect(error.message).toMatch(/^Invalid notifier option "\(root\)": .*maxAttempt/);
  });

  it('joins several problems with "; "', () => {
    const error = errorOf({ ...base, maxAttempts: 0, concurrency: 0 });
    expect(error.message).toMatch(
      /^Invalid notifier options "maxAttempts": [^;]+; "concurrency": /,
    );
  });

  it.each(['xhttp://127.0.0.1:5002', 'httpx://127.0.0.1:5002', 'ftp://127.0.0.1'])(
    'rejects the scheme of %s',
    (baseUrl) => {
      expect(errorOf({ ...base, baseUrl }).keys).toEqual(['baseUrl']);
    },
  );

  it('accepts an @ outside the authority (a query naming another URL)', () => {
    const baseUrl = 'http://127.0.0.1:5002/?next=ftp://user@elsewhere';
    expect(parseNotifierClientOptions({ ...base, baseUrl }).baseUrl).toBe(baseUrl);
  });

  it('takes https and the positive integers it needs', () => {
    expect(
      parseNotifierClientOptions({
        ...base,
        baseUrl: 'https://notify.example',
        concurrency: 3,
        batchSize: 500,
      }),
    ).toMatchObject({ baseUrl: 'https://notify.example', concurrency: 3, batchSize: 500 });
    expect(errorOf({ ...base, batchSize: 501 }).keys).toEqual(['batchSize']);
    expect(errorOf({ ...base, attemptTimeoutMs: 1.5 }).keys).toEqual(['attemptTimeoutMs']);
  });
});

describe('Retry-After edge cases', () => {
  it('reads delay-seconds of several digits, and nothing that only starts with digits', () => {
    expect(parseRetryAfter('12')).toBe(12_000);
    expect(parseRetryAfter('5abc', 0)).toBeUndefined();
    expect(parseRetryAfter('  7 ')).toBe(7000);
  });
});

describe('stored notification records', () => {
  it('come from either protocol', () => {
    const record = {
      id: 1,
      orderId: 42,
      event: 'order.completed',
      occurredAt: 'x',
      idempotencyKey: 'k',
      protocol: 'v1',
      receivedAt: 'y',
    };
    expect(notificationRecordSchema.parse(record)).toEqual(record);
  });
});

describe('what the notifier logs', () => {
  let server: FakeNotificationServer;
  const clients: HttpOrderNotifier[] = [];
  beforeAll(async () => {
    server = await startFakeNotificationServer();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    server.reset();
  });
  afterAll(() => server.close());

  function recorder() {
    const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
    const at =
      (level: string) =>
      (first: object | string, msg?: string): void => {
        lines.push(
          typeof first === 'string'
            ? { level, msg: first, fields: {} }
            : { level, msg: msg ?? '', fields: { ...first } as Record<string, unknown> },
        );
      };
    const logger: Logger = {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
    };
    return { logger, lines };
  }
  const orders = (...ids: number[]): Order[] =>
    ids.map((id) => ({ id, orderDate: new Date(0), state: 'SUBMITTED' as const, lines: [] }));
  const client = (logger: Logger, options = {}) => {
    const notifier = createOrderNotifier(
      { baseUrl: server.url, keyNamespace: 'inst-a', initialDelayMs: 0, maxDelayMs: 0, ...options },
      { logger },
    );
    clients.push(notifier);
    return notifier;
  };

  it('one debug line per call: orders, notified, failed and the circuit', async () => {
    const { logger, lines } = recorder();
    server.script(2, { status: 422 });

    await client(logger, { batchSize: 1 }).notifyCompleted(orders(1, 2, 3));

    expect(lines.filter((l) => l.msg === 'notified completed orders')).toEqual([
      {
        level: 'debug',
        msg: 'notified completed orders',
        fields: { orders: 3, notified: 2, failed: 1, circuit: 'closed' },
      },
    ]);
  });

  it('warns when the circuit opens', async () => {
    const { logger, lines } = recorder();
    const breaking = client(logger, {
      batchSize: 1,
      concurrency: 1,
      maxAttempts: 1,
      breakerThreshold: 2,
      halfOpenAfterMs: 0,
    });
    server.script(1, { status: 503 });
    server.script(2, { status: 503 });

    await breaking.notifyCompleted(orders(1, 2));
    await breaking.notifyCompleted(orders(3));

    expect(lines.filter((l) => l.level === 'warn')).toEqual([
      {
        level: 'warn',
        msg: 'notifier circuit opened: notifications fail fast until it half-opens',
        fields: { threshold: 2, halfOpenAfterMs: 0 },
      },
    ]);
  });

  it('warns when onResult throws, naming the order, and not when there is no onResult', async () => {
    const { logger, lines } = recorder();
    const notifier = client(logger, { batchSize: 1, concurrency: 1 });

    await notifier.notifyCompleted(orders(5));
    await notifier.notifyCompleted(orders(6), {
      onResult: () => {
        throw new Error('the caller failed to record it');
      },
    });

    expect(lines.filter((l) => l.level === 'warn')).toEqual([
      {
        level: 'warn',
        msg: 'the onResult callback threw; the result stands',
        fields: { orderId: 6, error: 'the caller failed to record it' },
      },
    ]);
  });

  it('sends full batches only: 20 orders in batches of 10 are two requests', async () => {
    const { logger } = recorder();

    await client(logger, { batchSize: 10 }).notifyCompleted(
      orders(...Array.from({ length: 20 }, (_, i) => i + 1)),
    );

    expect(server.requests.map((r) => r.orderIds.length)).toEqual([10, 10]);
  });

  it('legacy with retryUnconfirmed: a dropped attempt then 500s stays "maybe delivered"', async () => {
    const { logger } = recorder();
    server.script(7, 'destroy', { status: 500 });

    const [result] = await client(logger, {
      protocol: 'legacy',
      retryUnconfirmed: true,
      maxAttempts: 2,
    }).notifyCompleted(orders(7));

    expect(result).toMatchObject({
      ok: false,
      maybeDelivered: true,
      reason: { kind: 'http-status', status: 500, attempts: 2 },
    });
  });

  it('batch: a dropped attempt then a failed entry stays "maybe delivered"', async () => {
    const { logger } = recorder();
    server.script(8, 'destroy', { status: 500 });

    const [result] = await client(logger, { batchSize: 10, maxAttempts: 2 }).notifyCompleted(
      orders(8),
    );

    expect(result).toMatchObject({
      ok: false,
      maybeDelivered: true,
      reason: { kind: 'rejected', status: 500, attempts: 2 },
    });
  });

  it('batch: an order whose batch is at the service when the call is aborted may have been delivered', async () => {
    const { logger } = recorder();
    server.script(9, 'hang');
    const controller = new AbortController();

    const call = client(logger, { batchSize: 10 }).notifyCompleted(orders(9), {
      signal: controller.signal,
    });
    await server.waitForRequests(1, 9);
    controller.abort();
    const [result] = await call;

    expect(result).toMatchObject({
      ok: false,
      maybeDelivered: true,
      reason: { kind: 'cancelled' },
    });
  });
});
