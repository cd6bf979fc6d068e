/**
 * One fault scenario from start to verdict, shared by the fault suite and its Galera mode:
 * fresh installations, the faults, the daily job run again until it settles, the invariants
 * from the database and the notifier's request log, and the scenario's row of the report.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { protocols } from '@ocs/notifier-client';
import { expect } from 'vitest';
import {
  closeWithin,
  Installation,
  type Protocol,
  requestsInFlight,
  schedulerToken,
  sleep,
} from './cluster.js';
import { computeCounts, type InstallationView } from './invariants.js';
import type { NotifierControl } from './notifier.js';
import type { RunningProcess } from './processes.js';
import { addReport, type ScenarioReport } from './report.js';

export interface Suite {
  notifier: NotifierControl;
  /** The notifier's latency between faults. */
  latencyMs: number;
  /** Orders per scenario unless it says otherwise. */
  orders: number;
}

let current: Suite | null = null;

/** Called once the suite's notifier runs (in its `beforeAll`). */
export function useSuite(suite: Suite): void {
  current = suite;
}

function suite(): Suite {
  if (!current) throw new Error('useSuite() first: the scenarios need the suite notifier');
  return current;
}

export interface ScenarioContext {
  installs: Installation[];
  notes: string[];
  /** 5xx seen by direct callers (not through a replica's proxy). */
  fiveXx: number;
  /** Failures a scenario found itself (deadlines, readiness, take-overs), beside the invariants. */
  failures: string[];
  /** Scenario-specific figures for the report. */
  figures: Record<string, number | string | boolean | null>;
  /**
   * Moments after which an acknowledged order may be sent again once (bounded like a kill -9):
   * a replica that lost its database while notifying cannot record what it sent.
   */
  resendPoints: number[];
}

export interface ScenarioOptions {
  protocol: Protocol;
  orders?: number;
  replicas?: number;
  installations?: number;
  serverEnv?: Record<string, string>;
  schedulerEnv?: Record<string, string>;
  /** 5xx answers are expected here (the database itself is down): reported, not failed. */
  fiveXxAllowed?: boolean;
  /** A server is killed: re-sends across the crash are counted and bounded. */
  serverKill?: boolean;
  /**
   * v1 with attempt timeouts on purpose: a re-request with the same key within this many ms
   * of an answered one is the client's timeout racing a late answer (reported, not failed).
   */
  lateAnswerWindowMs?: number;
  /** Runs of `run-once` allowed after the faults end. */
  settleRuns?: number;
  /** Each replica reaches MariaDB / the notifier through its own partition proxy. */
  dbProxies?: boolean;
  notifierProxies?: boolean;
  /** Wall-clock offset of each replica (by index) at start. */
  clockOffsetsMs?: number[];
  /** Deadline of each `run-once` of the settling (default 120 s). */
  runOnceTimeoutMs?: number;
  /** All replicas start at once. */
  startTogether?: boolean;
  /** Each replica's `DATABASE_URL` (e.g. every node of a Galera cluster, its own first). */
  databaseUrlFor?: (replicaIndex: number, databaseName: string) => string;
  /** Nemesis: the seed and the fault timeline (planned and as it happened) for the report. */
  report?: { seed: number; timeline: string[]; planned: string[] };
}

