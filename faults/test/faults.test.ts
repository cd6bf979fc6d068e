/**
 * `pnpm test:faults`: every scenario on fresh data, with real processes (server replicas,
 * notifier, schedulers) on MariaDB; the four invariants are checked from the database and the
 * notifier's request log. One test per scenario; the table and fault-report.json at the end.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, Installation, type Protocol, schedulerToken, sleep } from '../src/cluster.js';
import {
  diffSnapshots,
  dropLeftovers,
  killConnectionsFor,
  requireMariaDb,
} from '../src/database.js';
import {
  type FuzzOptions,
  type FuzzRequest,
  fuzzRequestArbitrary,
  pool,
  sendRaw,
  touchesSeeded,
} from '../src/fuzz.js';
import { computeCounts, type InstallationView } from '../src/invariants.js';
import { NotifierControl } from '../src/notifier.js';
import { killAll, type RunningProcess, startNotifier } from '../src/processes.js';
import {
  addReport,
  printTable,
  reportPath,
  type ScenarioReport,
  writeReport,
} from '../src/report.js';

const ORDERS = Number(process.env.FAULTS_ORDERS ?? 2000);
const BIG_POST_ORDERS = Number(process.env.FAULTS_BIG_POST_ORDERS ?? 5000);
const FUZZ_RUNS = Number(process.env.FAULTS_FUZZ_RUNS ?? 10_000);
const FUZZ_SEED = Number(process.env.FAULTS_FUZZ_SEED ?? Date.now() % 2_147_483_647);
const LATENCY_MS = 20;

let notifierProcess: RunningProcess;
let notifier: NotifierControl;

beforeAll(async () => {
  writeReport(); // no stale results from an earlier run, whatever happens next
  const version = await requireMariaDb();
  console.log(`fault suite on MariaDB ${version}, ${ORDERS} orders per scenario`);
  await dropLeftovers();
  const started = await startNotifier({ FAULT_LATENCY_MS: String(LATENCY_MS) });
  notifierProcess = started.process;
  notifier = new NotifierControl(started.url);
});

afterAll(async () => {
  await notifierProcess?.stop();
  await killAll();
  console.log(`\nFault suite summary (${reportPath}):`);
  printTable();
});

interface ScenarioContext {
  installs: Installation[];
  notes: string[];
  /** 5xx seen by direct callers (not through a replica's proxy). */
  fiveXx: number;
}

interface ScenarioOptions {
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
}

