/**
 * The three things measured on the same data shape:
 * - `ours`: the real path, `scheduler run-once` -> server -> MariaDB + notifier over HTTP;
 * - `floor`: mysql2 only, SELECT orders and lines by IN-lists of 5,000, requirements in JS,
 *   one guarded UPDATE per chunk (no notification): what the database alone costs;
 * - `original`: the original design, one SELECT, a sequential `GET /notify/{id}` per order
 *   that passes, one UPDATE.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { subtractCalendarMonths } from '@ocs/domain';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import {
  backgroundRate,
  checkDatabase,
  type DatabaseCheck,
  measureStorage,
  readStatus,
  type SeededDatabase,
  type SqlStatements,
  type Storage,
  statementDelta,
} from './mariadb.js';
import {
  checkNotifications,
  type NotificationCheck,
  type NotifierRequests,
  notifierStats,
  startNotifier,
} from './notifier.js';
import {
  localDatabasePid,
  machineBusySeconds,
  type ProcessUsage,
  type RunningApp,
  readUsage,
  repoRoot,
  round,
  sampleUsage,
  startApp,
} from './processes.js';
import { classify, emptyCounts, type SqlCounts, startSqlProxy } from './sql-proxy.js';

export type Protocol = 'v1' | 'legacy';
export type ScenarioKind = 'ours' | 'floor' | 'original';

export interface BenchContext {
  mysqlUrl: string;
  /** Ages of the seeded orders are relative to this. */
  now: Date;
  latencyMs: number;
  compiled: boolean;
  /** Pass `--cpu-prof` to the server child, profiles into this directory. */
  profileDir: string | null;
  serverEnv: Record<string, string>;
  schedulerEnv: Record<string, string>;
  keepDatabases: boolean;
  /** Count the server's statements through a proxy (exact); otherwise only global counters. */
  sqlProxy: boolean;
  /** Write each run's server and scheduler output here (`<app>-<protocol>-<n>.log`). */
  logDir: string | null;
  log: (line: string) => void;
}

export interface Checks {
  passed: boolean;
  problems: string[];
  database: DatabaseCheck;
  notifications: NotificationCheck | null;
}

