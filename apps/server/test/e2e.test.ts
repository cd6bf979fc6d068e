/**
 * End to end with real processes over real HTTP: the notifier app, the server (on MariaDB
 * and on the embedded database) and the scheduler CLI.
 */

import { spawn } from 'node:child_process';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { createClient } from '@libsql/client';
import type { AppRouter } from '@ocs/api';
import { type OcsDatabase, openDatabase, seedGeneratedOrders } from '@ocs/db/client';
import {
  checkMySqlTestServer,
  createEmbeddedTestDatabase,
  createMySqlTestDatabase,
  type TestDatabase,
} from '@ocs/db/testing';
import type { CompleteOrderResponse } from '@ocs/domain';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { createConnection } from 'mysql2/promise';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProcess, repoRoot, startApp, waitForListening } from './processes.js';

const schedulerToken = 'e2e-scheduler-token-0123456789';
const adminToken = 'e2e-admin-token-0123456789abc';
const mysql = await checkMySqlTestServer();

interface Stack {
  db: OcsDatabase;
  testDb: TestDatabase;
  notifier: RunningProcess;
  notifierUrl: string;
  server: RunningProcess;
  serverUrl: string;
}

async function startStack(kind: 'mariadb' | 'embedded'): Promise<Stack> {
  const testDb =
    kind === 'mariadb' ? await createMySqlTestDatabase() : await createEmbeddedTestDatabase();
  const notifier = startApp('notifier', { PORT: '0', LOG_LEVEL: 'info' });
  const notifierUrl = await waitForListening(notifier);
  const server = startApp('server', {
    PORT: '0',
    LOG_LEVEL: 'debug',
    DATABASE_URL: testDb.url,
    DB_SEED_DEMO_ON_START: 'true',
    DB_CHUNK_SIZE: '1000',
    AUTH_TOKENS: `${schedulerToken}:scheduler,${adminToken}:admin`,
    NOTIFIER_BASE_URL: notifierUrl,
    NOTIFIER_MAX_ATTEMPTS: '2',
    NOTIFIER_INITIAL_DELAY_MS: '10',
    NOTIFIER_MAX_DELAY_MS: '50',
    NOTIFIER_ATTEMPT_TIMEOUT_MS: '2000',
    NOTIFIER_BREAKER_THRESHOLD: '100000',
    NOTIFIER_BATCH_SIZE: '50',
  });
  const serverUrl = await waitForListening(server);
  const db = openDatabase({ url: testDb.url });
  return {
    db,
    testDb,
    notifier,
    notifierUrl,
    server,
    serverUrl,
  };
}

async function stopStack(stack: Stack | undefined) {
  if (!stack) return;
  await Promise.all([stack.server.stop(), stack.notifier.stop()]);
  await stack.db.close();
  await stack.testDb.drop();
}

const client = (serverUrl: string, token?: string) =>
  createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${serverUrl}/trpc`,
        transformer: superjson,
        headers: () => (token ? { authorization: `Bearer ${token}` } : {}),
      }),
    ],
  });

async function trpcError(promise: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCClientError) return error as TRPCClientError<AppRouter>;
    throw error;
  }
  throw new Error('expected the call to fail');
}

async function notificationsFor(notifierUrl: string, orderId: number): Promise<number> {
  const res = await fetch(`${notifierUrl}/v1/notifications?orderId=${orderId}`);
  const body = (await res.json()) as { notifications: unknown[] };
  return body.notifications.length;
}

/** Notification requests the notifier received for an order (its own request log). */
async function notificationRequestsFor(notifierUrl: string, orderId: number): Promise<number> {
  const res = await fetch(`${notifierUrl}/control/requests?orderId=${orderId}`);
  const body = (await res.json()) as { requests: unknown[] };
  return body.requests.length;
}

async function setFaults(notifierUrl: string, faults: Record<string, unknown>) {
  const res = await fetch(`${notifierUrl}/control/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  expect(res.status).toBeLessThan(300);
}

async function states(db: OcsDatabase, ids: number[]) {
  const orders = await db.orders.findByIds(ids);
  return Object.fromEntries(orders.map((o) => [o.id, o.state]));
}

const postOrders = (serverUrl: string, body: string, token: string | null = schedulerToken) =>
  fetch(`${serverUrl}/orders`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body,
  });

