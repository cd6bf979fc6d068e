/**
 * A small notification service for tests (`@ocs/notifier-client/testing`), on `node:http`:
 * the legacy `GET /notify/{id}`, v1 `POST /v1/notifications` and the batch endpoint, with
 * de-duplication by key, a request log, latency, per-order scripted outcomes, a "hang" mode
 * (never answers) and a "destroy" mode (drops the connection after receiving the request).
 * Test-only: no validation beyond what a test needs, nothing persisted.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { IDEMPOTENCY_KEY_HEADER, notifierPaths } from '../contract.js';

/** What the server does with one order in one request. */
export type ScriptedOutcome =
  /** Answer normally: accepted, or duplicate for a key seen before. */
  | 'ok'
  /** Never answer (the client's timeout or abort ends the request). */
  | 'hang'
  /** Receive the whole request, then destroy the connection without an answer. */
  | 'destroy'
  /** Answer this status (in a batch: a failed entry carrying it). */
  | { status: number; retryAfterSeconds?: number }
  /**
   * Answer "duplicate" without storing: `echoKey` is the key echoed (default: the request's
   * own key; `null`: no echo at all).
   */
  | { duplicate: true; echoKey?: string | null };

export type FakeRoute = 'legacy' | 'v1' | 'batch';

export interface FakeRequest {
  seq: number;
  route: FakeRoute;
  orderIds: number[];
  /** The key per order (`null` for legacy). */
  idempotencyKeys: (string | null)[];
  authorization: string | undefined;
  /** What the server did: a status, or 'hang' / 'destroy'. */
  outcome: number | 'hang' | 'destroy' | 'pending';
}

export interface FakeNotificationServerOptions {
  /** Added before answering every request. */
  latencyMs?: number;
  /** Outcome for orders without a script (default 'ok'). */
  defaultOutcome?: ScriptedOutcome;
}

export interface FakeNotificationServer {
  readonly url: string;
  /** Every notification request received, in arrival order. */
  readonly requests: readonly FakeRequest[];
  /** Requests that carried the order. */
  requestsFor(orderId: number): FakeRequest[];
  /** The next requests for the order get these outcomes, one per request, then 'ok'. */
  script(orderId: number, ...outcomes: ScriptedOutcome[]): void;
  latencyMs: number;
  defaultOutcome: ScriptedOutcome;
  /** Keys stored (accepted), in order. */
  readonly storedKeys: readonly string[];
  /**
   * Resolves once at least `count` requests have arrived, or `count` requests carrying
   * `orderId` when given (event-driven, no polling).
   */
  waitForRequests(count: number, orderId?: number): Promise<void>;
  /** Forgets requests, scripts and stored keys; hung requests are dropped. */
  reset(): void;
  close(): Promise<void>;
}

