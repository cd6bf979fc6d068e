/**
 * The production build, as an operator runs it: `pnpm build`, `pnpm deploy --prod` of the
 * server into a directory of its own, then plain `node dist/main.js` for all three apps
 * (no tsx, no TypeScript). The server answers the operations endpoints and the scheduler
 * completes the demo orders through it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkMySqlTestServer, createMySqlTestDatabase } from '@ocs/db/testing';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProcess, repoRoot, startApp, waitForListening } from './processes.js';

const token = 'prod-scheduler-token-0123456789';
let workDir: string;
let deployDir: string;
let notifier: RunningProcess | undefined;
let server: RunningProcess | undefined;
let serverUrl: string;

beforeAll(async () => {
  // turbo's cache makes this quick when `pnpm test` has built already.
  execFileSync(
    'pnpm',
    ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only', '--filter=./apps/*'],
    { cwd: repoRoot, stdio: 'pipe' },
  );
  workDir = mkdtempSync(join(tmpdir(), 'ocs-production-'));
  deployDir = join(workDir, 'server');
  execFileSync('pnpm', ['--filter', '@ocs/server', 'deploy', '--prod', deployDir], {
    cwd: repoRoot,
    stdio: 'pipe',
  });
  notifier = startApp('notifier', { PORT: '0' }, [], { build: 'dist' });
  const notifierUrl = await waitForListening(notifier);
  server = startApp(
    'server',
    {
      PORT: '0',
      NODE_ENV: 'production',
      AUTH_TOKENS: `${token}:scheduler`,
      NOTIFIER_BASE_URL: notifierUrl,
    },
    [],
    { build: 'dist', cwd: deployDir },
  );
  serverUrl = await waitForListening(server);
}, 240_000);

afterAll(async () => {
  await Promise.all([server?.stop(), notifier?.stop()]);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

describe('the production build', () => {
  it('deploys the server as compiled JavaScript with its migrations, and no TypeScript sources', () => {
    expect(existsSync(join(deployDir, 'dist/main.js'))).toBe(true);
    expect(existsSync(join(deployDir, 'src'))).toBe(false);
    expect(existsSync(join(deployDir, 'node_modules/@ocs/db/drizzle/mysql'))).toBe(true);
    expect(existsSync(join(deployDir, 'node_modules/tsx'))).toBe(false);
    expect(existsSync(join(deployDir, 'node_modules/vitest'))).toBe(false);
  });

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${serverUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${serverUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('`node dist/main.js migrate` applies the migrations to MariaDB and exits; again, nothing to do', async () => {
    await checkMySqlTestServer();
    const database = await createMySqlTestDatabase();
    try {
      const env = { DATABASE_URL: database.url, AUTH_TOKENS: `${token}:scheduler` };
      for (const round of [1, 2]) {
        const migrate = startApp('server', env, ['migrate'], { build: 'dist', cwd: deployDir });
        expect(await migrate.exited, `round ${round}: ${migrate.output()}`).toBe(0);
        expect(migrate.output()).toMatch(/"migrations applied"/);
        expect(migrate.output()).not.toMatch(/server listening/);
      }
      const connection = await createConnection({ uri: database.url });
      try {
        const [tables] = await connection.query<RowDataPacket[]>(
          "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN ('completion_ledger', 'ORDERS', 'leases')",
        );
        expect(tables[0]?.n).toBe(3);
      } finally {
        await connection.end();
      }
      const unknown = startApp('server', env, ['migrat'], { build: 'dist', cwd: deployDir });
      expect(await unknown.exited).toBe(1);
      expect(unknown.output()).toMatch(/Unknown command "migrat"/);
    } finally {
      await database.drop();
    }
  });

  it('serves a valid OpenAPI document', async () => {
    const document = (await (await fetch(`${serverUrl}/openapi.json`)).json()) as Record<
      string,
      unknown
    >;
    const result = await new Validator().validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('the built scheduler completes the demo orders, and /metrics counts them', async () => {
    const scheduler = startApp(
      'scheduler',
      { SERVER_URL: serverUrl, SCHEDULER_TOKEN: token, RETRY_ATTEMPTS: '0' },
      ['run-once'],
      { build: 'dist' },
    );
    expect(await scheduler.exited, scheduler.output()).toBe(0);
    const metrics = await (await fetch(`${serverUrl}/metrics`)).text();
    expect(metrics).toMatch(/ocs_completion_calls_total\{outcome="COMPLETED"\} [1-9]/);
    expect(metrics).toMatch(/ocs_completion_orders_total\{outcome="completed"\} 2/);
    expect(metrics).toMatch(/ocs_notifier_call_duration_seconds_count [1-9]/);
    expect(metrics).toMatch(/ocs_notifier_circuit_state\{state="closed"\} 1/);
  });
});
