import type { PartitionProxy } from '@ocs/db/testing';
import fc from 'fast-check';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatOffset, requireFaketime } from '../src/clock.js';
import {
  adminToken,
  Installation,
  type Protocol,
  requestsInFlight,
  schedulerToken,
  sleep,
  withLease,
} from '../src/cluster.js';
import {
  boundaryMarginDays,
  diffSnapshots,
  dropLeftovers,
  killConnectionsFor,
  query,
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
import { countTakeOvers, reportedIds } from '../src/invariants.js';
import {
  ciLimits,
  describeEvent,
  describeSchedule,
  longLimits,
  type NemesisEvent,
  type Schedule,
  scheduleFor,
} from '../src/nemesis.js';
import { NotifierControl, type NotifierFaults } from '../src/notifier.js';
import { killAll, type RunningProcess, startNotifier } from '../src/processes.js';
import { addReport, printTable, reportPath, writeReport } from '../src/report.js';
import {
  atFraction,
  chunk,
  completeDirect,
  first,
  runScenario,
  type ScenarioContext,
  schedulerEnded,
  untilFraction,
  useSuite,
} from '../src/scenario.js';

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
  useSuite({ notifier, latencyMs: LATENCY_MS, orders: ORDERS });
});

afterAll(async () => {
  await notifierProcess?.stop();
  await killAll();
  console.log(`\nFault suite summary (${reportPath}):`);
  printTable();
});

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

  it("kill -9 of the server during notifications at legacy's default requests in flight", () =>
    runScenario(
      'kill-server-default-concurrency',
      {
        protocol: 'legacy',
        serverKill: true,
        // Unset: the protocol's default (64), whose resend bound this checks.
        serverEnv: { NOTIFIER_CONCURRENCY: '' },
      },
      async (ctx) => {
        const install = first(ctx);
        // Slow enough that the kill lands with every request of the window in flight.
        await notifier.setFaults({ latencyMs: 200 });
        ctx.figures.requestsInFlight = requestsInFlight(install.serverEnv);
        const scheduler = await untilFraction(ctx, install, 0.3, install.startScheduler(0), 150);
        await install.kill9(0);
        await install.restart(0);
        await schedulerEnded(ctx, install, scheduler);
      },
    ));

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
      {
        protocol: 'legacy',
        orders: BIG_POST_ORDERS,
        serverKill: true,
        // One call notifies 3,500 orders (about 9 s at 8 in flight and 20 ms): its deadline
        // must outlast that, or it stops before the kill at 30% (the lease grows with it).
        serverEnv: withLease({ ...serverDeadlines, COMPLETION_DEADLINE_MS: '15000' }, 'legacy'),
      },
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

// ---------------------------------------------------------------------------------------------
// Issue 17: clocks off, the database black-holed or refusing, and the nemesis.

/** The deadlines issue 17 adds (unknown variables are ignored by a server without them). */
const serverDeadlines = { DB_QUERY_TIMEOUT_MS: '1000', COMPLETION_DEADLINE_MS: '3000' };
const schedulerDeadlines = { CALL_TIMEOUT_MS: '4000', RUN_DEADLINE_MS: '12000' };

/** Resolves with the process's exit code, or null when it had not ended within `ms`. */
async function exitWithin(process: RunningProcess, ms: number): Promise<number | null | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    process.exited,
    new Promise<'timeout'>((done) => {
      timer = setTimeout(() => done('timeout'), ms);
    }),
  ]);
  clearTimeout(timer);
  return result;
}

/** One `/readyz`: its status (null: no answer within `timeoutMs`) and how long it took. */
async function probeReady(url: string, timeoutMs = 3000) {
  const started = performance.now();
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return { status: res.status as number | null, ms: Math.round(performance.now() - started) };
  } catch {
    return { status: null, ms: Math.round(performance.now() - started) };
  }
}

async function requireBoundaryMargin(ctx: ScenarioContext, install: Installation) {
  const margin = await boundaryMarginDays(install.db.url);
  ctx.figures.boundaryMarginDays = Math.floor(margin);
  // A skewed clock must not change which orders are eligible: dates at least a day away.
  expect(margin, 'order dates at least a day from the six-month boundary').toBeGreaterThan(1);
}

