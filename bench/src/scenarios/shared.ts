/**
 * What every scenario shares: the context it runs in, the result it reports, the checks of the
 * outcome, and the plain SQL the floor and the original run in this process.
 */

import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Protocol } from '@ocs/notifier-client';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import {
  checkDatabase,
  type DatabaseCheck,
  type SeededDatabase,
  type SqlStatements,
  type Storage,
  statementDelta,
} from '../mariadb.js';
import { checkNotifications, type NotificationCheck, type NotifierRequests } from '../notifier.js';
import { type ProcessUsage, repoRoot, round } from '../processes.js';
import { classify, type SqlCounts } from '../sql-proxy.js';

export type { Protocol } from '@ocs/notifier-client';
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
  /** Log every statement of ours' runs and digest them into this directory (sql-digest.ts). */
  sqlDigestDir?: string | null;
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
  /** With --sql-digest: the statement log and its digest (ours only). */
  sqlDigest?: { log: string; digest: string | null } | null;
}

export async function runChecks(
  seeded: SeededDatabase,
  notifierUrl: string | null,
): Promise<Checks> {
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

// The floor and the original design: in this process, on their own copy of the data.

export interface OrderRow {
  id: number;
  orderDate: Date;
  stateId: number;
}
export interface LineRow {
  orderId: number;
  ordered: number;
  delivered: number | null;
}

/** The default requirements, written out plainly (the requirements package stays the authority). */
export function passes(
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

export async function stateIds(url: string): Promise<{ submitted: number; finished: number }> {
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

/** The floor and the original count the statements they send themselves. */
export function countQuery(sql: SqlCounts, verb: string, times = 1): void {
  for (let i = 0; i < times; i++) classify(sql, 0x03, verb);
}

export function offProcessResult(
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
