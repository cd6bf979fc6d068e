/**
 * A deadline on every wait, against the real server process: with its database black-holed
 * (a TCP proxy that stops forwarding without closing) `/readyz` answers 503 within 1 s, and
 * the partition shows in `/metrics` and in the log within 5 s, naming the database but never
 * its password; a call with a short deadline answers in time, with retryable outcomes for
 * what it did not send, and nothing is notified twice. Durations are upper bounds with slack.
 */
import { randomBytes } from 'node:crypto';
import { openDatabase, seedGeneratedOrders } from '@ocs/db/client';
import {
  checkMySqlTestServer,
  createEmbeddedTestDatabase,
  createMySqlTestDatabase,
  mySqlTestServerUrl,
  PartitionProxy,
  type TestDatabase,
} from '@ocs/db/testing';
import { createConnection } from 'mysql2/promise';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningProcess, startApp, waitForListening, waitUntil } from './processes.js';

const token = 'deadline-test-token-0123456789';
const mysqlServer = await checkMySqlTestServer();

const processes: RunningProcess[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.stop()));
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

/** How the tests below poll the server's own view of its database. */
const poll = { timeoutMs: 5000, intervalMs: 100 };

async function databaseUpGauge(serverUrl: string): Promise<string | undefined> {
  const text = await (await fetch(`${serverUrl}/metrics`)).text();
  return /^ocs_database_up (\d)$/m.exec(text)?.[1];
}