function takeOvers(install: Installation, endsByReplica: number[][] = []) {
  const lease = Number(install.serverEnv.CLAIM_LEASE_MS ?? 7000);
  return countTakeOvers(
    install.replicas.map((r) => ({
      replica: r.index,
      requested: (r.notifierProxy?.tapped ?? []).map(({ at, id }) => ({ at, orderId: id })),
      ends: endsByReplica[r.index] ?? [],
    })),
    lease,
  );
}

describe('issue 17 faults', {
  timeout: 240_000,
}, () => {
  beforeAll(() => {
    const shift = requireFaketime();
    console.log(`libfaketime shifts Date by ${shift} ms (performance.now untouched)`);
  });

  const skews: [string, number][] = [
    ['15 minutes ahead', 15 * 60_000],
    ['15 minutes behind', -15 * 60_000],
    ['2 hours ahead', 2 * 3_600_000],
    ['2 hours behind', -2 * 3_600_000],
  ];
  // The control: both clocks in step, the same overlapping calls, must pass on any code that
  // passes `overlapping-calls` (so a failure above is the clock's doing, not the set-up's).
  const cases: [string, number, readonly Protocol[]][] = [
    ['in step (control)', 0, ['legacy']],
    ...skews.map(([label, ms]): [string, number, readonly Protocol[]] => [
      label,
      ms,
      ['legacy', 'v1'],
    ]),
  ];
  for (const [label, offsetMs, protocols] of cases) {
    for (const protocol of protocols) {
      it(`one of two replicas with its clock ${label}: no take-over of a live claim (${protocol})`, () =>
        runScenario(
          offsetMs === 0 ? 'clock-in-step' : `clock-${formatOffset(offsetMs)}`,
          {
            protocol,
            replicas: 2,
            notifierProxies: true,
            clockOffsetsMs: [0, offsetMs],
            // v1: small batches and a slower notifier, so a call is still notifying when the
            // other replica's call for the same ids arrives.
            ...(protocol === 'v1' ? { serverEnv: { NOTIFIER_BATCH_SIZE: '5' } } : {}),
          },
          async (ctx) => {
            const install = first(ctx);
            await requireBoundaryMargin(ctx, install);
            if (protocol === 'v1') await notifier.setFaults({ latencyMs: 60 });
            const statuses: number[] = [];
            // Every batch goes to both replicas, the second 100 ms after the first (claims
            // live), in turn: the skewed replica first, then the other one first.
            const batches = chunk(install.allIds, 250);
            await pool(
              batches.map((ids, i) => ({ ids, i })),
              2,
              async ({ ids, i }) => {
                const order = i % 2 === 0 ? [1, 0] : [0, 1];
                const firstCall = completeDirect(
                  ctx,
                  install.replica(order[0] ?? 0).proxy.url,
                  ids,
                );
                await sleep(100);
                const second = completeDirect(ctx, install.replica(order[1] ?? 1).proxy.url, ids);
                statuses.push(...(await Promise.all([firstCall, second])));
              },
            );
            ctx.notes.push(`direct call statuses ${JSON.stringify(countBy(statuses))}`);
            const found = takeOvers(install);
            ctx.figures.takeOversOfLiveClaims = found.takeOvers;
            ctx.figures.clockOffset = formatOffset(offsetMs);
            if (found.takeOvers > 0) {
              ctx.failures.push(`${found.takeOvers} take-overs of live claims`);
              ctx.notes.push(...found.examples);
            }
          },
        ));
    }
  }

  it('the database black-holed for the replica a run uses: readiness, deadlines, retryable 5xx (legacy)', () =>
    runScenario(
      'db-blackhole',
      {
        protocol: 'legacy',
        dbProxies: true,
        fiveXxAllowed: true,
        serverEnv: withLease(serverDeadlines, 'legacy'),
        schedulerEnv: { ...schedulerDeadlines, LOG_LEVEL: 'info' },
        runOnceTimeoutMs: 45_000,
      },
      async (ctx) => {
        const install = first(ctx);
        const dbProxy = install.replica(0).dbProxy as PartitionProxy;
        const runDeadline = Number(schedulerDeadlines.RUN_DEADLINE_MS);
        const startedAt = Date.now();
        const scheduler = await untilFraction(ctx, install, 0.2, install.startScheduler(0));
        await dbProxy.setMode('blackhole');
        const cutAt = Date.now();
        ctx.notes.push(`database black-holed for replica 0 at +${cutAt - startedAt} ms`);
        // Readiness: 503 within 1 s (250 ms of slack for a loaded event loop on 2 cores).
        await sleep(300);
        const probes = [];
        for (let i = 0; i < 3; i++) probes.push(await probeReady(install.replica(0).directUrl));
        ctx.figures.readyzStatuses = probes.map((p) => p.status ?? 'no answer').join(',');
        ctx.figures.readyzSlowestMs = Math.max(...probes.map((p) => p.ms));
        if (probes.some((p) => p.status !== 503 || p.ms > 1250)) {
          ctx.failures.push(
            `/readyz while black-holed: ${JSON.stringify(probes)} (want 503 within 1 s)`,
          );
        }
        // The run ends by itself within its deadline (plus 3 s to exit), non-zero.
        const left = runDeadline + 3000 - (Date.now() - startedAt);
        const code = await exitWithin(scheduler, Math.max(left, 0) + 7000);
        const endedAfter = Date.now() - startedAt;
        ctx.figures.runEndedAfterMs = code === 'timeout' ? null : endedAfter;
        ctx.figures.runExitCode = code === 'timeout' ? 'still waiting' : code;
        if (code === 'timeout') {
          ctx.failures.push(
            `run-once still waiting ${Math.round(endedAfter / 1000)} s after it started (RUN_DEADLINE_MS ${runDeadline}); killed`,
          );
          await scheduler.kill9();
        } else {
          install.schedulerExitCodes.push(code ?? -1);
          if (endedAfter > runDeadline + 3000)
            ctx.failures.push(
              `run-once ended after ${endedAfter} ms (RUN_DEADLINE_MS ${runDeadline})`,
            );
          if (code === 0) ctx.failures.push('run-once exited 0 with the database unreachable');
        }
        // Every id the run left undone is named in its output (while nothing can change them).
        const finishedId = install.before.stateIds.FINISHED;
        const rows = await query<{ Id: number } & RowDataPacket>(
          install.db.url,
          'SELECT Id FROM ORDERS WHERE OrderStateId <> ? AND Id IN (?)',
          [finishedId, install.eligible],
        );
        const reported = reportedIds(scheduler.output());
        const unreported = rows.filter((r) => !reported.has(Number(r.Id)));
        ctx.figures.undoneAtRunEnd = rows.length;
        ctx.figures.undoneNotReported = unreported.length;
        if (unreported.length > 0) {
          ctx.failures.push(
            `${unreported.length} of ${rows.length} undone ids not named by the run (e.g. ${unreported
              .slice(0, 5)
              .map((r) => r.Id)
              .join(', ')})`,
          );
        }
        const notRetryable = install.replicas.flatMap((r) => r.proxy.fiveXxNotRetryable);
        ctx.figures.fiveXxNotRetryable = notRetryable.length;
        if (notRetryable.length > 0)
          ctx.failures.push(`${notRetryable.length} 5xx without retryable: true`);
        // What was acknowledged but could not be recorded until now is sent again after the
        // lease: the one window, checked against the bound (requests in flight plus one state
        // write). A partition is a span, not a moment, so the point is where it ends.
        ctx.resendPoints.push(Date.now());
        ctx.notes.push(`healed after ${Date.now() - cutAt} ms`);
      },
    ));

  it('the database refusing a replica while it notifies, longer than its write retry (legacy)', () =>
    runScenario(
      'db-refuse-notifying',
      {
        protocol: 'legacy',
        replicas: 2,
        dbProxies: true,
        notifierProxies: true,
        fiveXxAllowed: true,
        serverEnv: withLease({ ...serverDeadlines, LEDGER_WRITE_RETRY_MS: '1500' }, 'legacy'),
        schedulerEnv: schedulerDeadlines,
        runOnceTimeoutMs: 45_000,
      },
      async (ctx) => {
        const install = first(ctx);
        const replica = install.replica(0);
        const writeRetry = Number(install.serverEnv.LEDGER_WRITE_RETRY_MS);
        // A slower notifier and big batches: many requests in flight, a long claim left.
        await notifier.setFaults({ latencyMs: 60 });
        const scheduler = await untilFraction(
          ctx,
          install,
          0.2,
          install.startScheduler(0, { BATCH_SIZE: '1000' }),
        );
        await replica.dbProxy?.setMode('refuse');
        const cutAt = Date.now();
        // Well past the write retry: the acknowledgements of what was sent cannot be recorded.
        await sleep(2 * writeRetry + 3000);
        await replica.dbProxy?.setMode('forward');
        // The resend window ends where the refusal does (see the black-hole scenario).
        ctx.resendPoints.push(Date.now());
        const sentWhileRefused = new Set(
          (replica.notifierProxy?.tapped ?? []).filter((t) => t.at > cutAt).map((t) => t.id),
        );
        const concurrency = requestsInFlight(install.serverEnv);
        const bound = concurrency + 2 * concurrency; // legacy: one order per request
        ctx.figures.sentAfterDatabaseLost = sentWhileRefused.size;
        ctx.figures.inFlightBound = bound;
        ctx.notes.push(
          `refused for ${Date.now() - cutAt} ms (LEDGER_WRITE_RETRY_MS ${writeRetry})`,
        );
        if (sentWhileRefused.size > bound) {
          ctx.failures.push(
            `${sentWhileRefused.size} orders sent after the database was lost (bound: ${bound} in flight)`,
          );
        }
        const code = await exitWithin(scheduler, 30_000);
        if (code === 'timeout') {
          ctx.failures.push('run-once still waiting 30 s after the database came back; killed');
          await scheduler.kill9();
        } else install.schedulerExitCodes.push(code ?? -1);
      },
    ));
});