export async function startFakeNotificationServer(
  options: FakeNotificationServerOptions = {},
): Promise<FakeNotificationServer> {
  let requests: FakeRequest[] = [];
  const scripts = new Map<number, ScriptedOutcome[]>();
  const stored = new Map<string, number>();
  let storedKeys: string[] = [];
  const hung = new Set<ServerResponse>();
  let waiters: { count: number; orderId: number | undefined; resolve: () => void }[] = [];
  const countOf = (orderId: number | undefined) =>
    orderId === undefined
      ? requests.length
      : requests.filter((request) => request.orderIds.includes(orderId)).length;
  let nextSeq = 1;
  let nextNotificationId = 1;

  const state = {
    latencyMs: options.latencyMs ?? 0,
    defaultOutcome: options.defaultOutcome ?? ('ok' as ScriptedOutcome),
  };

  const outcomeFor = (orderId: number): ScriptedOutcome =>
    scripts.get(orderId)?.shift() ?? state.defaultOutcome;

  function record(entry: Omit<FakeRequest, 'seq' | 'outcome'>): FakeRequest {
    const request: FakeRequest = { ...entry, seq: nextSeq++, outcome: 'pending' };
    requests.push(request);
    waiters = waiters.filter((waiter) => {
      if (countOf(waiter.orderId) < waiter.count) return true;
      waiter.resolve();
      return false;
    });
    return request;
  }

  function send(
    res: ServerResponse,
    request: FakeRequest,
    status: number,
    body: unknown,
    headers = {},
  ) {
    request.outcome = status;
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(payload);
  }

  /** 'hang' / 'destroy' end the request without an answer; true when handled. */
  function drop(
    req: IncomingMessage,
    res: ServerResponse,
    request: FakeRequest,
    outcome: ScriptedOutcome,
  ): boolean {
    if (outcome === 'hang') {
      request.outcome = 'hang';
      hung.add(res);
      res.once('close', () => hung.delete(res));
      return true;
    }
    if (outcome === 'destroy') {
      request.outcome = 'destroy';
      req.socket.destroy();
      return true;
    }
    return false;
  }

  /** Stores the key (or answers duplicate) for an 'ok' outcome. */
  function accept(key: string | null): {
    status: 'accepted' | 'duplicate';
    notificationId: number;
  } {
    if (key !== null) {
      const existing = stored.get(key);
      if (existing !== undefined) return { status: 'duplicate', notificationId: existing };
      stored.set(key, nextNotificationId);
      storedKeys.push(key);
    }
    return { status: 'accepted', notificationId: nextNotificationId++ };
  }

  async function single(
    req: IncomingMessage,
    res: ServerResponse,
    route: 'legacy' | 'v1',
    orderId: number,
    key: string | null,
  ) {
    const request = record({
      route,
      orderIds: [orderId],
      idempotencyKeys: [key],
      authorization: req.headers.authorization,
    });
    const outcome = outcomeFor(orderId);
    if (state.latencyMs > 0) await delay(state.latencyMs);
    if (drop(req, res, request, outcome)) return;
    if (typeof outcome === 'object' && 'status' in outcome) {
      const headers =
        outcome.retryAfterSeconds === undefined
          ? {}
          : { 'retry-after': String(outcome.retryAfterSeconds) };
      return send(res, request, outcome.status, { error: `scripted ${outcome.status}` }, headers);
    }
    if (typeof outcome === 'object') {
      const echo = outcome.echoKey === undefined ? key : outcome.echoKey;
      return send(res, request, 200, {
        orderId,
        status: 'duplicate',
        notificationId: 1,
        ...(echo === null ? {} : { idempotencyKey: echo }),
      });
    }
    const answer = accept(key);
    send(res, request, answer.status === 'accepted' && route === 'v1' ? 201 : 200, {
      orderId,
      ...answer,
      ...(key === null ? {} : { idempotencyKey: key }),
    });
  }

  async function batch(req: IncomingMessage, res: ServerResponse, body: unknown) {
    const entries = (body as { notifications: { orderId: number; idempotencyKey: string }[] })
      .notifications;
    const request = record({
      route: 'batch',
      orderIds: entries.map((entry) => entry.orderId),
      idempotencyKeys: entries.map((entry) => entry.idempotencyKey),
      authorization: req.headers.authorization,
    });
    const outcomes = entries.map((entry) => outcomeFor(entry.orderId));
    if (state.latencyMs > 0) await delay(state.latencyMs);
    for (const whole of ['hang', 'destroy'] as const) {
      if (outcomes.includes(whole) && drop(req, res, request, whole)) return;
    }
    const results = entries.map((entry, i) => {
      const outcome = outcomes[i];
      const key = entry.idempotencyKey;
      if (typeof outcome === 'object' && 'status' in outcome) {
        return {
          orderId: entry.orderId,
          status: 'failed',
          idempotencyKey: key,
          error: { status: outcome.status, message: `scripted ${outcome.status}` },
        };
      }
      if (typeof outcome === 'object') {
        const echo = outcome.echoKey === undefined ? key : outcome.echoKey;
        return {
          orderId: entry.orderId,
          status: 'duplicate',
          ...(echo === null ? {} : { idempotencyKey: echo }),
        };
      }
      return { orderId: entry.orderId, status: accept(key).status, idempotencyKey: key };
    });
    send(res, request, 200, { results });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const text = Buffer.concat(chunks).toString('utf8');
      const legacy = /^\/notify\/(\d+)$/.exec(path);
      let handled: Promise<void> | undefined;
      if (req.method === 'GET' && legacy) {
        handled = single(req, res, 'legacy', Number(legacy[1]), null);
      } else if (req.method === 'POST' && path === notifierPaths.notifications) {
        const key = req.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
        const body = JSON.parse(text) as { orderId: number };
        handled = single(req, res, 'v1', body.orderId, typeof key === 'string' ? key : null);
      } else if (req.method === 'POST' && path === notifierPaths.batch) {
        handled = batch(req, res, JSON.parse(text));
      } else {
        res.writeHead(404).end();
        return;
      }
      handled.catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    get requests() {
      return requests;
    },
    requestsFor: (orderId) => requests.filter((request) => request.orderIds.includes(orderId)),
    script(orderId, ...outcomes) {
      scripts.set(orderId, [...(scripts.get(orderId) ?? []), ...outcomes]);
    },
    get latencyMs() {
      return state.latencyMs;
    },
    set latencyMs(value: number) {
      state.latencyMs = value;
    },
    get defaultOutcome() {
      return state.defaultOutcome;
    },
    set defaultOutcome(value: ScriptedOutcome) {
      state.defaultOutcome = value;
    },
    get storedKeys() {
      return storedKeys;
    },
    waitForRequests(count, orderId) {
      if (countOf(orderId) >= count) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ count, orderId, resolve }));
    },
    reset() {
      for (const res of hung) res.destroy();
      hung.clear();
      requests = [];
      scripts.clear();
      stored.clear();
      storedKeys = [];
      nextSeq = 1;
      state.latencyMs = options.latencyMs ?? 0;
      state.defaultOutcome = options.defaultOutcome ?? 'ok';
    },
    close() {
      for (const res of hung) res.destroy();
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