describe.skipIf(!mysqlServer.available)('the server with its database partitioned', () => {
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const user = `ocs_dl_${randomBytes(4).toString('hex')}`;

  async function start(nodes = 1): Promise<{
    proxy: PartitionProxy;
    proxies: PartitionProxy[];
    server: RunningProcess;
    url: string;
  }> {
    const database: TestDatabase = await createMySqlTestDatabase();
    cleanups.push(() => database.drop());
    const admin = await createConnection({ uri: mySqlTestServerUrl() });
    try {
      await admin.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
      await admin.query(`GRANT ALL ON \`${database.name}\`.* TO ?@?`, [user, '%']);
    } finally {
      await admin.end();
    }
    cleanups.push(async () => {
      const connection = await createConnection({ uri: mySqlTestServerUrl() });
      await connection.query('DROP USER IF EXISTS ?@?', [user, '%']);
      await connection.end();
    });
    const proxies: PartitionProxy[] = [];
    for (let i = 0; i < nodes; i++) {
      const proxy = await PartitionProxy.start(`database-${i}`, database.url);
      cleanups.push(() => proxy.close());
      proxies.push(proxy);
    }
    const [proxy] = proxies as [PartitionProxy];
    const url = new URL(proxy.rewrite(database.url));
    url.username = user;
    url.password = password;
    // Several nodes: the parts form, DB_HOST=h1:p1,h2:p2 (the cluster's hosts in order).
    const databaseEnv: Record<string, string> =
      nodes === 1
        ? { DATABASE_URL: url.toString() }
        : {
            DB_HOST: proxies.map((p) => `127.0.0.1:${p.port}`).join(','),
            DB_USER: user,
            DB_PASSWORD: password,
            DB_NAME: database.name,
          };
    const server = startApp('server', {
      PORT: '0',
      ...databaseEnv,
      AUTH_TOKENS: `${token}:scheduler`,
      DB_PROBE_INTERVAL_MS: '1000',
      DB_RESTORE_NODE_AFTER_MS: '500',
    });
    processes.push(server);
    return { proxy, proxies, server, url: await waitForListening(server) };
  }

  it('/readyz answers 503 within 1 s; /metrics and the log show the partition within 5 s', async () => {
    const { proxy, server, url } = await start();
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(await waitUntil(async () => (await databaseUpGauge(url)) ?? undefined, poll)).toBe('1');

    await proxy.setMode('blackhole');
    const blackholedAt = performance.now();
    const ready = await timed(() => fetch(`${url}/readyz`));
    expect(ready.value.status).toBe(503);
    expect(await ready.value.json()).toEqual({ status: 'database unreachable' });
    expect(ready.ms).toBeLessThan(1500);

    await waitUntil(async () => ((await databaseUpGauge(url)) === '0' ? true : undefined), poll);
    const gaugeShownMs = performance.now() - blackholedAt;
    const [line] = await server.waitFor(/.*"database [^"]+ is unreachable".*/, 5000);
    const partitionShownMs = performance.now() - blackholedAt;
    expect(partitionShownMs).toBeLessThan(5000);
    console.log(
      `[black hole] /readyz 503 in ${Math.round(ready.ms)} ms; ocs_database_up 0 after ${Math.round(gaugeShownMs)} ms; log line after ${Math.round(partitionShownMs)} ms`,
    );
    expect(line).toMatch(/"level":50/);
    expect(line).toMatch(/"database":"127\.0\.0\.1:\d+\/ocs_test_[0-9a-f]+"/);

    await proxy.setMode('forward');
    const [back] = await server.waitFor(/.*reachable again after [\d.]+ s".*/, 5000);
    expect(back).toMatch(/"downForMs":\d+/);
    await waitUntil(async () => ((await databaseUpGauge(url)) === '1' ? true : undefined), poll);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    // Logged once per transition, not once per probe.
    expect(server.output().match(/is unreachable"/g)?.length).toBe(1);
    expect(server.output()).not.toContain(password);
  });

  it('two hosts: one refused, the server serves through the other; /readyz names both nodes', async () => {
    const { proxies, server, url } = await start(2);
    const [first, second] = proxies as [PartitionProxy, PartitionProxy];
    const nodeA = `127.0.0.1:${first.port}`;
    const nodeB = `127.0.0.1:${second.port}`;
    const ready = async () => {
      const res = await fetch(`${url}/readyz`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect(await ready()).toEqual({
      status: 200,
      body: {
        status: 'ready',
        nodes: [
          { name: nodeA, up: true, inUse: true },
          { name: nodeB, up: true, inUse: false },
        ],
      },
    });

    await first.setMode('refuse');
    // The probe, or the next statement, finds the refused node and moves to the next.
    const moved = await waitUntil(async () => {
      const { status, body } = await ready();
      const nodes = body.nodes as { name: string; up: boolean; inUse: boolean }[] | undefined;
      return status === 200 && nodes?.find((n) => n.inUse)?.name === nodeB ? nodes : undefined;
    }, poll);
    expect(moved.find((n) => n.name === nodeA)).toMatchObject({ up: false, inUse: false });
    // A call runs through the other node.
    const call = await postOrders(url, [424242]);
    expect(call.status).toBe(400);
    await server.waitFor(new RegExp(`database node ${nodeA.replace(/\./g, '\\.')} failed`), 5000);

    await first.setMode('forward');
    await waitUntil(async () => {
      const { body } = await ready();
      const nodes = body.nodes as { name: string; inUse: boolean }[];
      return nodes.find((n) => n.inUse)?.name === nodeA ? true : undefined;
    }, poll);
    await server.waitFor(/answers again: back in use/, 5000);
    expect(server.output()).not.toContain(password);
  });

  it('/readyz answers 503 at once when the database refuses connections', async () => {
    const { proxy, url } = await start();
    await proxy.setMode('refuse');
    const ready = await timed(() => fetch(`${url}/readyz`));
    expect(ready.value.status).toBe(503);
    expect(ready.ms).toBeLessThan(1500);
    console.log(`[refused] /readyz 503 in ${Math.round(ready.ms)} ms`);
  });
});

async function notifiedTimes(notifierUrl: string): Promise<Map<number, number>> {
  const res = await fetch(`${notifierUrl}/v1/notifications`);
  const { notifications } = (await res.json()) as { notifications: { orderId: number }[] };
  const times = new Map<number, number>();
  for (const n of notifications) times.set(n.orderId, (times.get(n.orderId) ?? 0) + 1);
  return times;
}

interface CompletionBody {
  completedOrderIds: number[];
  unsuccessfullyNotifiedOrders: { orderId: number; reason: { message: string } }[];
  claimedElsewhereOrders: { orderId: number }[];
}

async function postOrders(
  url: string,
  ids: number[],
): Promise<{ status: number; body: CompletionBody }> {
  const res = await fetch(`${url}/orders`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(ids),
  });
  return { status: res.status, body: (await res.json()) as CompletionBody };
}

describe('a completion call with a deadline', () => {
  it('answers soon after its deadline with the rest retryable; retried, each order is notified once', async () => {
    const testDb = await createEmbeddedTestDatabase();
    cleanups.push(() => testDb.drop());
    const db = openDatabase({ url: testDb.url });
    await db.migrate();
    const { ids } = await seedGeneratedOrders(db, 80);
    await db.close();
    const notifier = startApp('notifier', { PORT: '0', FAULT_LATENCY_MS: '150' });
    processes.push(notifier);
    const notifierUrl = await waitForListening(notifier);
    const server = startApp('server', {
      PORT: '0',
      DATABASE_URL: testDb.url,
      AUTH_TOKENS: `${token}:scheduler`,
      NOTIFIER_BASE_URL: notifierUrl,
      NOTIFIER_BATCH_SIZE: '1',
      NOTIFIER_CONCURRENCY: '2',
      NOTIFIER_ATTEMPT_TIMEOUT_MS: '1000',
      NOTIFIER_MAX_ATTEMPTS: '2',
      NOTIFIER_INITIAL_DELAY_MS: '50',
      NOTIFIER_MAX_DELAY_MS: '100',
      COMPLETION_DEADLINE_MS: '600',
      LEDGER_WRITE_RETRY_MS: '500',
      DB_QUERY_TIMEOUT_MS: '1000',
      SHUTDOWN_GRACE_MS: '1000',
      // 600 + 1,000 + 500 + 2 x 1,000 = 4,100; twice the worst order: 2 x 2 x 1,100 = 4,400.
      CLAIM_LEASE_MS: '4500',
    });
    processes.push(server);
    const url = await waitForListening(server);

    // 80 orders, 2 at a time, 150 ms each: 6 s without a deadline.
    const first = await timed(() => postOrders(url, ids));
    expect(first.ms).toBeLessThan(3000);
    console.log(
      `[deadline 600 ms] answered in ${Math.round(first.ms)} ms: ${first.value.body.completedOrderIds.length} completed, ${first.value.body.unsuccessfullyNotifiedOrders.length} retryable`,
    );
    expect(first.value.status).toBe(200);
    const { completedOrderIds, unsuccessfullyNotifiedOrders } = first.value.body;
    expect(completedOrderIds.length).toBeGreaterThan(0);
    expect(unsuccessfullyNotifiedOrders.length).toBeGreaterThan(40);
    expect(
      [...completedOrderIds, ...unsuccessfullyNotifiedOrders.map((o) => o.orderId)].sort(
        (a, b) => a - b,
      ),
    ).toEqual(ids);
    const [line] = await server.waitFor(/.*"completion call stopped by its deadline".*/, 5000);
    expect(line).toMatch(/"level":40/);
    expect(line).toMatch(/"callId":"[0-9a-f-]{36}"/);
    expect(line).toMatch(/"ids":80/);

    // Retried as the scheduler would, until done (the requests in flight at the deadline keep
    // their claims until the lease ends): every order ends up notified exactly once.
    const done = new Set(completedOrderIds);
    // Each call has the same 600 ms deadline, so each completes a few more.
    for (let round = 0; round < 40 && done.size < ids.length; round++) {
      const rest = ids.filter((id) => !done.has(id));
      const answer = await postOrders(url, rest);
      for (const id of answer.body.completedOrderIds ?? []) done.add(id);
      if ((answer.body.claimedElsewhereOrders ?? []).length === rest.length) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    expect(done.size).toBe(ids.length);
    const times = await notifiedTimes(notifierUrl);
    expect(ids.every((id) => times.get(id) === 1)).toBe(true);
  });
});