/** Raw SQL on the test database, behind the server's back, to break it on purpose. */
async function rawSql(url: string, sql: string) {
  if (url.startsWith('mysql:')) {
    const connection = await createConnection({ uri: url });
    try {
      await connection.query(sql);
    } finally {
      await connection.end();
    }
  } else {
    const embedded = createClient({ url });
    try {
      await embedded.execute(sql);
    } finally {
      embedded.close();
    }
  }
}

/** The response with ids replaced by their position in `ids`, to compare two equal set-ups. */
function shape(response: CompleteOrderResponse, ids: number[]) {
  const at = (id: number) => ids.indexOf(id);
  return {
    completed: response.completedOrderIds.map(at),
    notFound: response.notFoundOrderIds.map(at),
    unsuccessful: response.unsuccessfulOrders.map((o) => [
      at(o.orderId),
      o.reasons.map((r) => r.code),
    ]),
    notNotified: response.unsuccessfullyNotifiedOrders.map((o) => [at(o.orderId), o.reason.kind]),
    notUpdated: response.unsuccessfullyUpdatedOrders.map((o) => at(o.orderId)),
  };
}

const suites = [
  { kind: 'embedded' as const, skip: false },
  { kind: 'mariadb' as const, skip: !mysql.available },
];

for (const { kind, skip } of suites) {
  describe.skipIf(skip)(`end to end on ${kind}`, () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await startStack(kind);
    });
    afterAll(async () => {
      await stopStack(stack);
    });

    it('given the five seed orders, completing 1-5 finishes exactly 2 and 3, and a second call notifies nobody again', async () => {
      const api = client(stack.serverUrl, schedulerToken);

      const first = await api.orders.complete.mutate({ orderIds: [1, 2, 3, 4, 5] });

      expect(first.completedOrderIds).toEqual([2, 3]);
      expect(first.notFoundOrderIds).toEqual([]);
      expect(
        first.unsuccessfulOrders.map((o) => [o.orderId, o.reasons.map((r) => r.code).sort()]),
      ).toEqual([
        [1, ['ORDER.NOT_FULLY_DELIVERED']],
        [4, ['ORDER.TOO_RECENT']],
        [5, ['ORDER.NOT_FULLY_DELIVERED', 'ORDER.TOO_RECENT']],
      ]);
      expect(await states(stack.db, [1, 2, 3, 4, 5])).toEqual({
        1: 'SUBMITTED',
        2: 'FINISHED',
        3: 'FINISHED',
        4: 'SUBMITTED',
        5: 'SUBMITTED',
      });
      for (const id of [1, 4, 5]) expect(await notificationsFor(stack.notifierUrl, id)).toBe(0);
      // One debug line per failed order, with its reasons, below the run's info line. The
      // server writes it before answering, but its stdout pipe may deliver it after the answer.
      await stack.server.waitFor(
        /"level":20,[^\n]*"orderId":5,"reasons":\["ORDER.NOT_FULLY_DELIVERED","ORDER.TOO_RECENT"\][^\n]*"msg":"order not completed"/,
        5000,
      );
      for (const id of [2, 3]) expect(await notificationsFor(stack.notifierUrl, id)).toBe(1);

      const second = await trpcError(api.orders.complete.mutate({ orderIds: [1, 2, 3, 4, 5] }));

      expect(second.data?.httpStatus).toBe(400);
      expect(second.data?.completion?.code).toBe('ORDERS.NONE_NOTIFIED');
      const again = second.data?.completion?.response;
      expect(again?.completedOrderIds).toEqual([]);
      for (const id of [2, 3]) {
        expect(again?.unsuccessfulOrders.find((o) => o.orderId === id)?.reasons).toEqual([
          expect.objectContaining({ code: 'ORDER.ALREADY_FINISHED' }),
        ]);
        expect(await notificationsFor(stack.notifierUrl, id)).toBe(1);
      }
    });

    it('lets the admin read orders by id and list them by state', async () => {
      const admin = client(stack.serverUrl, adminToken);
      const { order } = await admin.orders.detail.query({ id: 2 });
      expect(order).toMatchObject({ id: 2, state: 'FINISHED', lines: [{}, {}] });
      const finished = await admin.orders.list.query({ state: 'FINISHED', limit: 10 });
      expect(finished.orders.map((o) => o.id)).toEqual([2, 3]);
      const missing = await trpcError(admin.orders.detail.query({ id: 999999 }));
      expect(missing.data?.httpStatus).toBe(404);
    });

    it('records each call as a run the admin can read back', async () => {
      // Its own orders and its own call: the test does not lean on earlier ones.
      const { ids } = await seedGeneratedOrders(stack.db, 3);
      const missing = 1_900_000_000;
      const { callId } = await client(stack.serverUrl, schedulerToken).orders.complete.mutate({
        orderIds: [...ids, missing],
      });

      const admin = client(stack.serverUrl, adminToken);
      const run = await admin.calls.detail.query({ id: callId });
      expect(run).toMatchObject({
        id: callId,
        outcome: 'COMPLETED',
        requestedCount: 4,
        counts: expect.objectContaining({ completed: 3, not_found: 1 }),
        failedCount: 1,
      });
      // The admin views send dates as ISO strings.
      expect(run.finishedAt).not.toBeNull();
      expect(Date.parse(run.finishedAt ?? '')).not.toBeNaN();
      expect(run.response.completedOrderIds).toEqual(ids);
      expect(run.response.notFoundOrderIds).toEqual([missing]);
      const { runs } = await admin.calls.history.query({ limit: 50 });
      expect(runs.map((r) => r.id)).toContain(callId);
      await stack.server.waitFor(
        new RegExp(`"callId":"${callId}".*"completed":3.*"msg":"completion call"`),
      );
    });

    it('when the notifier is down: 400 listing every eligible order, nothing finished; the scheduler finishes them once it is back', async () => {
      const seeded = await seedGeneratedOrders(stack.db, 3);
      const ids = seeded.ids;
      await setFaults(stack.notifierUrl, { down: '503' });

      const error = await trpcError(
        client(stack.serverUrl, schedulerToken).orders.complete.mutate({ orderIds: ids }),
      );

      expect(error.data?.httpStatus).toBe(400);
      expect(error.data?.completion?.code).toBe('ORDERS.NONE_NOTIFIED');
      expect(
        error.data?.completion?.response.unsuccessfullyNotifiedOrders.map((o) => o.orderId),
      ).toEqual(ids);
      expect(Object.values(await states(stack.db, ids))).toEqual([
        'SUBMITTED',
        'SUBMITTED',
        'SUBMITTED',
      ]);

      const scheduler = startApp(
        'scheduler',
        {
          SERVER_URL: stack.serverUrl,
          SCHEDULER_TOKEN: schedulerToken,
          RETRY_ATTEMPTS: '3',
          RETRY_INITIAL_DELAY_MS: '1500',
          RETRY_MAX_DELAY_MS: '3000',
          LOG_LEVEL: 'info',
        },
        ['run-once'],
      );
      await scheduler.waitFor(/"msg":"retrying ids"/);
      await setFaults(stack.notifierUrl, { down: false });

      expect(await scheduler.exited).toBe(0);
      expect(scheduler.output()).toMatch(/completed: +3\n/);
      expect(Object.values(await states(stack.db, ids))).toEqual([
        'FINISHED',
        'FINISHED',
        'FINISHED',
      ]);
      for (const id of ids) expect(await notificationsFor(stack.notifierUrl, id)).toBe(1);
    });

    it('when the update fails: 400 NoOrdersSuccessfullyUpdated without SQL, nothing finished; the retry sends no second notification', async () => {
      const { ids } = await seedGeneratedOrders(stack.db, 2);
      const createTrigger =
        kind === 'mariadb'
          ? "CREATE TRIGGER e2e_block_update BEFORE UPDATE ON ORDERS FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'blocked by the e2e test'"
          : "CREATE TRIGGER e2e_block_update BEFORE UPDATE ON ORDERS BEGIN SELECT RAISE(ABORT, 'blocked by the e2e test'); END";
      await rawSql(stack.testDb.url, createTrigger);
      try {
        const res = await postOrders(stack.serverUrl, JSON.stringify(ids));
        expect(res.status).toBe(400);
        const text = await res.text();
        expect(text).not.toMatch(/blocked by the e2e test|update `?"?ORDERS|params:/i);
        const body = JSON.parse(text) as CompleteOrderResponse & { code: string };
        expect(body.code).toBe('ORDERS.NONE_UPDATED');
        expect(body.unsuccessfullyUpdatedOrders).toEqual(
          ids.map((orderId) => ({
            orderId,
            reason: expect.objectContaining({ code: 'UPDATE.FAILED' }),
          })),
        );
        expect(Object.values(await states(stack.db, ids))).toEqual(['SUBMITTED', 'SUBMITTED']);
      } finally {
        await rawSql(stack.testDb.url, 'DROP TRIGGER e2e_block_update');
      }

      const retried = await client(stack.serverUrl, schedulerToken).orders.complete.mutate({
        orderIds: ids,
      });

      expect(retried.completedOrderIds).toEqual(ids);
      // The ledger knew they were notified: the retry finished them without a second request.
      for (const id of ids) {
        expect(await notificationRequestsFor(stack.notifierUrl, id)).toBe(1);
        expect(await notificationsFor(stack.notifierUrl, id)).toBe(1);
      }
    });

    it('given only unknown ids: 400 with the NoOrdersFound body, on both routes', async () => {
      const error = await trpcError(
        client(stack.serverUrl, schedulerToken).orders.complete.mutate({
          orderIds: [900001, 900002],
        }),
      );
      expect(error.data?.httpStatus).toBe(400);
      expect(error.data?.completion?.code).toBe('ORDERS.NONE_FOUND');
      expect(error.data?.completion?.response.notFoundOrderIds).toEqual([900001, 900002]);

      const res = await postOrders(stack.serverUrl, '[900001,900002]');
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        code: 'ORDERS.NONE_FOUND',
        notFoundOrderIds: [900001, 900002],
        completedOrderIds: [],
      });
    });

    it('rejects bad input with a 400 naming the problem and changes nothing', async () => {
      const seeded = await seedGeneratedOrders(stack.db, 2);
      const before = await states(stack.db, seeded.ids);
      const tooMany = JSON.stringify(Array.from({ length: 10_001 }, (_, i) => i + 1));
      const cases: [string, RegExp][] = [
        ['["a","b"]', /expected number/],
        ['[-1]', /positive integer/i],
        ['[2147483648]', /at most 2147483647/],
        ['[9007199254740991]', /at most 2147483647/],
        ['[1.5]', /expected int/i],
        ['[]', /at least one id/],
        [tooMany, /at most 10000 ids/],
        ['{"orderIds": [1]}', /array/],
        ['not json', /JSON array/],
      ];
      for (const [body, message] of cases) {
        const res = await postOrders(stack.serverUrl, body);
        expect(res.status, body.slice(0, 40)).toBe(400);
        expect(((await res.json()) as { error: string }).error).toMatch(message);

        const parsed = (() => {
          try {
            return JSON.parse(body);
          } catch {
            return undefined;
          }
        })();
        const trpc = await fetch(`${stack.serverUrl}/trpc/orders.complete`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${schedulerToken}`,
          },
          // superjson's wire format: the input under `json`.
          body: parsed === undefined ? body : JSON.stringify({ json: { orderIds: parsed } }),
        });
        expect(trpc.status, body.slice(0, 40)).toBe(400);
        // superjson's wire format: the error shape under `json`.
        const err = (
          (await trpc.json()) as {
            error: { json: { message: string; data: Record<string, unknown> } };
          }
        ).error.json;
        expect(err.message).not.toMatch(/\bat \S+\.ts:\d+/);
        expect(err.data.stack).toBeUndefined();
        if (parsed !== undefined) {
          expect(err.message, body.slice(0, 40)).toMatch(message);
          expect(err.data.zodError).toMatchObject({ fieldErrors: expect.any(Object) });
        }
      }
      const hugeBody = `[${'1,'.repeat(600_000)}1]`;
      const huge = await postOrders(stack.serverUrl, hugeBody);
      expect(huge.status).toBe(413);
      expect(((await huge.json()) as { error: string }).error).toMatch(/exceeds 1048576 bytes/);
      const hugeTrpc = await fetch(`${stack.serverUrl}/trpc/orders.complete`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${schedulerToken}` },
        body: `{"orderIds":${hugeBody}}`,
      });
      expect(hugeTrpc.status).toBe(413);
      expect(await states(stack.db, seeded.ids)).toEqual(before);
      for (const id of seeded.ids) expect(await notificationsFor(stack.notifierUrl, id)).toBe(0);
    });

    it('answers 401 without or with a wrong token and 403 with the wrong role; health needs none', async () => {
      const anonymous = await trpcError(
        client(stack.serverUrl).orders.complete.mutate({ orderIds: [1] }),
      );
      expect(anonymous.data?.httpStatus).toBe(401);
      const wrong = await trpcError(
        client(stack.serverUrl, 'not-a-configured-token-000').orders.pendingCompletion.query({}),
      );
      expect(wrong.data?.httpStatus).toBe(401);
      const forbidden = await trpcError(
        client(stack.serverUrl, schedulerToken).calls.history.query({ limit: 1 }),
      );
      expect(forbidden.data?.httpStatus).toBe(403);
      expect((await postOrders(stack.serverUrl, '[1]', null)).status).toBe(401);
      expect((await postOrders(stack.serverUrl, '[1]', 'wrong-token-0000000000')).status).toBe(401);
      expect(await client(stack.serverUrl).health.query()).toEqual({
        status: 'ok',
        database: 'up',
      });
      expect(stack.server.output()).not.toContain(schedulerToken);
      expect(stack.server.output()).not.toContain(adminToken);
    });

    it('POST /orders and tRPC give the same outcome for the same state', async () => {
      const mix = { eligible: 2, 'too-recent': 1, 'not-delivered': 1, finished: 1 };
      const a = await seedGeneratedOrders(stack.db, 5, { mix, randomSeed: 7 });
      const b = await seedGeneratedOrders(stack.db, 5, { mix, randomSeed: 7 });
      const idsA = [...a.ids, 990001];
      const idsB = [...b.ids, 990001];

      const viaTrpc = await client(stack.serverUrl, schedulerToken).orders.complete.mutate({
        orderIds: idsA,
      });
      const res = await postOrders(stack.serverUrl, JSON.stringify(idsB));

      expect(res.status).toBe(200);
      const viaPost = (await res.json()) as CompleteOrderResponse;
      expect(shape(viaPost, idsB)).toEqual(shape(viaTrpc, idsA));
      expect(viaTrpc.completedOrderIds.length).toBeGreaterThan(0);
    });

    it('the scheduler CLI completes 5,000 seeded orders in batches and its summary matches the database', async () => {
      const seeded = await seedGeneratedOrders(stack.db, 5000);
      const pendingBefore = await client(
        stack.serverUrl,
        schedulerToken,
      ).orders.pendingCompletion.query({
        limit: 10000,
      });

      const scheduler = startApp(
        'scheduler',
        {
          SERVER_URL: stack.serverUrl,
          SCHEDULER_TOKEN: schedulerToken,
          BATCH_SIZE: '500',
          PAGE_SIZE: '2000',
          RETRY_INITIAL_DELAY_MS: '200',
          LOG_LEVEL: 'info',
        },
        ['run-once'],
      );

      expect(await scheduler.exited).toBe(0);
      const out = scheduler.output();
      // Not a terminal: progress comes as log lines, not a bar.
      expect(out).toMatch(/"msg":"progress"/);
      expect(out).not.toContain('completing [');
      const completed = Number(out.match(/completed: +(\d+)\n/)?.[1]);
      const finished = Object.values(await states(stack.db, seeded.ids)).filter(
        (s) => s === 'FINISHED',
      );
      expect(finished).toHaveLength(5000);
      // The summary counts what the database shows: every pending order that is FINISHED now
      // (the 5,000 plus eligible leftovers of earlier tests).
      const finishedNow = Object.values(await states(stack.db, pendingBefore.ids)).filter(
        (s) => s === 'FINISHED',
      );
      expect(completed).toBe(finishedNow.length);
      expect(completed).toBeGreaterThanOrEqual(5000);
      expect(out).toMatch(new RegExp(`pending orders: +${pendingBefore.ids.length}\\n`));
      // 5,000 ids in batches of 500 → at least 10 completion calls were made.
      const { runs } = await client(stack.serverUrl, adminToken).calls.history.query({ limit: 20 });
      expect(runs.filter((r) => r.requestedCount === 500).length).toBeGreaterThanOrEqual(10);
    });

    it('answers an unexpected failure with 500 and no stack trace or SQL in the body', async () => {
      await rawSql(
        stack.testDb.url,
        'ALTER TABLE completion_calls RENAME TO completion_calls_moved',
      );
      try {
        const res = await fetch(
          `${stack.serverUrl}/trpc/calls.history?input=${encodeURIComponent('{"json":{}}')}`,
          {
            headers: { authorization: `Bearer ${adminToken}` },
          },
        );
        expect(res.status).toBe(500);
        const text = await res.text();
        expect(text).not.toMatch(/completion_calls|select|\.ts:\d+|"stack"/i);
        expect(JSON.parse(text).error.json.message).toBe('Internal server error');
      } finally {
        await rawSql(
          stack.testDb.url,
          'ALTER TABLE completion_calls_moved RENAME TO completion_calls',
        );
      }
    });

    it('the scheduler re-sends a batch whose answer was lost, and the ledger notifies nobody twice', async () => {
      const { ids } = await seedGeneratedOrders(stack.db, 4);
      // A proxy that forwards the first completion call, lets the server finish it, then
      // drops the connection instead of answering: the scheduler cannot know the outcome.
      let completeCalls = 0;
      const target = new URL(stack.serverUrl);
      const proxy = createServer((req, res) => {
        const isComplete = req.url?.startsWith('/trpc/orders.complete') ?? false;
        if (isComplete) completeCalls += 1;
        const upstream = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            path: req.url,
            method: req.method,
            headers: req.headers,
          },
          (answer) => {
            if (isComplete && completeCalls === 1) {
              answer.resume();
              answer.on('end', () => res.socket?.destroy());
              return;
            }
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        req.pipe(upstream);
      });
      await new Promise<void>((done) => proxy.listen(0, '127.0.0.1', done));
      try {
        const scheduler = startApp(
          'scheduler',
          {
            SERVER_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
            SCHEDULER_TOKEN: schedulerToken,
            BATCH_SIZE: '10000',
            RETRY_INITIAL_DELAY_MS: '100',
          },
          ['run-once'],
        );

        expect(await scheduler.exited).toBe(0);
        expect(completeCalls).toBe(2);
        // The lost call had finished them: the re-sent batch finds them finished by another call.
        expect(scheduler.output()).toMatch(
          new RegExp(`finished by another call: +${ids.length}\\n`),
        );
        expect(scheduler.output()).toMatch(/left undone: +0 /);
        // The server did finish them, and each was notified once.
        expect(Object.values(await states(stack.db, ids))).toEqual(ids.map(() => 'FINISHED'));
        for (const id of ids) expect(await notificationsFor(stack.notifierUrl, id)).toBe(1);
      } finally {
        await new Promise((done) => proxy.close(done));
      }
    });

    it('on a terminal, the scheduler shows a progress bar', async () => {
      await seedGeneratedOrders(stack.db, 50);
      // `script` gives the scheduler a pseudo-terminal, as an operator's shell would.
      const child = spawn(
        'script',
        [
          '-qec',
          `${process.execPath} --conditions=development --import tsx src/main.ts run-once`,
          '/dev/null',
        ],
        {
          cwd: resolve(repoRoot, 'apps/scheduler'),
          env: {
            PATH: process.env.PATH ?? '',
            HOME: process.env.HOME ?? '',
            TERM: 'xterm',
            SERVER_URL: stack.serverUrl,
            SCHEDULER_TOKEN: schedulerToken,
            LOG_LEVEL: 'warn',
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      const code = await new Promise((done) => child.once('exit', done));
      expect(code).toBe(0);
      expect(out).toMatch(/completing [░█]+ \d+\/\d+ settled/);
      expect(out).not.toMatch(/"msg":"progress"/);
      expect(Number(out.match(/completed: +(\d+)\r?\n/)?.[1])).toBeGreaterThanOrEqual(50);
    });

    it('run-once exits non-zero when the server cannot be reached', async () => {
      const scheduler = startApp(
        'scheduler',
        { SERVER_URL: 'http://127.0.0.1:1', SCHEDULER_TOKEN: schedulerToken },
        ['run-once'],
      );
      expect(await scheduler.exited).toBe(2);
      expect(scheduler.output()).toMatch(/Cannot reach the server/);
    });
  });
}