export async function runScenario(
  name: string,
  options: ScenarioOptions,
  faults: (ctx: ScenarioContext) => Promise<void>,
): Promise<void> {
  const started = Date.now();
  await suite().notifier.setFaults({ latencyMs: suite().latencyMs });
  await suite().notifier.clear();
  const installs: Installation[] = [];
  const ctx: ScenarioContext = {
    installs,
    notes: [],
    fiveXx: 0,
    failures: [],
    figures: {},
    resendPoints: [],
  };
  const labels = ['alpha', 'beta', 'gamma'];
  try {
    for (let i = 0; i < (options.installations ?? 1); i++) {
      installs.push(
        await Installation.create({
          label: labels[i] ?? `i${i}`,
          protocol: options.protocol,
          orders: options.orders ?? suite().orders,
          replicas: options.replicas ?? 1,
          notifierUrl: suite().notifier.url,
          installationId: `faults-${labels[i]}-${started.toString(36)}`,
          randomSeed: 7,
          ...(options.serverEnv ? { serverEnv: options.serverEnv } : {}),
          ...(options.schedulerEnv ? { schedulerEnv: options.schedulerEnv } : {}),
          ...(options.dbProxies ? { dbProxies: true } : {}),
          ...(options.notifierProxies ? { notifierProxies: true } : {}),
          ...(options.clockOffsetsMs ? { clockOffsetsMs: options.clockOffsetsMs } : {}),
          ...(options.runOnceTimeoutMs ? { runOnceTimeoutMs: options.runOnceTimeoutMs } : {}),
          ...(options.startTogether ? { startTogether: true } : {}),
          ...(options.databaseUrlFor ? { databaseUrlFor: options.databaseUrlFor } : {}),
        }),
      );
    }
    await faults(ctx);
    // The faults end; the daily job runs again as often as needed (bounded).
    await Promise.all(installs.map((i) => i.heal()));
    await suite().notifier.setFaults({ latencyMs: suite().latencyMs });
    const settleRuns = await Promise.all(installs.map((i) => i.settle(options.settleRuns ?? 3)));
    const views: InstallationView[] = [];
    for (const install of installs) views.push(await install.finish());
    const [requests, stored] = await Promise.all([
      suite().notifier.requests(),
      suite().notifier.notifications(),
    ]);
    if (process.env.FAULTS_DUMP_DIR) {
      // Raw evidence for a closer look: the request log, what was stored, the kills.
      writeFileSync(
        join(process.env.FAULTS_DUMP_DIR, `${name}-${options.protocol}.json`),
        JSON.stringify({ requests, stored, kills: installs.map((i) => i.serverKills) }),
      );
    }
    const counts = computeCounts({
      protocol: options.protocol,
      installations: views,
      requests,
      stored,
      serverKills: [...installs.flatMap((i) => i.serverKills), ...ctx.resendPoints].sort(
        (a, b) => a - b,
      ),
      fiveXx: ctx.fiveXx + installs.reduce((sum, i) => sum + i.fiveXx(), 0),
      ...(options.lateAnswerWindowMs ? { lateAnswerWindowMs: options.lateAnswerWindowMs } : {}),
      ...(protocols[options.protocol].idempotent
        ? { attemptTimeoutMs: Number(installs[0]?.serverEnv.NOTIFIER_ATTEMPT_TIMEOUT_MS ?? 5000) }
        : {}),
      holdUnconfirmed:
        !protocols[options.protocol].idempotent &&
        installs[0]?.serverEnv.NOTIFIER_RETRY_UNCONFIRMED !== 'true',
    });
    const env = installs[0]?.serverEnv ?? {};
    const concurrency = requestsInFlight({ NOTIFIER_PROTOCOL: options.protocol, ...env });
    const perRequest = Math.min(
      Number(env.NOTIFIER_BATCH_SIZE ?? 50),
      protocols[options.protocol].maxBatchSize,
    );
    // One state write takes every acknowledgement that arrived during the previous write: at
    // most `concurrency` requests' worth per latency, and a write on 2 loaded cores can take a
    // couple of latencies. An assumption, hence overridable.
    const writeBatch = Number(process.env.FAULTS_STATE_WRITE_BATCH ?? 2 * concurrency * perRequest);
    const kills =
      installs.reduce((sum, i) => sum + i.serverKills.length, 0) + ctx.resendPoints.length;
    // Per kill: the requests in flight plus one state write of acknowledgements.
    const perKillBound = concurrency * perRequest + writeBatch;
    const resentBound = perKillBound * Math.max(1, kills);
    const failures: string[] = [];
    if (counts.notifiedTwice > 0) failures.push(`${counts.notifiedTwice} orders notified twice`);
    if (counts.finishedWithoutNotification > 0)
      failures.push(`${counts.finishedWithoutNotification} orders FINISHED without notification`);
    if (counts.eligibleLeftUnfinished > 0)
      failures.push(`${counts.eligibleLeftUnfinished} eligible orders left unfinished`);
    if (counts.unexpectedChanges > 0)
      failures.push(`${counts.unexpectedChanges} unexpected database changes`);
    if (counts.fiveXx > 0 && !options.fiveXxAllowed) failures.push(`${counts.fiveXx} 5xx answers`);
    // The rule for legacy: a request that may have reached the service (timed out or
    // dropped after sending) is not retried in the call unless NOTIFIER_RETRY_UNCONFIRMED=true.
    if (counts.retriedUnconfirmed > 0 && env.NOTIFIER_RETRY_UNCONFIRMED !== 'true')
      failures.push(`${counts.retriedUnconfirmed} legacy orders retried while unconfirmed`);
    // The bound is per kill; the sum is checked, as one write can carry more acknowledgements
    // than another (resentByKill in the report shows the split).
    const bounded = options.serverKill || ctx.resendPoints.length > 0;
    if (bounded && (counts.resentAfterCrash ?? 0) > resentBound)
      failures.push(`${counts.resentAfterCrash} re-sent after a crash (bound ${resentBound})`);
    failures.push(...ctx.failures);
    const notRetryable = installs.flatMap((i) =>
      i.replicas.flatMap((r) => r.proxy.fiveXxNotRetryable),
    );
    if (notRetryable.length > 0) ctx.figures.fiveXxNotRetryable = notRetryable.length;
    const { examples, ...numbers } = counts;
    const report: ScenarioReport = {
      scenario: name,
      protocol: options.protocol,
      ...numbers,
      ...(bounded ? { resentBound, resentAfterCrash: counts.resentAfterCrash ?? 0 } : {}),
      ...(Object.keys(ctx.figures).length > 0 ? { figures: ctx.figures } : {}),
      ...(options.report
        ? {
            seed: options.report.seed,
            timeline: [...options.report.planned, ...options.report.timeline],
          }
        : {}),
      passed: failures.length === 0,
      failures,
      durationMs: Date.now() - started,
      schedulerExitCodes: installs.flatMap((i) => i.schedulerExitCodes),
      settleRuns: settleRuns.reduce((a, b) => a + b, 0),
      notes: ctx.notes,
      examples: {
        ...examples,
        ...(notRetryable.length > 0 ? { fiveXxNotRetryable: notRetryable.slice(0, 5) } : {}),
      },
    };
    addReport(report);
    expect(
      failures,
      `${name}:\n${JSON.stringify(examples, null, 2)}\n${installs.map((i) => i.serverOutputTail(8)).join('\n')}`,
    ).toEqual([]);
  } finally {
    await Promise.all(installs.map((i) => i.stop().catch(() => {})));
    await Promise.all(
      installs.map((i) =>
        closeWithin(
          `dropping ${i.db.name}`,
          i.db.drop().catch(() => {}),
          15_000,
        ),
      ),
    );
  }
}

