/**
 * Benchmark: complete N generated orders through the real server process (tRPC, batches of
 * ids) with the real notifier app, on the embedded database and on MariaDB, for both
 * notification protocols. Prints a table and writes bench-results/complete-orders.json.
 *
 *   pnpm bench                                  # from the repo root (turbo)
 *   BENCH_ORDERS=50000 pnpm --filter @ocs/server bench
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { AppRouter } from '@ocs/api';
import { openDatabase, realisticMix, seedGeneratedOrders } from '@ocs/db/client';
import {
  checkMySqlTestServer,
  createEmbeddedTestDatabase,
  createMySqlTestDatabase,
} from '@ocs/db/testing';
import { type Protocol, protocolNames } from '@ocs/notifier-client';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import { repoRoot, startApp, waitForListening } from '../test/processes.js';

const orders = Number(process.env.BENCH_ORDERS ?? 20_000);
const batch = Number(process.env.BENCH_BATCH ?? 1_000);
const notifierLatencyMs = Number(process.env.BENCH_NOTIFIER_LATENCY_MS ?? 2);
const token = 'bench-scheduler-token-0123456789';

interface Result {
  database: string;
  protocol: string;
  orders: number;
  batchSize: number;
  seedSeconds: number;
  completeSeconds: number;
  ordersPerSecond: number;
  completed: number;
  failed: number;
  notificationRequests: number;
  notifierMaxInFlight: number;
}

async function scenario(kind: 'embedded' | 'mariadb', protocol: Protocol): Promise<Result> {
  const testDb =
    kind === 'mariadb' ? await createMySqlTestDatabase() : await createEmbeddedTestDatabase();
  const notifier = startApp('notifier', {
    PORT: '0',
    LOG_LEVEL: 'info',
    FAULT_LATENCY_MS: String(notifierLatencyMs),
  });
  const db = openDatabase({ url: testDb.url });
  let server: ReturnType<typeof startApp> | undefined;
  try {
    await db.migrate();
    const seedStart = performance.now();
    const seeded = await seedGeneratedOrders(db, orders, { mix: realisticMix });
    const seedSeconds = (performance.now() - seedStart) / 1000;

    const notifierUrl = await waitForListening(notifier);
    server = startApp('server', {
      PORT: '0',
      LOG_LEVEL: 'info',
      DATABASE_URL: testDb.url,
      AUTH_TOKENS: `${token}:scheduler`,
      NOTIFIER_BASE_URL: notifierUrl,
      NOTIFIER_PROTOCOL: protocol,
      NOTIFIER_CONCURRENCY: '16',
    });
    const serverUrl = await waitForListening(server);
    const api = createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url: `${serverUrl}/trpc`,
          transformer: superjson,
          headers: { authorization: `Bearer ${token}` },
        }),
      ],
    });

    let completed = 0;
    let failed = 0;
    const start = performance.now();
    for (let i = 0; i < seeded.ids.length; i += batch) {
      const orderIds = seeded.ids.slice(i, i + batch);
      try {
        const response = await api.orders.complete.mutate({ orderIds });
        completed += response.completedOrderIds.length;
        failed += orderIds.length - response.completedOrderIds.length;
      } catch (error) {
        if (!(error instanceof TRPCClientError) || !error.data?.completion) throw error;
        failed += orderIds.length;
      }
    }
    const completeSeconds = (performance.now() - start) / 1000;
    const stats = (await (await fetch(`${notifierUrl}/stats`)).json()) as {
      requests: number;
      maxInFlight: number;
    };
    return {
      database: kind,
      protocol,
      orders,
      batchSize: batch,
      seedSeconds: round(seedSeconds),
      completeSeconds: round(completeSeconds),
      ordersPerSecond: Math.round(orders / completeSeconds),
      completed,
      failed,
      notificationRequests: stats.requests,
      notifierMaxInFlight: stats.maxInFlight,
    };
  } finally {
    await Promise.all([server?.stop(), notifier.stop()]);
    await db.close();
    await testDb.drop();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

const mysql = await checkMySqlTestServer();
const targets = (process.env.BENCH_TARGETS ?? 'embedded,mariadb').split(',') as (
  | 'embedded'
  | 'mariadb'
)[];
const results: Result[] = [];
for (const kind of targets) {
  if (kind === 'mariadb' && !mysql.available) {
    console.warn(`skipping mariadb: ${mysql.skipReason}`);
    continue;
  }
  for (const protocol of protocolNames) {
    const result = await scenario(kind, protocol);
    results.push(result);
    console.log(JSON.stringify(result));
  }
}

console.table(results);
const outDir = join(repoRoot, 'bench-results');
mkdirSync(outDir, { recursive: true });
const file = join(outDir, 'complete-orders.json');
writeFileSync(
  file,
  `${JSON.stringify(
    {
      benchmark: 'complete-orders',
      date: new Date().toISOString(),
      machine: {
        cpus: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
      },
      settings: { orders, batch, notifierLatencyMs, mix: realisticMix },
      results,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote ${file}`);
