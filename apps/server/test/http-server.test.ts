/**
 * The HTTP adapter in-process, on fake ports (no database, no notifier): batching, CORS,
 * body limits, static files, operations endpoints and the OpenAPI document.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyCompleteOrderResponse, NoOrdersFoundError, silentLogger } from '@ocs/domain';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenAuthenticator } from '../src/auth.js';
import { createHttpServer, type HttpServerDependencies } from '../src/http-server.js';
import { ServerMetrics } from '../src/metrics.js';

const token = 'unit-scheduler-token-0123456789';
const auth = { authorization: `Bearer ${token}` };
const staticDir = mkdtempSync(join(tmpdir(), 'ocs-static-'));
mkdirSync(join(staticDir, 'assets'));
writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>admin</title>');
writeFileSync(join(staticDir, 'assets', 'app.js'), 'console.log("admin")');

let shuttingDown = false;
let databaseUp = true;
const metrics = new ServerMetrics();

function dependencies(overrides: Partial<HttpServerDependencies> = {}): HttpServerDependencies {
  return {
    authenticator: new TokenAuthenticator([{ token, role: 'scheduler' }]),
    logger: silentLogger,
    maxIdsPerCall: 100,
    bodyLimitBytes: 2048,
    maxBatchSize: 3,
    corsOrigins: ['https://admin.example'],
    staticDir,
    metrics,
    isShuttingDown: () => shuttingDown,
    context: {
      completion: metrics.meterCompletion({
        async complete(orderIds) {
          if (orderIds.includes(404)) {
            throw new NoOrdersFoundError('None of the orders exist', {
              ...emptyCompleteOrderResponse(),
              notFoundOrderIds: [404],
            });
          }
          return {
            callId: 'run-1',
            response: { ...emptyCompleteOrderResponse(), completedOrderIds: [...orderIds] },
          };
        },
      }),
      orders: {
        findByIds: async () => [],
        markFinished: async () => ({ updatedIds: [] }),
        findPendingIds: async () => ({ ids: [1, 2], nextCursor: null }),
        list: async () => ({ orders: [], nextCursor: null }),
      },
      runs: {} as never,
      calls: {
        start: async () => {},
        complete: async () => {},
        findById: async () => null,
        list: async () => ({ runs: [], nextCursor: null }),
      },
      leases: {
        acquire: async (_name, holder, ttlMs) => ({
          acquired: true,
          holder,
          leaseUntil: new Date(Date.now() + ttlMs),
        }),
        release: async () => {},
      },
      pendingHints: () => [],
      ledgerQueries: {} as never,
      requirements: [],
      claimLeaseMs: 60_000,
      databaseClock: { now: async () => new Date() },
      pingDatabase: async () => {
        if (!databaseUp) throw new Error('down');
      },
    },
    ...overrides,
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let server: Server;
let url: string;
let plain: Server;
let plainUrl: string;

beforeAll(async () => {
  server = createHttpServer(dependencies());
  url = await listen(server);
  plain = createHttpServer(dependencies({ corsOrigins: [], staticDir: undefined }));
  plainUrl = await listen(plain);
});

afterAll(() => {
  for (const s of [server, plain]) {
    s.close();
    s.closeAllConnections();
  }
  rmSync(staticDir, { recursive: true, force: true });
});

/** Sends only the request head, declaring `length` bytes, and returns the first answer. */
function declareBody(path: string, length: number): Promise<{ head: string; ms: number }> {
  const { port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`,
      );
    });
    let text = '';
    socket.on('data', (data) => {
      text += data.toString('utf8');
      if (text.includes('\r\n\r\n')) {
        socket.destroy();
        resolve({ head: text, ms: Date.now() - started });
      }
    });
    socket.on('error', reject);
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 5 s; got: ${text}`));
    }, 5000);
  });
}

describe('tRPC over HTTP', () => {
  it('answers a batch of procedures in one request, in order', async () => {
    const input = encodeURIComponent(
      JSON.stringify({ 0: { json: { limit: 10 } }, 1: { json: null } }),
    );
    const res = await fetch(`${url}/trpc/orders.pendingCompletion,health?batch=1&input=${input}`, {
      headers: auth,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { data: { json: unknown } } }[];
    expect(body.map((r) => r.result.data.json)).toEqual([
      { ids: [1, 2], nextCursor: null },
      { status: 'ok', database: 'up' },
    ]);
  });

  it('a token in connectionParams (the URL) is taken for subscriptions only, never for a query', async () => {
    const input = encodeURIComponent(JSON.stringify({ json: { limit: 10 } }));
    const params = encodeURIComponent(JSON.stringify({ token }));
    const res = await fetch(
      `${url}/trpc/orders.pendingCompletion?input=${input}&connectionParams=${params}`,
    );
    expect(res.status).toBe(401);
    // The same query with the header is answered.
    const ok = await fetch(`${url}/trpc/orders.pendingCompletion?input=${input}`, {
      headers: auth,
    });
    expect(ok.status).toBe(200);
  });

  it('refuses a batch above MAX_BATCH_SIZE', async () => {
    const paths = Array.from({ length: 4 }, () => 'health').join(',');
    const res = await fetch(`${url}/trpc/${paths}?batch=1&input=%7B%7D`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/Batch call exceeds maximum size/);
  });

  it('completes orders through the mutation, with superjson on the wire', async () => {
    const res = await fetch(`${url}/trpc/orders.complete`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ json: { orderIds: [3, 3, 4] } }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      result: { data: { json: { completedOrderIds: number[] } } };
    };
    expect(body.result.data.json.completedOrderIds).toEqual([3, 4]);
  });
});

