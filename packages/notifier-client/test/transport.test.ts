/**
 * One attempt of each transport against a raw `node:http` server that answers exactly what a
 * test scripts (bodies the fake notification server never sends: text, oversize, broken JSON).
 * Assertions are on the request the server received and on the error each answer becomes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AttemptTimeoutError,
  CancelledError,
  ContractError,
  ForeignDuplicateError,
  HttpStatusError,
  NetworkError,
} from '../src/attempt-errors.js';
import type { InFlightRequests } from '../src/call.js';
import { describeError, errorDetail } from '../src/error-detail.js';
import { LegacyTransport } from '../src/protocols/legacy-transport.js';
import { NotifierTransport } from '../src/protocols/v1-transport.js';

interface Received {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let baseUrl: string;
let received: Received[] = [];
let respond: (res: ServerResponse, req: IncomingMessage) => void = (res) => res.end();
let arrived: (() => void) | null = null;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      arrived?.();
      respond(res, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => {
  vi.useRealTimers();
  received = [];
  arrived = null;
  respond = (res) => res.end();
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
);

const answer =
  (status: number, body = '', headers: Record<string, string> = {}) =>
  (res: ServerResponse) => {
    res.writeHead(status, headers);
    res.end(body);
  };
const json = (value: unknown) => JSON.stringify(value);
const never = () => {};
const nextRequest = () =>
  new Promise<void>((resolve) => {
    arrived = resolve;
  });

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the attempt to fail');
}

const signal = () => new AbortController().signal;
const body = {
  orderId: 42,
  event: 'order.completed' as const,
  occurredAt: '2026-11-27T12:00:00.000Z',
};

async function refusedUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe('v1 transport', () => {
  it('POSTs the body as JSON with the key and auth headers, under the base URL path', async () => {
    respond = answer(201, json({ orderId: 42, status: 'accepted', notificationId: 1 }));

    await new NotifierTransport(`${baseUrl}/svc`, 'Bearer t').notifyV1(body, 'k-42', signal());

    expect(received).toEqual([
      expect.objectContaining({ method: 'POST', url: '/svc/v1/notifications', body: json(body) }),
    ]);
    expect(received[0]?.headers).toMatchObject({
      'idempotency-key': 'k-42',
      authorization: 'Bearer t',
      'content-type': 'application/json',
    });
  });

  it('sends no authorization header when none is configured', async () => {
    await new NotifierTransport(baseUrl, undefined).notifyV1(body, 'k', signal());

    expect(received[0]?.headers.authorization).toBeUndefined();
  });

  it.each([
    [
      'a JSON error',
      json({ error: 'store full' }),
      'the notification service answered 500: store full',
    ],
    ['a text body', 'plain failure', 'the notification service answered 500: plain failure'],
    ['no body', '', 'the notification service answered 500'],
    [
      'a JSON body without error',
      json({ message: 'x' }),
      'the notification service answered 500: {"message":"x"}',
    ],
  ])('turns a 500 with %s into an HttpStatusError', async (_, text, message) => {
    respond = answer(500, text);

    const error = await failure(
      new NotifierTransport(baseUrl, undefined).notifyV1(body, 'k', signal()),
    );

    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error).toMatchObject({
      name: 'HttpStatusError',
      status: 500,
      message,
      retryAfterMs: undefined,
    });
  });

  it('keeps at most 200 characters of an error body', async () => {
    respond = answer(502, json({ error: 'e'.repeat(300) }));

    const error = await failure(
      new NotifierTransport(baseUrl, undefined).notifyV1(body, 'k', signal()),
    );

    expect(error.message).toBe(`the notification service answered 502: ${'e'.repeat(200)}`);
  });

  it.each([
    [503, '3', 3000],
    [429, '0', 0],
    [500, '3', undefined],
    [502, '3', undefined],
  ])('reads Retry-After on a %i only (%s s → %s ms)', async (status, header, expected) => {
    respond = answer(status, '', { 'retry-after': header });

    const error = await failure(
      new NotifierTransport(baseUrl, undefined).notifyV1(body, 'k', signal()),
    );

    expect(error).toMatchObject({ status, retryAfterMs: expected });
  });

  it.each([
    ['our key echoed', json({ status: 'duplicate', idempotencyKey: 'k-1' }), null],
    ['no key echoed', json({ status: 'duplicate' }), null],
    ['an accepted answer', json({ status: 'accepted', idempotencyKey: 'other' }), null],
    ['a body that is not JSON', 'OK', null],
    ['a key that is not a string', json({ status: 'duplicate', idempotencyKey: 7 }), null],
    [
      "another installation's key",
      json({ status: 'duplicate', idempotencyKey: 'k-2' }),
      'the notification service answered "duplicate" for another key ("k-2", ours "k-1"): not counted as delivered',
    ],
  ])('a 200 with %s', async (_, text, message) => {
    respond = answer(200, text);

    const attempt = new NotifierTransport(baseUrl, undefined).notifyV1(body, 'k-1', signal());

    if (message === null) await expect(attempt).resolves.toBeUndefined();
    else {
      const error = await failure(attempt);
      expect(error).toBeInstanceOf(ForeignDuplicateError);
      expect(error).toMatchObject({ name: 'ForeignDuplicateError', message });
    }
  });

  it('quotes at most 200 characters of a foreign key', async () => {
    respond = answer(200, json({ status: 'duplicate', idempotencyKey: 'x'.repeat(250) }));

    const error = await failure(
      new NotifierTransport(baseUrl, undefined).notifyV1(body, 'k', signal()),
    );

    expect(error.message).toContain(`("${'x'.repeat(200)}", ours "k")`);
  });

  it('a refused connection: a NetworkError that certainly did not deliver', async () => {
    const error = await failure(
      new NotifierTransport(await refusedUrl(), undefined).notifyV1(body, 'k', signal()),
    );

    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ name: 'NetworkError', maybeDelivered: false });
    expect(error.message).toMatch(
      /^network error: fetch failed \(ECONNREFUSED: connect ECONNREFUSED /,
    );
  });

  it('a connection dropped after the request arrived: a NetworkError that may have delivered', async () => {
    respond = (res) => res.socket?.destroy();

    const error = await failure(
      new NotifierTransport(baseUrl, undefined).notifyV1(body, 'k', signal()),
    );

    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ maybeDelivered: true });
  });

  it('an aborted attempt rejects with the abort, not as a network error', async () => {
    respond = never;
    const controller = new AbortController();

    const attempt = new NotifierTransport(baseUrl, undefined).notifyV1(
      body,
      'k',
      controller.signal,
    );
    await nextRequest();
    controller.abort();
    const error = await failure(attempt);

    expect(error).not.toBeInstanceOf(NetworkError);
    expect(error.name).toBe('AbortError');
  });
});

describe('v1 batch transport', () => {
  const entries = [{ ...body, idempotencyKey: 'k-42' }];

  it('POSTs the entries and returns the results', async () => {
    const results = [{ orderId: 42, status: 'accepted', idempotencyKey: 'k-42' }];
    respond = answer(200, json({ results }));

    const answered = await new NotifierTransport(baseUrl, undefined).notifyBatch(entries, signal());

    expect(answered).toEqual(results);
    expect(received).toEqual([
      expect.objectContaining({
        method: 'POST',
        url: '/v1/notifications/batch',
        body: json({ notifications: entries }),
      }),
    ]);
  });

  it('a 200 that is not JSON breaks the contract', async () => {
    respond = answer(200, 'not json');

    const error = await failure(
      new NotifierTransport(baseUrl, undefined).notifyBatch(entries, signal()),
    );

    expect(error).toBeInstanceOf(ContractError);
    expect(error.name).toBe('ContractError');
    expect(error.message).toMatch(
      /^the notification service broke the contract: the body is not JSON \(.+\)$/,
    );
  });

  it('a 200 of the wrong shape breaks the contract', async () => {
    respond = answer(200, json({ results: [{ orderId: 42, status: 'lost' }] }));

    const error = await failure(
      new NotifierTransport(baseUrl, undefined).notifyBatch(entries, signal()),
    );

    expect(error).toBeInstanceOf(ContractError);
    expect(error.message).toMatch(/^the notification service broke the contract: /);
  });

  it('a non-2xx is an HttpStatusError', async () => {
    respond = answer(503, json({ error: 'down' }), { 'retry-after': '1' });

    const error = await failure(
      new NotifierTransport(baseUrl, undefined).notifyBatch(entries, signal()),
    );

    expect(error).toMatchObject({ status: 503, retryAfterMs: 1000 });
  });
});

describe('legacy transport', () => {
  const transports: LegacyTransport[] = [];
  afterEach(() => {
    for (const transport of transports.splice(0)) transport.close();
  });
  const legacy = (url = baseUrl, auth?: string) => {
    const transport = new LegacyTransport(url, auth, 2);
    transports.push(transport);
    return transport;
  };

  it.each([200, 201, 204, 299])(
    'GETs /notify/{id} under the base URL path; a %i is success',
    async (status) => {
      respond = answer(status, status === 204 ? '' : 'ok');
      const inFlight: InFlightRequests = new Set();

      await legacy(`${baseUrl}/svc/`, 'Bearer t').notify(42, 10_000, inFlight);

      expect(received).toEqual([expect.objectContaining({ method: 'GET', url: '/svc/notify/42' })]);
      expect(received[0]?.headers.authorization).toBe('Bearer t');
      expect(inFlight.size).toBe(0);
    },
  );

  it('sends no authorization header when none is configured', async () => {
    await legacy().notify(1, 10_000, new Set());

    expect(received[0]?.headers.authorization).toBeUndefined();
  });

  it.each([
    [300, 'moved', undefined, 'the notification service answered 300: moved', undefined],
    [
      500,
      json({ error: 'boom' }),
      undefined,
      'the notification service answered 500: boom',
      undefined,
    ],
    [503, '', '2', 'the notification service answered 503', 2000],
    [429, 'slow down', '1', 'the notification service answered 429: slow down', 1000],
    [500, '', '2', 'the notification service answered 500', undefined],
  ])(
    'a %i answer is an HttpStatusError',
    async (status, text, retryAfter, message, retryAfterMs) => {
      respond = answer(status, text, retryAfter === undefined ? {} : { 'retry-after': retryAfter });
      const inFlight: InFlightRequests = new Set();

      const error = await failure(legacy().notify(7, 10_000, inFlight));

      expect(error).toBeInstanceOf(HttpStatusError);
      expect(error).toMatchObject({ status, message, retryAfterMs });
      expect(inFlight.size).toBe(0);
    },
  );

  it('reads the start of a large error body', async () => {
    respond = answer(500, 'e'.repeat(100_000));

    const error = await failure(legacy().notify(7, 10_000, new Set()));

    expect(error.message).toBe(`the notification service answered 500: ${'e'.repeat(200)}`);
  });

  it('an answer whose body is cut off is still the status it said', async () => {
    respond = (res) => {
      res.writeHead(503, { 'content-length': '100' });
      res.write('partial');
      setImmediate(() => res.socket?.destroy());
    };

    const error = await failure(legacy().notify(7, 10_000, new Set()));

    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error).toMatchObject({ status: 503 });
  });

  it('no answer by the deadline: an AttemptTimeoutError that may have delivered', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    respond = never;
    const inFlight: InFlightRequests = new Set();

    const attempt = failure(legacy().notify(7, 30_000, inFlight));
    await nextRequest();
    await vi.advanceTimersByTimeAsync(29_999);
    expect(inFlight.size).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    const error = await attempt;

    expect(error).toBeInstanceOf(AttemptTimeoutError);
    expect(error).toMatchObject({
      name: 'AttemptTimeoutError',
      maybeDelivered: true,
      message: 'no answer within the attempt timeout of 30000 ms',
    });
    expect(inFlight.size).toBe(0);
  });

  it('cancelled while the request is at the service: a CancelledError that may have delivered', async () => {
    respond = never;
    const inFlight: InFlightRequests = new Set();

    const attempt = failure(legacy().notify(7, 30_000, inFlight));
    await nextRequest();
    for (const cancel of inFlight) cancel();
    const error = await attempt;

    expect(error).toBeInstanceOf(CancelledError);
    expect(error).toMatchObject({
      name: 'CancelledError',
      maybeDelivered: true,
      message: 'cancelled by the caller before the notification was confirmed',
    });
    expect(inFlight.size).toBe(0);
  });

  it('a refused connection: a NetworkError that certainly did not deliver', async () => {
    const error = await failure(legacy(await refusedUrl()).notify(7, 30_000, new Set()));

    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ maybeDelivered: false });
    expect(error.message).toMatch(/^network error: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  });

  it('a connection dropped after the request arrived: a NetworkError that may have delivered', async () => {
    respond = (res) => res.socket?.destroy();

    const error = await failure(legacy().notify(7, 30_000, new Set()));

    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ maybeDelivered: true });
  });

  it('reuses its kept-alive connection for the next request', async () => {
    const ports: number[] = [];
    respond = (res, req) => {
      ports.push(req.socket.remotePort ?? 0);
      res.end('ok');
    };
    const transport = legacy();

    await transport.notify(1, 10_000, new Set());
    await transport.notify(2, 10_000, new Set());

    expect(ports).toHaveLength(2);
    expect(ports[1]).toBe(ports[0]);
  });
});

describe('error details', () => {
  it('takes the error field of a JSON body, or the text, at most 200 characters', () => {
    expect(errorDetail(json({ error: 'bad key' }))).toBe('bad key');
    expect(errorDetail(json({ error: 5 }))).toBe('{"error":5}');
    expect(errorDetail('null')).toBe('null');
    expect(errorDetail('t'.repeat(201))).toBe('t'.repeat(200));
  });

  it('names the cause and its code', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 1.2.3.4:5'), {
      code: 'ECONNREFUSED',
    });
    expect(describeError(new Error('fetch failed', { cause }))).toBe(
      'fetch failed (ECONNREFUSED: connect ECONNREFUSED 1.2.3.4:5)',
    );
    expect(describeError(new Error('fetch failed', { cause: new Error('socket hang up') }))).toBe(
      'fetch failed (socket hang up)',
    );
    expect(describeError(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(
      'reset (ECONNRESET)',
    );
    expect(describeError(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(
      'read ECONNRESET',
    );
    expect(describeError(Object.assign(new Error('odd'), { code: 5 }))).toBe('odd');
    expect(describeError('a string')).toBe('a string');
  });
});
