/**
 * The notification service for development, tests and benchmarks: serves the legacy and v1
 * contracts, keeps what it received in memory and misbehaves on request.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BatchNotificationResult,
  batchNotificationRequestSchema,
  IDEMPOTENCY_KEY_HEADER,
  idempotencyKeySchema,
  notificationRequestSchema,
  notifierPaths,
} from '@ocs/notifier-client/contract';
import { type Logger, pino } from 'pino';
import { z } from 'zod';
import { FaultController, type FaultsInput, faultsSchema } from './faults.js';
import { HttpError, parseWith, readJson, sendJson, sendNoContent } from './http.js';
import { NotificationStore, type RequestRecord } from './store.js';

export interface NotifierServerConfig {
  faults?: FaultsInput;
  /** When set, notification requests must carry exactly this `Authorization` header. */
  authHeader?: string;
  logger?: Logger;
  /** Source of randomness for failure rate and jitter (tests may pin it). */
  random?: () => number;
}

export interface NotifierAddress {
  host: string;
  port: number;
  url: string;
}

export interface NotifierServer {
  listen(port?: number, host?: string): Promise<NotifierAddress>;
  close(): Promise<void>;
  readonly store: NotificationStore;
  readonly faults: FaultController;
  /** Base URL once listening. */
  readonly url: string;
}

const orderIdQuerySchema = z.object({
  orderId: z.coerce.number().int().positive().optional(),
});

