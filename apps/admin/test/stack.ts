/**
 * The real stack for the browser tests: a throwaway MariaDB database, the notifier app and the
 * server (serving the built admin app from apps/admin/dist), as child processes.
 */
import { resolve } from 'node:path';
import { type OcsDatabase, openDatabase } from '@ocs/db/client';
import { createMySqlTestDatabase, type TestDatabase } from '@ocs/db/testing';
import {
  type AppName,
  type RunningApp,
  repoRoot,
  startApp as start,
  waitForListening,
} from '@ocs/test-support';

export { repoRoot };
export const adminToken = 'e2e-admin-token-0123456789abcdef';
export const schedulerToken = 'e2e-scheduler-token-0123456789ab';

export type AppProcess = RunningApp;

/** An app from its source (tsx), as the server's own e2e tests start it. */
export function startApp(
  app: AppName,
  env: Record<string, string>,
  args: string[] = [],
): AppProcess {
  return start(app, { env, args });
}

export interface Stack {
  testDb: TestDatabase;
  db: OcsDatabase;
  notifier: AppProcess;
  notifierUrl: string;
  server: AppProcess;
  serverUrl: string;
  /** Starts the server again on the same port (after `server.stop()`). */
  restartServer(): Promise<void>;
  /**
   * The scheduler as a daemon (no run of its own until asked: its cron is once a year), on a
   * short heartbeat and lock lease so the tests see it alive, and abandoned, within seconds.
   */
  startScheduler(env?: Record<string, string>): Promise<AppProcess>;
  /** PUT /control/faults on the notifier app (left-out fields go back to defaults). */
  setNotifierFaults(faults: Record<string, unknown>): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Server settings on top of the defaults below, e.g. `NOTIFIER_PROTOCOL`. */
  serverEnv?: Record<string, string>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const testDb = await createMySqlTestDatabase();
  const notifier = startApp('notifier', { PORT: '0', LOG_LEVEL: 'info' });
  const notifierUrl = await waitForListening(notifier);
  const serverEnv = (port: string) => ({
    PORT: port,
    LOG_LEVEL: 'info',
    DATABASE_URL: testDb.url,
    DB_SEED_DEMO_ON_START: 'true',
    AUTH_TOKENS: `${schedulerToken}:scheduler,${adminToken}:admin`,
    STATIC_DIR: resolve(repoRoot, 'apps/admin/dist'),
    NOTIFIER_BASE_URL: notifierUrl,
    NOTIFIER_MAX_ATTEMPTS: '2',
    NOTIFIER_INITIAL_DELAY_MS: '10',
    NOTIFIER_MAX_DELAY_MS: '50',
    NOTIFIER_ATTEMPT_TIMEOUT_MS: '2000',
    NOTIFIER_BREAKER_THRESHOLD: '100000',
    ...options.serverEnv,
  });
  const server = startApp('server', serverEnv('0'));
  const serverUrl = await waitForListening(server);
  const db = openDatabase({ url: testDb.url });
  const stack: Stack = {
    testDb,
    db,
    notifier,
    notifierUrl,
    server,
    serverUrl,
    async restartServer() {
      stack.server = startApp('server', serverEnv(new URL(serverUrl).port));
      await waitForListening(stack.server);
    },
    async startScheduler(env = {}) {
      const scheduler = startApp('scheduler', {
        SERVER_URL: serverUrl,
        SCHEDULER_TOKEN: schedulerToken,
        CRON: '0 3 1 1 *',
        SCHEDULER_HEARTBEAT_MS: '300',
        SCHEDULER_LOCK_TTL_MS: '3000',
        PAGE_SIZE: '5000',
        BATCH_SIZE: '1000',
        BATCH_CONCURRENCY: '2',
        RETRY_ATTEMPTS: '1',
        RETRY_INITIAL_DELAY_MS: '100',
        RETRY_MAX_DELAY_MS: '200',
        LOG_LEVEL: 'info',
        ...env,
      });
      await scheduler.waitFor(/"msg":"scheduled"/);
      return scheduler;
    },
    async setNotifierFaults(faults) {
      const response = await fetch(`${notifierUrl}/control/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(faults),
      });
      if (!response.ok) throw new Error(`PUT /control/faults: ${response.status}`);
    },
    async stop() {
      await Promise.all([stack.server.stop(), notifier.stop()]);
      await db.close();
      await testDb.drop();
    },
  };
  return stack;
}
