/**
 * SIGTERM with calls in flight, against the real server process: it stops taking calls on
 * every connection (keep-alive included), lets calls in flight finish within the grace
 * period, stops their notifications after it (finishing what was acknowledged, giving back
 * the rest), and exits 0. Runs on the embedded database: no MariaDB needed.
 */
import { Agent, request } from 'node:http';
import { openDatabase, seedGeneratedOrders } from '@ocs/db/client';
import { createEmbeddedTestDatabase, type TestDatabase } from '@ocs/db/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningProcess, startApp, waitForListening, waitUntil } from './processes.js';

const token = 'shutdown-test-token-0123456789';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

function postOrders(url: string, ids: number[], agent: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/orders`,
      {
        method: 'POST',
        agent,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(ids));
  });
}

async function ledgerStates(url: string, ids: number[]): Promise<Record<string, number>> {
  const { createClient } = await import('@libsql/client');
  const client = createClient({ url });
  try {
    const result = await client.execute(
      `SELECT state, COUNT(*) AS n FROM completion_ledger WHERE order_id IN (${ids.join(',')}) GROUP BY state`,
    );
    return Object.fromEntries(result.rows.map((row) => [String(row.state), Number(row.n)]));
  } finally {
    client.close();
  }
}

async function notifiedTimes(notifierUrl: string): Promise<Map<number, number>> {
  const res = await fetch(`${notifierUrl}/v1/notifications`);
  const { notifications } = (await res.json()) as { notifications: { orderId: number }[] };
  const times = new Map<number, number>();
  for (const n of notifications) times.set(n.orderId, (times.get(n.orderId) ?? 0) + 1);
  return times;
}

/** The notification requests the notifier has received so far, and whether each was answered. */
async function notifierRequests(notifierUrl: string): Promise<{ answered: boolean }[]> {
  const res = await fetch(`${notifierUrl}/control/requests`);
  const { requests } = (await res.json()) as { requests: { answered: boolean }[] };
  return requests;
}

describe('SIGTERM with a call in flight', () => {
  let testDb: TestDatabase | undefined;
  const processes: RunningProcess[] = [];

  afterEach(async () => {
    await Promise.all(processes.splice(0).map((p) => p.stop()));
    await testDb?.drop();
  });

  async function start(graceMs: number) {
    testDb = await createEmbeddedTestDatabase();
    const notifier = startApp('notifier', { PORT: '0', FAULT_LATENCY_MS: '150' });
    processes.push(notifier);
    const notifierUrl = await waitForListening(notifier);
    const db = openDatabase({ url: testDb.url });
    await db.migrate();
    const { ids } = await seedGeneratedOrders(db, 40);
    await db.close();
    const server = startApp('server', {
      PORT: '0',
      DATABASE_URL: testDb.url,
      AUTH_TOKENS: `${token}:scheduler`,
      NOTIFIER_BASE_URL: notifierUrl,
      NOTIFIER_BATCH_SIZE: '1',
      NOTIFIER_CONCURRENCY: '2',
      SHUTDOWN_GRACE_MS: String(graceMs),
      CLAIM_LEASE_MS: '120000',
    });
    processes.push(server);
    const serverUrl = await waitForListening(server);
    return { ids, server, serverUrl, notifierUrl };
  }

  it('finishes the call within the grace period, closes the keep-alive connection and exits 0', async () => {
    const { ids, server, serverUrl, notifierUrl } = await start(15_000);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const batch = ids.slice(0, 20); // 20 orders, 2 at a time, 150 ms each: about 1.5 s

    const call = postOrders(serverUrl, batch, agent);
    // In flight: the server has begun notifying the batch.
    await waitUntil(async () => (await notifierRequests(notifierUrl)).length > 0, {
      what: 'a notification request',
    });
    server.child.kill('SIGTERM');
    const answer = await call;

    expect(answer.status).toBe(200);
    expect(answer.body.completedOrderIds).toEqual(batch);
    expect(answer.headers.connection).toBe('close');
    // The same client, next call: nobody listens any more.
    await expect(postOrders(serverUrl, ids.slice(20), agent)).rejects.toThrow(/ECONNREFUSED/);
    expect(await server.exited).toBe(0);
    const times = await notifiedTimes(notifierUrl);
    expect(batch.every((id) => times.get(id) === 1)).toBe(true);
    expect(ids.slice(20).some((id) => times.has(id))).toBe(false);
    agent.destroy();
  });

  it('after the grace period, stops notifying: acknowledged orders are finished, the rest given back', async () => {
    const { ids, server, serverUrl, notifierUrl } = await start(500);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });

    const call = postOrders(serverUrl, ids, agent); // 40 orders: about 3 s, far past the grace
    // Some orders acknowledged already, most not yet sent.
    await waitUntil(
      async () =>
        (await notifierRequests(notifierUrl)).filter((request) => request.answered).length >= 4,
      { what: 'four answered notification requests' },
    );
    server.child.kill('SIGTERM');
    const answer = await call;

    expect(await server.exited).toBe(0);
    const completed = answer.body.completedOrderIds as number[];
    const notNotified = (answer.body.unsuccessfullyNotifiedOrders as { orderId: number }[]).map(
      (o) => o.orderId,
    );
    expect(completed.length).toBeGreaterThan(0);
    expect(notNotified.length).toBeGreaterThan(0);
    expect([...completed, ...notNotified].sort((a, b) => a - b)).toEqual(ids);
    const times = await notifiedTimes(notifierUrl);
    // None was notified twice, and every completed order was notified.
    expect([...times.values()].every((n) => n === 1)).toBe(true);
    expect(completed.every((id) => times.get(id) === 1)).toBe(true);
    // Orders never sent were given back at once; only the requests in flight when the grace
    // ended (at most NOTIFIER_CONCURRENCY) keep their claim until the lease ends: the one
    // window, where a request may have reached the service without an answer.
    const states = await ledgerStates((testDb as TestDatabase).url, ids);
    expect(states.finished).toBe(completed.length);
    expect(states.claimed ?? 0).toBeLessThanOrEqual(2);
    const unanswered = [...times.keys()].filter((id) => !completed.includes(id));
    expect(unanswered.length).toBeLessThanOrEqual(states.claimed ?? 0);
    agent.destroy();
  });
});