// ---------------------------------------------------------------------------------------------
// The nemesis: seeded randomized fault schedules (faults/src/nemesis.ts).

const LONG = process.env.FAULTS_LONG === 'true';
const SCHEDULES = Number(process.env.FAULTS_SCHEDULES ?? (LONG ? 200 : 20));
const FIRST_SEED = Number(process.env.FAULTS_SEED ?? Date.now() % 1_000_000);
const SCHEDULE_BUDGET_MS = Number(process.env.FAULTS_SCHEDULE_BUDGET_MS ?? 20_000);

/** Server settings of the nemesis: short deadlines so a schedule fits its 20 s. */
const nemesisServerEnv = (protocol: Protocol) =>
  withLease(
    {
      NOTIFIER_ATTEMPT_TIMEOUT_MS: '600',
      NOTIFIER_LEGACY_TIMEOUT_MS: '600',
      NOTIFIER_MAX_DELAY_MS: '100',
      // Few requests in flight and small batches: a run lasts a few seconds, so the faults
      // land while it notifies, and the in-flight bound stays small.
      NOTIFIER_CONCURRENCY: '4',
      NOTIFIER_BATCH_SIZE: '2',
      SHUTDOWN_GRACE_MS: '1000',
      LEDGER_WRITE_RETRY_MS: '1000',
      DB_QUERY_TIMEOUT_MS: '1000',
      COMPLETION_DEADLINE_MS: '2000',
    },
    protocol,
  );