async function runScenario(
  name: string,
  options: ScenarioOptions,
  faults: (ctx: ScenarioContext) => Promise<void>,
): Promise<void> {
  const started = Date.now();
  await notifier.setFaults({ latencyMs: LATENCY_MS });
  await notifier.clear();
  const installs: Installation[] = [];
  const ctx: ScenarioContext = { installs, notes: [], fiveXx: 0 };
  const labels = ['alpha', 'beta', 'gamma'];
  try {
    for (let i = 0; i < (options.installations ?? 1); i++) {
      installs.push(
        await Installation.create({
          label: labels[i] ?? `i${i}`,
          protocol: options.protocol,
          orders: options.orders ?? ORDERS,
          replicas: options.replicas ?? 1,
          notifierUrl: notifier.url,
          installationId: `faults-${labels[i]}-${started.toString(36)}`,
          randomSeed: 7,
          ...(options.serverEnv ? { serverEnv: options.serverEnv } : {}),
          ...(options.schedulerEnv ? { schedulerEnv: options.schedulerEnv } : {}),
        }),
      );
    }
    await faults(ctx);
    // The faults end; the daily job runs again as often as needed (bounded).
    await notifier.setFaults({ latencyMs: LATENCY_MS });
    const settleRuns = await Promise.all(installs.map((i) => i.settle(options.settleRuns ?? 3)));
    const views: InstallationView[] = [];
    for (const install of installs) views.push(await install.finish());
    const [requests, stored] = await Promise.all([notifier.requests(), notifier.notifications()]);
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
      serverKills: installs.flatMap((i) => i.serverKills).sort((a, b) => a - b),
      fiveXx: ctx.fiveXx + installs.reduce((sum, i) => sum + i.fiveXx(), 0),
      ...(options.lateAnswerWindowMs ? { lateAnswerWindowMs: options.lateAnswerWindowMs } : {}),
      holdUnconfirmed:
        options.protocol === 'legacy' &&
        installs[0]?.serverEnv.NOTIFIER_RETRY_UNCONFIRMED !== 'true',
    });
    const env = installs[0]?.serverEnv ?? {};
    const concurrency = Number(env.NOTIFIER_CONCURRENCY ?? 8);
    const perRequest = options.protocol === 'legacy' ? 1 : Number(env.NOTIFIER_BATCH_SIZE ?? 50);
    // One state write takes every acknowledgement that arrived during the previous write: at
    // most `concurrency` requests' worth per latency, and a write on 2 loaded cores can take a
    // couple of latencies. An assumption, hence overridable.
    const writeBatch = Number(process.env.FAULTS_STATE_WRITE_BATCH ?? 2 * concurrency * perRequest);
    const kills = installs.reduce((sum, i) => sum + i.serverKills.length, 0);
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
    if (options.serverKill && (counts.resentAfterCrash ?? 0) > resentBound)
      failures.push(`${counts.resentAfterCrash} re-sent after a crash (bound ${resentBound})`);
    const { examples, ...numbers } = counts;
    const report: ScenarioReport = {
      scenario: name,
      protocol: options.protocol,
      ...numbers,
      ...(options.serverKill
        ? { resentBound, resentAfterCrash: counts.resentAfterCrash ?? 0 }
        : {}),
      passed: failures.length === 0,
      failures,
      durationMs: Date.now() - started,
      schedulerExitCodes: installs.flatMap((i) => i.schedulerExitCodes),
      settleRuns: settleRuns.reduce((a, b) => a + b, 0),
      notes: ctx.notes,
      examples,
    };
    addReport(report);
    expect(
      failures,
      `${name}:\n${JSON.stringify(examples, null, 2)}\n${installs.map((i) => i.serverOutputTail(8)).join('\n')}`,
    ).toEqual([]);
  } finally {
    await Promise.all(installs.map((i) => i.stop().catch(() => {})));
    await Promise.all(installs.map((i) => i.db.drop().catch(() => {})));
  }
}

/**
 * Resolves true once the notifier has seen requests for `fraction` of the eligible orders,
 * false if `scheduler` ended before that.
 */
function atFraction(
  install: Installation,
  fraction: number,
  scheduler?: RunningProcess,
): Promise<boolean> {
  return notifier.waitForOrders(
    Math.ceil(install.eligible.length * fraction),
    () => scheduler !== undefined && !scheduler.running,
  );
}

/**
 * Waits for a kill point: `fraction` of the eligible orders requested. When the scheduler run
 * ends before it (it gave up), the next `run-once` starts, as the daily job would.
 */
async function untilFraction(
  ctx: ScenarioContext,
  install: Installation,
  fraction: number,
  scheduler: RunningProcess,
  afterMs = 3 * LATENCY_MS,
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
    current = install.startScheduler(0);
  }
  throw new Error(`the kill point at ${fraction * 100}% was never reached`);
}

async function schedulerEnded(
  ctx: ScenarioContext,
  install: Installation,
  scheduler: RunningProcess,
) {
  const code = await scheduler.exited;
  install.schedulerExitCodes.push(code ?? -1);
  ctx.notes.push(`scheduler exited ${code}`);
}

/** POST tRPC orders.complete directly to a replica; counts 5xx. */
async function completeDirect(
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
    });
    await res.arrayBuffer();
    if (res.status >= 500) ctx.fiveXx++;
    return res.status;
  } catch {
    return 0;
  }
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const first = (ctx: ScenarioContext) => ctx.installs[0] as Installation;