describe('CORS', () => {
  it('answers a preflight from a configured origin', async () => {
    const res = await fetch(`${url}/trpc/orders.complete`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://admin.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://admin.example');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/);
  });

  it('allows no other origin, and none at all when CORS_ORIGINS is empty', async () => {
    const other = await fetch(`${url}/trpc/health`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const off = await fetch(`${plainUrl}/trpc/orders.complete`, {
      method: 'OPTIONS',
      headers: { origin: 'https://admin.example', 'access-control-request-method': 'POST' },
    });
    expect(off.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('body limits', () => {
  it('a client that declares 10 GB and sends nothing gets 413 at once, on both routes', async () => {
    for (const path of ['/orders', '/trpc/orders.complete']) {
      const { head, ms } = await declareBody(path, 10 * 1024 ** 3);
      expect(head, path).toMatch(/^HTTP\/1\.1 413/);
      expect(head.toLowerCase()).toMatch(/connection: close/);
      expect(ms).toBeLessThan(2000);
    }
  });

  it('a chunked body past the limit is cut off with 413 too', async () => {
    const big = `[${'1,'.repeat(2000)}1]`;
    const res = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'The request body exceeds 2048 bytes' });
  });
});

describe('POST /orders', () => {
  it('keeps the original contract: 200 with the response, 400 with it plus error and code', async () => {
    const ok = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '[1,2]',
    });
    expect(await ok.json()).toMatchObject({ callId: 'run-1', completedOrderIds: [1, 2] });
    const none = await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '[404]',
    });
    expect(none.status).toBe(400);
    expect(await none.json()).toMatchObject({ code: 'ORDERS.NONE_FOUND', notFoundOrderIds: [404] });
    const get = await fetch(`${url}/orders`);
    expect(get.status).toBe(405);
    expect(await get.json()).toEqual({ error: 'Use POST /orders' });
  });
});

describe('static files for the admin app', () => {
  it('serves files under /admin/, index.html for client routes, and JSON 404s elsewhere', async () => {
    const js = await fetch(`${url}/admin/assets/app.js`);
    expect(await js.text()).toBe('console.log("admin")');
    expect(js.headers.get('cache-control')).toContain('immutable');
    const route = await fetch(`${url}/admin/runs/42`, { headers: { accept: 'text/html' } });
    expect(await route.text()).toMatch(/<title>admin<\/title>/);
    expect((await fetch(`${url}/admin/assets/missing.js`)).status).toBe(404);
    const root = await fetch(`${url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/admin/');
    // The API keeps its paths: a client route never shadows /orders.
    expect((await fetch(`${url}/orders`)).status).toBe(405);
    expect((await fetch(`${url}/nope.json`)).status).toBe(404);
    const without = await fetch(`${plainUrl}/admin/`, { headers: { accept: 'text/html' } });
    expect(without.status).toBe(404);
  });

  it('never serves a file outside its directory', async () => {
    for (const path of [
      '/admin/../package.json',
      '/admin/%2e%2e/package.json',
      '/admin/..%2fpackage.json',
    ]) {
      const response = await fetch(`${url}${path}`);
      expect(await response.text()).not.toMatch(/"name"/);
    }
  });
});

describe('operations', () => {
  it('/healthz is up; /readyz follows the database and shutdown', async () => {
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    databaseUp = false;
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    databaseUp = true;
    shuttingDown = true;
    const res = await fetch(`${url}/readyz`);
    shuttingDown = false;
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'shutting down' });
  });

  it('/metrics counts calls and orders by outcome', async () => {
    await fetch(`${url}/orders`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '[404]',
    });
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/ocs_completion_calls_total\{outcome="ORDERS.NONE_FOUND"\} [1-9]/);
    expect(text).toMatch(/ocs_completion_orders_total\{outcome="not_found"\} [1-9]/);
    expect(text).toMatch(/ocs_completion_call_duration_seconds_count\{outcome="COMPLETED"\} [1-9]/);
    expect(text).toMatch(/ocs_notifier_circuit_state\{state="closed"\} 1/);
    expect(text).toMatch(/process_cpu_user_seconds_total/);
  });

  it('/openapi.json is a valid OpenAPI document covering POST /orders and the procedures', async () => {
    // biome-ignore lint/suspicious/noExplicitAny: a JSON document, read by path
    const document: any = await (await fetch(`${url}/openapi.json`)).json();
    const result = await new Validator().validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/orders',
        '/trpc/orders.complete',
        '/trpc/orders.pendingCompletion',
      ]),
    );
    expect(
      document.paths['/orders'].post.requestBody.content['application/json'].schema,
    ).toMatchObject({ type: 'array', maxItems: 100 });
  });

  it('/docs serves Swagger UI pointed at /openapi.json', async () => {
    const page = await (await fetch(`${url}/docs`)).text();
    expect(page).toMatch(/swagger-ui-bundle\.js/);
    const bundle = await fetch(`${url}/docs/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(await (await fetch(`${url}/docs/init.js`)).text()).toMatch(/\/openapi\.json/);
  });
});