const nemesisSchedulerEnv = {
  BATCH_SIZE: '100',
  RETRY_ATTEMPTS: '4',
  RETRY_INITIAL_DELAY_MS: '300',
  RETRY_MAX_DELAY_MS: '1500',
  SCHEDULER_LOCK_TTL_MS: '3000',
  CALL_TIMEOUT_MS: '3000',
  RUN_DEADLINE_MS: '15000',
};

async function runSchedule(schedule: Schedule, ctx: ScenarioContext, timeline: string[]) {
  const install = first(ctx);
  const t0 = Date.now();
  const stamp = (text: string) =>
    timeline.push(`+${String(Date.now() - t0).padStart(5)} ms ${text}`);
  await notifier.setFaults({ latencyMs: schedule.latencyMs });
  await requireBoundaryMargin(ctx, install);

  // Notifier faults overlap: the notifier's fault set is the combination of the active ones.
  const active = new Set<NemesisEvent>();
  const applyNotifier = () => {
    let faults: NotifierFaults = { latencyMs: schedule.latencyMs };
    for (const e of active) {
      if (e.kind === 'notifier-slow')
        faults = { ...faults, latencyMs: Math.max(faults.latencyMs ?? 0, e.latencyMs) };
      if (e.kind === 'notifier-failing')
        faults =
          schedule.protocol === 'legacy'
            ? { ...faults, failureRate: e.failureRate }
            : { ...faults, down: faults.down || '503' };
      if (e.kind === 'notifier-down') faults = { ...faults, down: 'refuse' };
    }
    return notifier.setFaults(faults);
  };
  // One kill/restart at a time per replica; a replica's restarts and kills queue up.
  const replicaLocks = install.replicas.map(() => Promise.resolve());
  const withReplica = (i: number, fn: () => Promise<void>) => {
    const next = (replicaLocks[i] ?? Promise.resolve()).then(fn, fn);
    replicaLocks[i] = next.catch(() => {});
    return next;
  };
  const ends: number[][] = install.replicas.map(() => []);
  const schedulers: RunningProcess[] = [];
  const startScheduler = (replica: number) => {
    stamp(`run-once against replica ${replica}`);
    schedulers.push(install.startScheduler(replica, nemesisSchedulerEnv));
  };
  // A replica restarted while its database is partitioned may not come up (migrations at
  // start): it is started again once a second until it does (the partitions are short).
  const restart = async (index: number, offsetMs: number) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await install.restart(index, offsetMs);
        return;
      } catch (error) {
        if (attempt >= 10) throw error;
        const reason = error instanceof Error ? (error.message.split('\n')[0] ?? '') : '';
        stamp(`replica ${index} did not start (${reason.slice(0, 80)}); again in 1 s`);
        await sleep(1000);
      }
    }
  };
  const runs = schedule.schedulers.map(async ({ replica, atMs }) => {
    await sleep(Math.max(0, atMs - (Date.now() - t0)));
    startScheduler(replica);
  });

  const run = async (e: NemesisEvent) => {
    await sleep(Math.max(0, e.atMs - (Date.now() - t0)));
    stamp(describeEvent(e).replace(/^\+\s*\d+ ms /, ''));
    switch (e.kind) {
      case 'kill-replica':
        await withReplica(e.replica, async () => {
          await install.kill9(e.replica);
          ends[e.replica]?.push(Date.now());
          await sleep(e.restartAfterMs);
          await restart(e.replica, e.offsetMs);
          stamp(
            `replica ${e.replica} back${e.offsetMs ? ` (clock ${formatOffset(e.offsetMs)})` : ''}`,
          );
        });
        return;
      case 'restart-replica':
        await withReplica(e.replica, async () => {
          ends[e.replica]?.push(Date.now());
          await restart(e.replica, e.offsetMs);
          stamp(`replica ${e.replica} back (clock ${formatOffset(e.offsetMs)})`);
        });
        return;
      case 'kill-scheduler': {
        const victim = schedulers.find((s) => s.running);
        if (!victim) {
          stamp('no scheduler running: nothing to kill');
          return;
        }
        await victim.kill9();
        await sleep(e.restartAfterMs);
        startScheduler(e.replica);
        return;
      }
      case 'db-partition':
      case 'notifier-partition': {
        const replica = install.replica(e.replica);
        const proxy = e.kind === 'db-partition' ? replica.dbProxy : replica.notifierProxy;
        await proxy?.setMode(e.mode);
        await sleep(e.durationMs);
        await proxy?.setMode('forward');
        // What is sent again once after a partition is bounded per fault, as after a crash: a
        // database partition leaves acknowledgements unrecorded; a notifier partition swallows
        // answers the notifier logged as sent (its `answered` cannot see the proxy holding
        // them), so the client saw a timeout and resends after the lease. A partition is a
        // span, so the point is where it ends: what happened during it counts too. What the
        // proxy held flows on at the heal and reaches the notifier a moment after it.
        ctx.resendPoints.push(Date.now() + 250);
        stamp(
          `replica ${e.replica} <-> ${e.kind === 'db-partition' ? 'database' : 'notifier'} healed`,
        );
        return;
      }
      case 'notifier-slow':
      case 'notifier-failing':
      case 'notifier-down':
        active.add(e);
        await applyNotifier();
        await sleep(e.durationMs);
        active.delete(e);
        await applyNotifier();
        stamp(`${e.kind} over`);
        return;
      case 'kill-connections': {
        const killed = await killConnectionsFor(install.db.name, e.durationMs);
        // As for a partition: the resend window ends where the outage does.
        ctx.resendPoints.push(Date.now());
        stamp(`${killed} connections killed`);
        return;
      }
    }
  };
  const overlap = (async () => {
    if (!schedule.overlap) return;
    const { atMs, replicas } = schedule.overlap;
    await sleep(Math.max(0, atMs - (Date.now() - t0)));
    stamp(`overlapping calls to replicas ${replicas.join(' and ')}`);
    const statuses: number[] = [];
    await pool(chunk(install.allIds, 100), 2, async (ids) => {
      statuses.push(
        ...(await Promise.all(
          replicas.map((r) => completeDirect(ctx, install.replica(r).proxy.url, ids)),
        )),
      );
    });
    stamp(`overlapping calls done ${JSON.stringify(countBy(statuses))}`);
  })();
  await Promise.all([...schedule.events.map(run), ...runs, overlap]);
  await Promise.all(replicaLocks);
  await install.heal();
  await notifier.setFaults({ latencyMs: schedule.latencyMs });
  stamp('faults over, everything healed');
  // The schedulers' own retries run; each must end by itself (RUN_DEADLINE_MS + slack).
  for (const s of schedulers) {
    const code = await exitWithin(s, Number(nemesisSchedulerEnv.RUN_DEADLINE_MS) + 5000);
    if (code === 'timeout') {
      ctx.failures.push('a run-once did not end by itself within RUN_DEADLINE_MS + 5 s; killed');
      await s.kill9();
    } else if (code !== null) {
      install.schedulerExitCodes.push(code); // null: one the nemesis killed
    }
  }
  stamp(`schedulers ended (${install.schedulerExitCodes.join(', ') || 'killed'})`);
  const found = takeOvers(install, ends);
  // Information: a resend after a fault is bounded by resentAfterCrash; take-overs are shown.
  ctx.figures.takeOvers = found.takeOvers;
  ctx.figures.resendPoints = ctx.resendPoints.length;
  ctx.figures.clockOffsets = install.replicas.map((r) => formatOffset(r.clockOffsetMs)).join(' ');
}

