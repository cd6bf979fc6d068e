/**
 * The real stack for the browser tests: a throwaway MariaDB database, the notifier app and the
 * server (serving the built admin app from apps/admin/dist), as child processes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { type OcsDatabase, openDatabase } from '@ocs/db/client';
import { createMySqlTestDatabase, type TestDatabase } from '@ocs/db/testing';

export const repoRoot = resolve(import.meta.dirname, '../../..');
export const adminToken = 'e2e-admin-token-0123456789abcdef';
export const schedulerToken = 'e2e-scheduler-token-0123456789ab';

export interface AppProcess {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/** `node --conditions=development --import tsx src/main.ts` in apps/<app>, as the server's own e2e tests start it. */
export function startApp(
  app: 'server' | 'notifier' | 'scheduler',
  env: Record<string, string>,
  args: string[] = [],
): AppProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', 'src/main.ts', ...args],
    {
      cwd: resolve(repoRoot, 'apps', app),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (data: Buffer) => {
    output += data.toString('utf8');
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return {
    child,
    output: () => output,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((done, fail) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            cleanup();
            done(match);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          fail(new Error(`${app} did not print ${pattern} within ${timeoutMs} ms:\n${output}`));
        }, timeoutMs);
        const onExit = () => {
          cleanup();
          fail(new Error(`${app} exited before printing ${pattern}:\n${output}`));
        };
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
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
  const [, notifierUrl = ''] = await notifier.waitFor(
    /"url":"(http:\/\/[^"]+)".*"notifier listening"/,
  );
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
  const listening = /"url":"(http:\/\/[^"]+)".*"server listening"/;
  const server = startApp('server', serverEnv('0'));
  const [, serverUrl = ''] = await server.waitFor(listening);
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
      await stack.server.waitFor(listening);
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