/**
 * Resolves true once the notifier has seen requests for `fraction` of the eligible orders,
 * false if `scheduler` ended before that.
 */
export function atFraction(
  install: Installation,
  fraction: number,
  scheduler?: RunningProcess,
): Promise<boolean> {
  return suite().notifier.waitForOrders(
    Math.ceil(install.eligible.length * fraction),
    () => scheduler !== undefined && !scheduler.running,
  );
}

/**
 * Waits for a kill point: `fraction` of the eligible orders requested. When the scheduler run
 * ends before it (it gave up), the next `run-once` starts, as the daily job would.
 */
export async function untilFraction(
  ctx: ScenarioContext,
  install: Installation,
  fraction: number,
  scheduler: RunningProcess,
  afterMs = 3 * suite().latencyMs,
): Promise<RunningProcess> {
  let current = scheduler;
  for (let restarts = 0; restarts < 3; restarts++) {
    if (await atFraction(install, fraction, current)) {
      // A few more answers, so the fault lands among acknowledged and in-flight requests of
      // one call rather than at its first request.
      await sleep(afterMs);
      return current;
    }
    const code = await current.exited;
    install.schedulerExitCodes.push(code ?? -1);
    ctx.notes.push(
      `scheduler exited ${code} before ${fraction * 100}% were requested; run-once again`,
    );
    // What stopped it (the lock of a scheduler that died with the server, claims of calls the
    // kill cut) lasts until its lease ends; the next daily run comes after both, as in
    // `settle`. Restarting at once would only meet them again.
    await sleep(
      Math.max(
        Number(install.serverEnv.CLAIM_LEASE_MS ?? 7000),
        Number(install.options.schedulerEnv?.SCHEDULER_LOCK_TTL_MS ?? 5000),
      ) + 500,
    );
    current = install.startScheduler(0);
  }
  throw new Error(
    `the kill point at ${fraction * 100}% was never reached (scheduler exits: ${install.schedulerExitCodes.join(', ')})`,
  );
}

export async function schedulerEnded(
  ctx: ScenarioContext,
  install: Installation,
  scheduler: RunningProcess,
) {
  const code = await scheduler.exited;
  install.schedulerExitCodes.push(code ?? -1);
  ctx.notes.push(`scheduler exited ${code}`);
}

/** POST tRPC orders.complete directly to a replica; counts 5xx. */
export async function completeDirect(
  ctx: ScenarioContext,
  url: string,
  orderIds: number[],
): Promise<number> {
  try {
    const res = await fetch(`${url}/trpc/orders.complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${schedulerToken}` },
      // The server speaks superjson: the input travels as `{ json: ... }`.
      body: JSON.stringify({ json: { orderIds } }),
      // A deadline, so a replica that hangs fails the scenario instead of stalling it.
      signal: AbortSignal.timeout(60_000),
    });
    await res.arrayBuffer();
    if (res.status >= 500) ctx.fiveXx++;
    return res.status;
  } catch {
    return 0;
  }
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export const first = (ctx: ScenarioContext) => ctx.installs[0] as Installation;
