/** `ours`: the real path, `scheduler run-once` -> server -> MariaDB + notifier over HTTP. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import {
  backgroundRate,
  measureStorage,
  readStatus,
  type SeededDatabase,
  statementDelta,
} from '../mariadb.js';
import { notifierStats, startNotifier } from '../notifier.js';
import {
  localDatabasePid,
  machineBusySeconds,
  type RunningApp,
  readUsage,
  repoRoot,
  round,
  sampleUsage,
  startApp,
  waitForListening,
} from '../processes.js';
import { type SlowLog, startSlowLog } from '../sql-digest.js';
import { startSqlProxy } from '../sql-proxy.js';
import { type BenchContext, type Protocol, runChecks, type ScenarioResult } from './shared.js';

const schedulerToken = 'bench-scheduler-token-0123456789';

/** Each scenario gets its own database (seeded or a copy); the caller drops it. */
export async function runOurs(
  ctx: BenchContext,
  seeded: SeededDatabase,
  protocol: Protocol,
): Promise<ScenarioResult> {
  const n = seeded.n;
  let server: RunningApp | undefined;
  let notifier: Awaited<ReturnType<typeof startNotifier>> | undefined;
  let scheduler: RunningApp | undefined;
  let slowLog: SlowLog | undefined;
  const proxy = ctx.sqlProxy ? await startSqlProxy(ctx.mysqlUrl) : null;
  try {
    notifier = await startNotifier(ctx.latencyMs, ctx.compiled);
    // One directory per profiled server: node writes one profile per thread (tsx's module
    // loader runs in a worker thread), so no fixed --cpu-prof-name, or the threads overwrite
    // each other's file. The summariser picks the busiest (the main thread).
    const profileDir = ctx.profileDir
      ? join(
          ctx.profileDir,
          `server-${protocol}-${n}-${new Date().toISOString().replace(/[:.]/g, '')}`,
        )
      : null;
    const nodeFlags = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
    if (profileDir) mkdirSync(profileDir, { recursive: true });
    // Before the server opens its connections: they read long_query_time when they open.
    slowLog = ctx.sqlDigestDir
      ? await startSlowLog(
          ctx.mysqlUrl,
          ctx.sqlDigestDir,
          `sql-${protocol}-${n}-${new Date().toISOString().replace(/[:.]/g, '')}`,
        )
      : undefined;
    server = startApp('server', {
      env: {
        PORT: '0',
        LOG_LEVEL: 'info',
        DATABASE_URL: proxy ? proxy.urlFor(seeded.url) : seeded.url,
        AUTH_TOKENS: `${schedulerToken}:scheduler`,
        NOTIFIER_BASE_URL: notifier.url,
        NOTIFIER_PROTOCOL: protocol,
        ...ctx.serverEnv,
      },
      nodeFlags,
      compiled: ctx.compiled,
    });
    const serverUrl = await waitForListening(server);
    const serverUsage = sampleUsage(server.pid);
    const databasePid = localDatabasePid();
    const cpuBefore = {
      machine: machineBusySeconds(),
      server: readUsage(server.pid).cpuSeconds,
      database: databasePid ? readUsage(databasePid).cpuSeconds : null,
      notifier: readUsage(notifier.app.pid).cpuSeconds,
    };
    const background = await backgroundRate(ctx.mysqlUrl);
    const before = await readStatus(ctx.mysqlUrl);
    proxy?.reset();

    ctx.log(`ours ${protocol} N=${n}: run-once`);
    const started = performance.now();
    scheduler = startApp('scheduler', {
      env: {
        SERVER_URL: serverUrl as string,
        SCHEDULER_TOKEN: schedulerToken,
        LOG_LEVEL: 'info',
        ...ctx.schedulerEnv,
      },
      args: ['run-once'],
      compiled: ctx.compiled,
    });
    const schedulerSampler = sampleUsage(scheduler.pid);
    // The scheduler's peak is its last VmHWM sample, at most 100 ms before it exits.
    const exitCode = await scheduler.exited;
    const wallSeconds = (performance.now() - started) / 1000;
    const loadAverage = round(loadavg()[0] ?? 0, 2);
    const delta = (after: number | null, before: number | null) =>
      after !== null && before !== null ? round(after - before) : null;
    const cpu = {
      machineBusy: delta(machineBusySeconds(), cpuBefore.machine),
      server: delta(readUsage(server.pid).cpuSeconds, cpuBefore.server),
      database: databasePid ? delta(readUsage(databasePid).cpuSeconds, cpuBefore.database) : null,
      notifier: delta(readUsage(notifier.app.pid).cpuSeconds, cpuBefore.notifier),
    };
    const schedulerUsage = schedulerSampler.stop();
    const sqlDigest = slowLog ? await slowLog.stop() : null;
    slowLog = undefined;
    if (sqlDigest)
      ctx.log(
        `ours ${protocol} N=${n}: statements digested into ${sqlDigest.digest ?? sqlDigest.log}`,
      );
    const sql = proxy?.counts() ?? null;
    const after = await readStatus(ctx.mysqlUrl);
    const serverResult = serverUsage.stop();

    const summary = parseRunSummary(scheduler.output());
    const durationMs = typeof summary?.durationMs === 'number' ? summary.durationMs : null;
    const seconds = durationMs !== null ? durationMs / 1000 : wallSeconds;
    if (exitCode !== 0) {
      ctx.log(
        `scheduler exited with ${exitCode}; its output ends with:\n${scheduler.output().slice(-3000)}`,
      );
    }

    if (ctx.logDir) {
      mkdirSync(ctx.logDir, { recursive: true });
      for (const app of [server, scheduler])
        writeFileSync(join(ctx.logDir, `${app.app}-${protocol}-${n}.log`), app.output());
    }
    const requests = await notifierStats(notifier.url);
    ctx.log(`ours ${protocol} N=${n}: checking`);
    const checks = await runChecks(seeded, notifier.url);
    if (exitCode !== 0) checks.problems.unshift(`scheduler exited with ${exitCode}`);
    checks.passed = checks.problems.length === 0;
    const storage = await measureStorage(seeded);
    await server.stop();
    server = undefined;
    return {
      scenario: 'ours',
      protocol,
      n,
      eligible: seeded.eligible.length,
      submitted: seeded.submitted,
      seedSeconds: round(seeded.seedSeconds),
      seconds: round(seconds, 3),
      wallSeconds: round(wallSeconds, 3),
      ordersPerSecond: Math.round(n / seconds),
      server: serverResult,
      scheduler: { ...schedulerUsage, exitCode },
      schedulerSummary: summary,
      sql,
      globalStatus: statementDelta(before, after),
      backgroundQuestionsPerSecond: Math.round(background),
      loadAverage,
      cpu,
      notifier: requests,
      storage,
      checks,
      profile: profileDir ? relative(repoRoot, profileDir) : null,
      sqlDigest: sqlDigest
        ? {
            log: relative(repoRoot, sqlDigest.log),
            digest: sqlDigest.digest ? relative(repoRoot, sqlDigest.digest) : null,
          }
        : null,
    };
  } finally {
    await slowLog?.stop().catch(() => undefined);
    await scheduler?.stop();
    await server?.stop();
    await notifier?.app.stop();
    await proxy?.close();
  }
}

/** The scheduler logs `{ summary, msg: 'run finished' }` as JSON on stderr. */
export function parseRunSummary(output: string): Record<string, unknown> | null {
  const lines = output.split('\n').filter((line) => line.includes('"run finished"'));
  for (const line of lines.reverse()) {
    try {
      const parsed = JSON.parse(line) as { summary?: Record<string, unknown> };
      if (parsed.summary) return parsed.summary;
    } catch {
      // not a JSON log line
    }
  }
  return null;
}