export function createNotifierServer(config: NotifierServerConfig = {}): NotifierServer {
  const logger = config.logger ?? pino({ level: 'info' });
  const store = new NotificationStore();
  const faults = new FaultController(config.faults, config.random);
  const expectedAuth = config.authHeader ? Buffer.from(config.authHeader) : undefined;
  let url = '';

  /** The request-log record of each notification request in progress. */
  const records = new WeakMap<ServerResponse, RequestRecord>();

  /**
   * Begins a notification request: logged, counted in flight until the response closes. The
   * record says whether the answer reached the client (`finish`) or the client had gone.
   */
  function begin(route: string, res: ServerResponse): RequestRecord {
    const record = store.begin(route, [], Date.now());
    records.set(res, record);
    res.once('finish', () => {
      record.status = res.statusCode;
      record.answered = true;
      record.answeredAtMs = Date.now();
    });
    res.once('close', () => store.end());
    return record;
  }

  /** Answers, and records the status in the request log even when the client has gone. */
  function reply(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const record = records.get(res);
    if (record && record.status === null) record.status = status;
    sendJson(res, status, body, headers);
  }

  /** Injected latency, `down` and auth; false when the request has been answered or dropped. */
  async function gate(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const latency = faults.latencyMs();
    if (latency > 0) await sleep(latency);
    const { down, retryAfterSeconds } = faults.get();
    if (down === 'refuse') {
      req.socket.destroy();
      return false;
    }
    if (down === '503') {
      reply(
        res,
        503,
        { error: 'the notification service is down (injected)' },
        retryAfterHeader(retryAfterSeconds),
      );
      return false;
    }
    if (expectedAuth && !sameSecret(req.headers.authorization, expectedAuth)) {
      reply(res, 401, { error: 'missing or wrong Authorization header' });
      return false;
    }
    return true;
  }

  function injectedFailure(res: ServerResponse): void {
    const { failStatus, retryAfterSeconds } = faults.get();
    reply(
      res,
      failStatus,
      { error: `injected failure (${failStatus})` },
      retryAfterHeader(retryAfterSeconds),
    );
  }

  async function legacyNotify(req: IncomingMessage, res: ServerResponse, rawId: string) {
    const request = begin('GET /notify/:orderId', res);
    const orderId = /^\d+$/.test(rawId) ? Number(rawId) : Number.NaN;
    const valid = Number.isSafeInteger(orderId) && orderId > 0;
    if (valid) request.orderIds = [orderId];
    if (!(await gate(req, res))) return;
    if (!valid) throw new HttpError(400, `invalid path: "orderId": expected a positive integer`);
    if (faults.shouldFail(orderId, store.nextAttempt(orderId))) return injectedFailure(res);
    const { record } = store.accept({
      orderId,
      event: 'order.completed',
      occurredAt: new Date().toISOString(),
      idempotencyKey: null,
      protocol: 'legacy',
    });
    reply(res, 200, { orderId, status: 'accepted', notificationId: record.id });
  }

  async function v1Notify(req: IncomingMessage, res: ServerResponse) {
    const request = begin(`POST ${notifierPaths.notifications}`, res);
    const body = await settle(async () =>
      parseWith(notificationRequestSchema, await readJson(req), 'body'),
    );
    if (body.ok) request.orderIds = [body.value.orderId];
    if (!(await gate(req, res))) return;
    if (!body.ok) throw body.error;
    const key = parseWith(
      idempotencyKeySchema,
      req.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()],
      `${IDEMPOTENCY_KEY_HEADER} header`,
    );
    request.idempotencyKeys = [key];
    const { orderId } = body.value;
    if (faults.shouldFail(orderId, store.nextAttempt(orderId))) return injectedFailure(res);
    const { record, duplicate } = store.accept({
      ...body.value,
      idempotencyKey: key,
      protocol: 'v1',
    });
    // The key is echoed so a client can tell a duplicate of its own key from another's.
    reply(res, duplicate ? 200 : 201, {
      orderId,
      status: duplicate ? 'duplicate' : 'accepted',
      notificationId: record.id,
      idempotencyKey: record.idempotencyKey ?? key,
    });
  }

  async function v1Batch(req: IncomingMessage, res: ServerResponse) {
    const request = begin(`POST ${notifierPaths.batch}`, res);
    const body = await settle(async () =>
      parseWith(batchNotificationRequestSchema, await readJson(req), 'body'),
    );
    if (body.ok) {
      request.orderIds = body.value.notifications.map((entry) => entry.orderId);
      request.idempotencyKeys = body.value.notifications.map((entry) => entry.idempotencyKey);
    }
    if (!(await gate(req, res))) return;
    if (!body.ok) throw body.error;
    const { failStatus } = faults.get();
    const results = body.value.notifications.map((entry): BatchNotificationResult => {
      if (faults.shouldFail(entry.orderId, store.nextAttempt(entry.orderId))) {
        return {
          orderId: entry.orderId,
          status: 'failed',
          idempotencyKey: entry.idempotencyKey,
          error: { status: failStatus, message: `injected failure (${failStatus})` },
        };
      }
      const { record, duplicate } = store.accept({
        orderId: entry.orderId,
        event: entry.event,
        occurredAt: entry.occurredAt,
        idempotencyKey: entry.idempotencyKey,
        protocol: 'v1',
      });
      return {
        orderId: entry.orderId,
        status: duplicate ? 'duplicate' : 'accepted',
        idempotencyKey: record.idempotencyKey ?? entry.idempotencyKey,
      };
    });
    reply(res, 200, { results });
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const legacy = /^\/notify\/([^/]+)$/.exec(path);
    if (legacy?.[1] !== undefined) {
      store.countRoute('GET /notify/:orderId');
      if (method !== 'GET') throw new HttpError(405, `${method} not allowed on ${path}`);
      return legacyNotify(req, res, legacy[1]);
    }
    const key = `${method} ${path}`;
    store.countRoute(key);
    const query = () =>
      parseWith(orderIdQuerySchema, Object.fromEntries(url.searchParams), 'query');
    switch (key) {
      case `POST ${notifierPaths.notifications}`:
        return v1Notify(req, res);
      case `POST ${notifierPaths.batch}`:
        return v1Batch(req, res);
      case `GET ${notifierPaths.notifications}`:
        return reply(res, 200, { notifications: store.list(query().orderId) });
      case `DELETE ${notifierPaths.notifications}`:
        store.clear();
        return sendNoContent(res);
      case 'GET /control/requests':
        return reply(res, 200, { requests: store.requests(query().orderId) });
      case 'GET /control/faults':
        return reply(res, 200, faults.get());
      case 'PUT /control/faults': {
        const next = faults.set(parseWith(faultsSchema, await readJson(req), 'faults'));
        logger.info({ faults: next }, 'faults changed');
        return reply(res, 200, next);
      }
      case 'GET /stats':
        return reply(res, 200, store.stats());
      case 'GET /health':
        return reply(res, 200, { status: 'ok' });
      default:
        throw new HttpError(404, `no route for ${key}`);
    }
  }

  const server = createServer((req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.once('close', () => {
      logger.debug(
        {
          method: req.method,
          path: url.pathname,
          status: res.headersSent ? res.statusCode : null,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    });
    route(req, res, url).catch((error: unknown) => {
      if (error instanceof HttpError) return reply(res, error.status, { error: error.message });
      logger.error({ err: error }, 'request failed');
      reply(res, 500, { error: 'internal error' });
    });
  });

  return {
    store,
    faults,
    get url() {
      return url;
    },
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          url = `http://${urlHost}:${address.port}`;
          logger.info({ url, faults: faults.get() }, 'notifier listening');
          resolve({ host: address.address, port: address.port, url });
        });
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

function retryAfterHeader(seconds: number | undefined): Record<string, string> {
  return seconds === undefined ? {} : { 'retry-after': String(seconds) };
}

function sameSecret(given: string | undefined, expected: Buffer): boolean {
  const actual = Buffer.from(given ?? '');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function settle<T>(fn: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}