describe('fault suite (real processes on MariaDB)', { timeout: 240_000 }, () => {
  it('two run-once schedulers at once against two replicas (legacy)', () =>
    runScenario('two-schedulers', { protocol: 'legacy', replicas: 3 }, async (ctx) => {
      const install = first(ctx);
      const codes = await Promise.all([install.runOnce(0), install.runOnce(1)]);
      ctx.notes.push(`concurrent run-once exit codes ${codes.join(', ')}`);
    }));

  it('two run-once schedulers at once against two replicas (v1)', () =>
    runScenario(
      'two-schedulers',
      { protocol: 'v1', replicas: 3, serverEnv: { NOTIFIER_BATCH_SIZE: '10' } },
      async (ctx) => {
        const install = first(ctx);
        const codes = await Promise.all([install.runOnce(0), install.runOnce(1)]);
        ctx.notes.push(`concurrent run-once exit codes ${codes.join(', ')}`);
      },
    ));

  it('overlapping direct orders.complete calls over three replicas, same ids (legacy)', () =>
    runScenario('overlapping-calls', { protocol: 'legacy', replicas: 3 }, async (ctx) => {
      const install = first(ctx);
      const statuses: number[] = [];
      // Every batch goes to all three replicas at once; two batches overlap too.
      const batches = chunk(install.allIds, 500);
      await pool(batches, 2, async (ids) => {
        const answers = await Promise.all(
          install.replicas.map((r) => completeDirect(ctx, r.proxy.url, ids)),
        );
        statuses.push(...answers);
      });
      ctx.notes.push(`direct call statuses ${JSON.stringify(countBy(statuses))}`);
      // Each batch has eligible orders: one of its three racing calls must have won them.
      expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(
        batches.length,
      );
    }));

  it('kill -9 of the server during notifications, twice, then restart + run-once (legacy)', () =>
    runScenario('kill-server-notifying', { protocol: 'legacy', serverKill: true }, async (ctx) => {
      const install = first(ctx);
      let scheduler = install.startScheduler(0);
      for (const fraction of [0.2, 0.55]) {
        scheduler = await untilFraction(ctx, install, fraction, scheduler);
        await install.kill9(0);
        await install.restart(0);
      }
      await schedulerEnded(ctx, install, scheduler);
    }));

  it('kill -9 of the server during notifications, then restart + run-once (v1)', () =>
    runScenario(
      'kill-server-notifying',
      {
        protocol: 'v1',
        serverKill: true,
        // Small batches so a kill lands among many requests in flight.
        serverEnv: { NOTIFIER_BATCH_SIZE: '5' },
      },
      async (ctx) => {
        const install = first(ctx);
        await notifier.setFaults({ latencyMs: 60 });
        const scheduler = await untilFraction(ctx, install, 0.3, install.startScheduler(0), 150);
        await install.kill9(0);
        await install.restart(0);
        await schedulerEnded(ctx, install, scheduler);
      },
    ));

  it('kill -9 of the server during one big POST /orders (legacy)', () =>
    runScenario(
      'kill-server-big-post',
      { protocol: 'legacy', orders: BIG_POST_ORDERS, serverKill: true },
      async (ctx) => {
        const install = first(ctx);
        const post = fetch(`${install.replica(0).proxy.url}/orders`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${schedulerToken}`,
          },
          body: JSON.stringify(install.allIds),
        }).then(
          (res) => res.status,
          () => 'dropped',
        );
        if (!(await atFraction(install, 0.3))) throw new Error('unreachable');
        await install.kill9(0);
        ctx.notes.push(`POST /orders of ${install.allIds.length} ids: ${await post}`);
        await install.restart(0);
      },
    ));

  it('kill -9 of the scheduler, restarted at once (legacy)', () =>
    runScenario('kill-scheduler', { protocol: 'legacy' }, async (ctx) => {
      const install = first(ctx);
      // Big batches and a slower notifier: the killed run's batch is still being notified
      // when the new run starts.
      await notifier.setFaults({ latencyMs: 60 });
      const scheduler = await untilFraction(
        ctx,
        install,
        0.1,
        install.startScheduler(0, { BATCH_SIZE: '1000' }),
      );
      await scheduler.kill9();
      const code = await install.runOnce(0);
      ctx.notes.push(`restarted scheduler exited ${code}`);
    }));

  it('the database connections KILLed for 10 s mid-run (legacy)', () =>
    runScenario(
      'db-connections-killed',
      {
        protocol: 'legacy',
        fiveXxAllowed: true,
        // Acknowledgements sent before the outage are written when it ends (the server keeps
        // retrying them for LEDGER_WRITE_RETRY_MS, which the lease must be twice of).
        serverEnv: { LEDGER_WRITE_RETRY_MS: '12000', CLAIM_LEASE_MS: '25000' },
      },
      async (ctx) => {
        const install = first(ctx);
        const scheduler = await untilFraction(
          ctx,
          install,
          0.2,
          install.startScheduler(0, { RETRY_MAX_DELAY_MS: '4000' }),
        );
        const killed = await killConnectionsFor(install.db.name, 10_000);
        ctx.notes.push(`${killed} connections killed over 10 s`);
        await schedulerEnded(ctx, install, scheduler);
      },
    ));

  it('notifier answers 50% 500s (legacy)', () =>
    runScenario('notifier-50pct-500', { protocol: 'legacy' }, async (ctx) => {
      const install = first(ctx);
      await notifier.setFaults({ latencyMs: LATENCY_MS, failureRate: 0.5 });
      const code = await install.runOnce(0);
      ctx.notes.push(`run-once under 50% failures exited ${code}`);
    }));

  for (const protocol of ['legacy', 'v1'] as const) {
    it(`notifier slower than the attempt timeout for 4 s, then normal (${protocol})`, () =>
      runScenario(
        'notifier-slow',
        {
          protocol,
          // v1 retries a timed-out attempt with the same key; legacy waits its own longer
          // deadline (NOTIFIER_LEGACY_TIMEOUT_MS, 1.5 s here): a slow but working original
          // service is answered, not retried or held.
          serverEnv: { NOTIFIER_ATTEMPT_TIMEOUT_MS: '300', NOTIFIER_BATCH_SIZE: '10' },
          // One replica, one scheduler: a same-key re-request within one attempt (+ backoff)
          // of an answered request is a timeout that fired before the answer was read.
          ...(protocol === 'v1' ? { lateAnswerWindowMs: 300 + 150 + 100 } : {}),
        },
        async (ctx) => {
          const install = first(ctx);
          await notifier.setFaults({ latencyMs: 600 });
          const scheduler = install.startScheduler(0);
          await sleep(4000);
          await notifier.setFaults({ latencyMs: LATENCY_MS });
          await schedulerEnded(ctx, install, scheduler);
        },
      ));
  }

  for (const protocol of ['legacy', 'v1'] as const) {
    it(`notifier down (connections refused) for 5 s, then back (${protocol})`, () =>
      runScenario(
        'notifier-down',
        { protocol, serverEnv: { NOTIFIER_BATCH_SIZE: '10' } },
        async (ctx) => {
          const install = first(ctx);
          if (protocol === 'v1') await notifier.setFaults({ latencyMs: 60 });
          const scheduler = await untilFraction(ctx, install, 0.2, install.startScheduler(0));
          await notifier.setFaults({ latencyMs: LATENCY_MS, down: 'refuse' });
          await sleep(5000);
          await notifier.setFaults({ latencyMs: LATENCY_MS });
          await schedulerEnded(ctx, install, scheduler);
        },
      ));
  }

  it('two installations (same order ids) sharing one notifier (v1)', () =>
    runScenario('two-installations', { protocol: 'v1', installations: 2 }, async (ctx) => {
      const codes = await Promise.all(ctx.installs.map((i) => i.runOnce(0)));
      ctx.notes.push(`run-once exit codes ${codes.join(', ')}`);
    }));

  it(`fuzzing POST /orders and POST /trpc/orders.complete (${FUZZ_RUNS} requests, seed ${FUZZ_SEED})`, async () => {
    const started = Date.now();
    const bodyLimitBytes = 8192;
    const maxIdsPerCall = 1000;
    const install = await Installation.create({
      label: 'fuzz',
      protocol: 'legacy',
      orders: 300,
      replicas: 1,
      notifierUrl: notifier.url,
      installationId: 'faults-fuzz',
      serverEnv: {
        BODY_LIMIT_BYTES: String(bodyLimitBytes),
        MAX_IDS_PER_CALL: String(maxIdsPerCall),
      },
    });
    try {
      await notifier.clear();
      const options: FuzzOptions = {
        maxSeededId: Math.max(...install.allIds),
        bodyLimitBytes,
        maxIdsPerCall,
        validTokens: [schedulerToken, adminToken],
      };
      const inputs: FuzzRequest[] = [];
      for (const entry of ['orders', 'trpc'] as const) {
        const arbitrary = fuzzRequestArbitrary(entry, options).filter(
          (r) => !touchesSeeded(r.body, options.maxSeededId),
        );
        inputs.push(
          ...fc.sample(arbitrary, { numRuns: Math.ceil(FUZZ_RUNS / 2), seed: FUZZ_SEED }),
        );
      }
      const allowed = new Set([400, 401, 403, 413, 415]);
      const statuses: Record<string, number> = {};
      const bad: { request: FuzzRequest; status: number | null; error?: string }[] = [];
      const url = install.replica(0).directUrl;
      await pool(inputs, 16, async (request) => {
        const answer = await sendRaw(url, request);
        const key = `${request.entry} ${answer.status ?? answer.error}`;
        statuses[key] = (statuses[key] ?? 0) + 1;
        if (answer.status === null || !allowed.has(answer.status)) bad.push({ request, ...answer });
      });
      const view = await install.finish();
      const diff = diffSnapshots(view.before, view.after);
      const unexpected = diff.unexpected.length + diff.finished.size;
      const fiveXx = bad.filter((b) => (b.status ?? 0) >= 500).length;
      const failures: string[] = [];
      if (fiveXx > 0) failures.push(`${fiveXx} 5xx answers`);
      const other = bad.length - fiveXx;
      if (other > 0) failures.push(`${other} answers outside 400/401/403/413/415`);
      if (unexpected > 0) failures.push(`${unexpected} database changes`);
      const examples = bad.slice(0, 6).map((b) => ({
        status: b.status,
        error: b.error,
        ...b.request,
        body:
          b.request.body.length > 200
            ? `${b.request.body.slice(0, 200)}… (${b.request.body.length} chars)`
            : b.request.body,
      }));
      addReport({
        scenario: 'fuzz-http',
        protocol: '-',
        orders: view.before.tables.ORDERS?.size ?? 0,
        eligible: view.eligible.length,
        finished: diff.finished.size,
        notificationRequests: (await notifier.requests()).length,
        storedMoreThanOnce: 0,
        retriedUnconfirmed: 0,
        notifiedTwice: 0,
        finishedWithoutNotification: 0,
        eligibleLeftUnfinished: 0,
        heldForOperator: 0,
        retriedAfterLateAnswer: 0,
        unexpectedChanges: unexpected,
        fiveXx,
        passed: failures.length === 0,
        failures,
        durationMs: Date.now() - started,
        notes: [
          `${inputs.length} requests, fast-check seed ${FUZZ_SEED} (FAULTS_FUZZ_SEED to replay)`,
          `answers: ${JSON.stringify(statuses)}`,
        ],
        examples: { badAnswers: examples.map((e) => JSON.stringify(e)) },
      });
      expect(inputs.length).toBeGreaterThanOrEqual(FUZZ_RUNS);
      expect(failures, JSON.stringify(examples, null, 2)).toEqual([]);
    } finally {
      await install.stop();
      await install.db.drop();
    }
  });
});

function countBy(values: (number | string)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}
