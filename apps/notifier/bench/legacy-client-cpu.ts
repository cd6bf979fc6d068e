/**
 * CPU cost of the notifier client's legacy hot path: 2,000 `GET /notify/{id}` against the
 * notifier app at 0 ms latency, the app in a child process so `process.cpuUsage()` measures
 * the client alone. `pnpm --filter @ocs/notifier bench:legacy-cpu` (prints a JSON line).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createOrderNotifier } from '@ocs/notifier-client';
import { pino } from 'pino';
import { createNotifierServer } from '../src/app.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

if (process.argv[2] === 'server') {
  const server = createNotifierServer({ logger: pino({ level: 'silent' }) });
  const { url } = await server.listen(0, '127.0.0.1');
  process.send?.({ url });
  process.on('disconnect', () => server.close().finally(() => process.exit(0)));
} else {
  const child = fork(fileURLToPath(import.meta.url), ['server'], { stdio: 'inherit' });
  const url = await new Promise<string>((resolve) =>
    child.once('message', (message) => resolve((message as { url: string }).url)),
  );
  const notifier = createOrderNotifier({ baseUrl: url, protocol: 'legacy', keyNamespace: 'bench' });
  const orders = (from: number) =>
    Array.from({ length: ORDERS }, (_, i) => ({
      id: from + i,
      orderDate: new Date(0),
      state: 'SUBMITTED' as const,
      lines: [],
    }));
  await notifier.notifyCompleted(orders(1)); // warm-up: JIT, connections
  const perRequestUs: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const results = await notifier.notifyCompleted(orders(round * 1_000_000));
    const used = process.cpuUsage(cpu);
    const wallMs = performance.now() - started;
    if (!results.every((result) => result.ok)) throw new Error('a notification failed');
    const us = (used.user + used.system) / ORDERS;
    perRequestUs.push(us);
    console.log(
      `round ${round}: ${ORDERS} legacy notifications, CPU ${((used.user + used.system) / 1000).toFixed(0)} ms ` +
        `(${us.toFixed(0)} µs each), wall ${wallMs.toFixed(0)} ms`,
    );
  }
  const sorted = [...perRequestUs].sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      orders: ORDERS,
      rounds: ROUNDS,
      medianCpuUsPerRequest: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
    }),
  );
  await notifier.close();
  child.disconnect();
}