describe('nemesis: seeded randomized fault schedules', { timeout: 120_000 }, () => {
  const limits = LONG ? longLimits : ciLimits;
  const durations: number[] = [];
  beforeAll(() => {
    requireFaketime();
    console.log(
      `nemesis: ${SCHEDULES} schedule(s) from seed ${FIRST_SEED} (${LONG ? 'long' : 'CI'} limits; replay one with pnpm test:faults --seed N)`,
    );
  });
  afterAll(() => {
    if (durations.length === 0) return;
    const total = durations.reduce((a, b) => a + b, 0);
    console.log(
      `nemesis: ${durations.length} schedules in ${(total / 1000).toFixed(1)} s (longest ${(Math.max(...durations) / 1000).toFixed(1)} s)`,
    );
    // .ci/run's budget: the 20 schedules take at most 8 minutes together.
    if (process.env.CI === 'true' && !LONG) {
      expect(total, 'the nemesis over its 8-minute budget').toBeLessThanOrEqual(
        Number(process.env.FAULTS_NEMESIS_BUDGET_MS ?? 8 * 60_000),
      );
    }
  });

  for (let n = 0; n < SCHEDULES; n++) {
    const seed = FIRST_SEED + n;
    const schedule = scheduleFor(seed, limits);
    it(`nemesis schedule seed ${seed} (${schedule.protocol}, ${schedule.events.length} faults)`, async () => {
      const timeline: string[] = [];
      console.log(`\nnemesis schedule:\n  ${describeSchedule(schedule).join('\n  ')}`);
      const started = Date.now();
      try {
        await runScenario(
          `nemesis-${seed}`,
          {
            protocol: schedule.protocol,
            orders: schedule.orders,
            replicas: limits.replicas,
            dbProxies: true,
            notifierProxies: true,
            serverKill: true,
            fiveXxAllowed: true,
            serverEnv: nemesisServerEnv(schedule.protocol),
            schedulerEnv: nemesisSchedulerEnv,
            runOnceTimeoutMs: 30_000,
            // Three replicas migrating at once is a fault of its own, and saves seconds.
            startTogether: true,
            ...(schedule.protocol === 'v1' ? { lateAnswerWindowMs: 600 + 100 + 100 } : {}),
            report: { seed, timeline, planned: describeSchedule(schedule) },
          },
          (ctx) => runSchedule(schedule, ctx, timeline),
        );
      } finally {
        durations.push(Date.now() - started);
        console.log(`nemesis seed ${seed} timeline:\n  ${timeline.join('\n  ')}`);
      }
      // The budget of .ci/run (20 schedules, 20 s each, 8 minutes together) is checked in CI.
      if (process.env.CI === 'true') {
        expect(Date.now() - started, `schedule ${seed} over its budget`).toBeLessThanOrEqual(
          SCHEDULE_BUDGET_MS,
        );
      }
    });
  }
});