export interface ScenarioResult {
  scenario: ScenarioKind;
  protocol: Protocol | null;
  n: number;
  eligible: number;
  /** SUBMITTED orders (eligible or not): what the scheduler finds pending. */
  submitted: number;
  seedSeconds: number;
  /**
   * The timed part. `ours`: the scheduler's own run duration (from its "run finished" log:
   * paging pending ids through every batch and retry round), falling back to `wallSeconds`;
   * `floor` / `original`: the loop itself.
   */
  seconds: number;
  /** `ours`: from spawning `run-once` to its exit, node and tsx start-up included. */
  wallSeconds: number;
  ordersPerSecond: number;
  server: ProcessUsage | null;
  scheduler: (ProcessUsage & { exitCode: number | null }) | null;
  /** `ours`: the scheduler's RunSummary as logged. */
  schedulerSummary: Record<string, unknown> | null;
  /**
   * Statements of this scenario alone: `ours` counted on the wire by a proxy between the
   * server and MariaDB, `floor`/`original` counted where they are issued. Null without proxy.
   */
  sql: SqlCounts | null;
  /** SHOW GLOBAL STATUS deltas over the window: everything on the MariaDB server. */
  globalStatus: SqlStatements;
  backgroundQuestionsPerSecond: number;
  /**
   * The machine's 1-minute load average when the timed part ended (it covers the run): the
   * machine may be shared, and on 2 cores anything else running shows in the timings.
   */
  loadAverage: number;
  /**
   * CPU seconds spent during the run (ours only): the whole machine, the local database
   * server and the notifier app. With 2 cores, busy near 2 x seconds means CPU-bound.
   */
  cpu?: {
    machineBusy: number | null;
    server: number | null;
    database: number | null;
    notifier: number | null;
  };
  notifier: NotifierRequests | null;
  storage: Storage | null;
  checks: Checks;
  profile: string | null;
}

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
    const [, serverUrl] = await server.waitFor(/"url":"(http:\/\/[^"]+)".*"server listening"/);
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
    };
  } finally {
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

async function runChecks(seeded: SeededDatabase, notifierUrl: string | null): Promise<Checks> {
  const database = await checkDatabase(seeded);
  const notifications = notifierUrl ? await checkNotifications(notifierUrl, seeded.eligible) : null;
  const problems: string[] = [];
  if (database.eligibleNotFinished > 0)
    problems.push(`${database.eligibleNotFinished} eligible orders not FINISHED`);
  if (database.wronglyFinished > 0)
    problems.push(`${database.wronglyFinished} ineligible orders FINISHED`);
  if (notifications) {
    if (notifications.eligibleNotNotified > 0)
      problems.push(`${notifications.eligibleNotNotified} eligible orders not notified`);
    if (notifications.notifiedMoreThanOnce > 0)
      problems.push(`${notifications.notifiedMoreThanOnce} orders notified more than once`);
    if (notifications.notifiedButNotEligible > 0)
      problems.push(`${notifications.notifiedButNotEligible} ineligible orders notified`);
  }
  return { passed: problems.length === 0, problems, database, notifications };
}

// ---------------------------------------------------------------------------------------
// The floor and the original design: in this process, on their own copy of the data.

interface OrderRow {
  id: number;
  orderDate: Date;
  stateId: number;
}
interface LineRow {
  orderId: number;
  ordered: number;
  delivered: number | null;
}

/** The default requirements, written out plainly (the requirements package stays the authority). */
function passes(
  order: OrderRow,
  lines: LineRow[] | undefined,
  submittedId: number,
  cutoff: Date,
): boolean {
  if (order.stateId !== submittedId) return false;
  if (!lines || lines.length === 0) return false;
  for (const line of lines) {
    if (line.delivered === null || line.delivered < line.ordered) return false;
  }
  return order.orderDate.getTime() <= cutoff.getTime();
}

async function stateIds(url: string): Promise<{ submitted: number; finished: number }> {
  const connection = await createConnection({ uri: url });
  try {
    const [rows] = await connection.query<RowDataPacket[]>(
      'SELECT Id, OrderState FROM ORDER_STATES',
    );
    const id = (name: string) => rows.find((row) => row.OrderState === name)?.Id as number;
    return { submitted: id('SUBMITTED'), finished: id('FINISHED') };
  } finally {
    await connection.end();
  }
}

export async function runFloor(
  ctx: BenchContext,
  seeded: SeededDatabase,
  chunkSize = 5000,
): Promise<ScenarioResult> {
  const n = seeded.n;
  const states = await stateIds(seeded.url);
  const connection = await createConnection({ uri: seeded.url });
  const background = await backgroundRate(ctx.mysqlUrl);
  const before = await readStatus(ctx.mysqlUrl);
  ctx.log(`floor N=${n}: running`);
  const sql = emptyCounts();
  const started = performance.now();
  try {
    const cutoff = subtractCalendarMonths(new Date(), 6);
    for (let offset = 0; offset < seeded.ids.length; offset += chunkSize) {
      const ids = seeded.ids.slice(offset, offset + chunkSize);
      countQuery(sql, 'SELECT', 2);
      const [orderRows] = await connection.query<RowDataPacket[]>(
        'SELECT Id, OrderDate, OrderStateId FROM ORDERS WHERE Id IN (?)',
        [ids],
      );
      const [lineRows] = await connection.query<RowDataPacket[]>(
        'SELECT OrderId, OrderedQuantity, DeliveredQuantity FROM ORDER_LINES WHERE OrderId IN (?)',
        [ids],
      );
      const linesByOrder = new Map<number, LineRow[]>();
      for (const row of lineRows) {
        const line = {
          orderId: row.OrderId as number,
          ordered: row.OrderedQuantity as number,
          delivered: row.DeliveredQuantity as number | null,
        };
        const list = linesByOrder.get(line.orderId);
        if (list) list.push(line);
        else linesByOrder.set(line.orderId, [line]);
      }
      const ready: number[] = [];
      for (const row of orderRows) {
        const order = { id: row.Id, orderDate: row.OrderDate, stateId: row.OrderStateId };
        if (passes(order, linesByOrder.get(order.id), states.submitted, cutoff))
          ready.push(order.id);
      }
      if (ready.length > 0) {
        countQuery(sql, 'UPDATE');
        await connection.query(
          'UPDATE ORDERS SET OrderStateId = ? WHERE Id IN (?) AND OrderStateId = ?',
          [states.finished, ready, states.submitted],
        );
      }
    }
  } finally {
    await connection.end();
  }
  const seconds = (performance.now() - started) / 1000;
  const after = await readStatus(ctx.mysqlUrl);
  const checks = await runChecks(seeded, null);
  return offProcessResult(
    sql,
    'floor',
    null,
    seeded,
    seconds,
    before,
    after,
    background,
    null,
    checks,
  );
}

export async function runOriginal(
  ctx: BenchContext,
  seeded: SeededDatabase,
): Promise<ScenarioResult> {
  const n = seeded.n;
  let notifier: Awaited<ReturnType<typeof startNotifier>> | undefined;
  try {
    notifier = await startNotifier(ctx.latencyMs, ctx.compiled);
    const states = await stateIds(seeded.url);
    const connection = await createConnection({ uri: seeded.url });
    const background = await backgroundRate(ctx.mysqlUrl);
    const before = await readStatus(ctx.mysqlUrl);
    ctx.log(`original N=${n}: running (sequential GET /notify/{id} at ${ctx.latencyMs} ms)`);
    const sql = emptyCounts();
    const started = performance.now();
    try {
      const cutoff = subtractCalendarMonths(new Date(), 6);
      // One SELECT: orders joined with their lines.
      countQuery(sql, 'SELECT');
      const [rows] = await connection.query<RowDataPacket[]>(
        `SELECT o.Id, o.OrderDate, o.OrderStateId, l.OrderedQuantity, l.DeliveredQuantity
           FROM ORDERS o LEFT JOIN ORDER_LINES l ON l.OrderId = o.Id
          WHERE o.Id IN (?)`,
        [seeded.ids],
      );
      const orders = new Map<number, OrderRow>();
      const lines = new Map<number, LineRow[]>();
      for (const row of rows) {
        const id = row.Id as number;
        if (!orders.has(id)) {
          orders.set(id, { id, orderDate: row.OrderDate, stateId: row.OrderStateId });
          lines.set(id, []);
        }
        if (row.OrderedQuantity !== null) {
          lines.get(id)?.push({
            orderId: id,
            ordered: row.OrderedQuantity,
            delivered: row.DeliveredQuantity,
          });
        }
      }
      // One GET /notify/{id} after another, as the original did.
      const notified: number[] = [];
      for (const order of orders.values()) {
        if (!passes(order, lines.get(order.id), states.submitted, cutoff)) continue;
        const response = await fetch(`${notifier.url}/notify/${order.id}`);
        await response.arrayBuffer();
        if (response.status === 200) notified.push(order.id);
      }
      // One UPDATE.
      if (notified.length > 0) {
        countQuery(sql, 'UPDATE');
        await connection.query(
          'UPDATE ORDERS SET OrderStateId = ? WHERE Id IN (?) AND OrderStateId = ?',
          [states.finished, notified, states.submitted],
        );
      }
    } finally {
      await connection.end();
    }
    const seconds = (performance.now() - started) / 1000;
    const after = await readStatus(ctx.mysqlUrl);
    const requests = await notifierStats(notifier.url);
    const checks = await runChecks(seeded, notifier.url);
    return offProcessResult(
      sql,
      'original',
      'legacy',
      seeded,
      seconds,
      before,
      after,
      background,
      requests,
      checks,
    );
  } finally {
    await notifier?.app.stop();
  }
}

/** The floor and the original count the statements they send themselves. */
function countQuery(sql: SqlCounts, verb: string, times = 1): void {
  for (let i = 0; i < times; i++) classify(sql, 0x03, verb);
}

function offProcessResult(
  sql: SqlCounts,
  scenario: ScenarioKind,
  protocol: Protocol | null,
  seeded: SeededDatabase,
  seconds: number,
  before: Record<string, number>,
  after: Record<string, number>,
  background: number,
  notifier: NotifierRequests | null,
  checks: Checks,
): ScenarioResult {
  return {
    scenario,
    protocol,
    n: seeded.n,
    eligible: seeded.eligible.length,
    submitted: seeded.submitted,
    seedSeconds: round(seeded.seedSeconds),
    seconds: round(seconds, 3),
    wallSeconds: round(seconds, 3),
    ordersPerSecond: Math.round(seeded.n / seconds),
    server: null,
    scheduler: null,
    schedulerSummary: null,
    sql,
    globalStatus: statementDelta(before, after),
    backgroundQuestionsPerSecond: Math.round(background),
    loadAverage: round(loadavg()[0] ?? 0, 2),
    notifier,
    storage: null,
    checks,
    profile: null,
  };
}

export const defaultProfileDir = join(repoRoot, 'bench', 'profiles');
