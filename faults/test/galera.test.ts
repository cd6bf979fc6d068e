/**
 * `pnpm test:faults --galera`: the fault suite on a three-node MariaDB Galera cluster that it
 * starts itself from Debian's packages (one cluster for every scenario). Three replicas, each
 * with every node listed, its own node first; each node's SQL port behind a partition proxy,
 * so a node can be black-holed for every replica at once. Scenarios: three replicas started
 * at the same moment on an empty database; overlapping calls on three nodes; `kill -9` of the
 * node the lock-holding replica uses before the first claim, while notifying and while
 * finishing, then its rejoin; that node's SQL port black-holed for longer than the ledger's
 * write retry; schedulers on different nodes at once. The invariants are the suite's, from the
 * cluster and the notifier's request log; a node lost is a resend point (the acknowledgements
 * it had not committed may be sent again, at most the requests in flight).
 */
import { openDatabase } from '@ocs/db/client';
import { PartitionProxy } from '@ocs/db/testing';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Protocol, schedulerToken, sleep } from '../src/cluster.js';
import { createEmptyDatabase, dropLeftovers, seedInto } from '../src/database.js';
import { GaleraCluster } from '../src/galera-cluster.js';
import { NotifierControl } from '../src/notifier.js';
import { killAll, type RunningProcess, startNotifier, startServer } from '../src/processes.js';
import { printTable, reportPath, writeReport } from '../src/report.js';
import {
  chunk,
  completeDirect,
  first,
  runScenario,
  type ScenarioContext,
  type ScenarioOptions,
  schedulerEnded,
  untilFraction,
  useSuite,
} from '../src/scenario.js';

const ORDERS = Number(process.env.FAULTS_GALERA_ORDERS ?? 1000);
const LATENCY_MS = 20;
/** The node that the lock-holding replica (replica 0) uses; the one the faults hit. */
const FAULTED = 0;
/** The node the suite itself reads and seeds through: never faulted. */
const ADMIN = 2;

let cluster: GaleraCluster;
let nodeProxies: PartitionProxy[] = [];
let notifierProcess: RunningProcess;
let notifier: NotifierControl;

beforeAll(async () => {
  writeReport();
  const started = performance.now();
  cluster = await GaleraCluster.start({ log: (line) => console.log(`[galera] ${line}`) });
  console.log(`galera: three nodes synced in ${Math.round(performance.now() - started)} ms`);
  nodeProxies = await Promise.all(
    cluster.nodes.map((node) => PartitionProxy.start(`galera-node-${node.index}`, node.url)),
  );
  // Databases are created, seeded and checked through a node no scenario faults.
  process.env.MYSQL_TEST_URL = cluster.nodes[ADMIN]?.url;
  await dropLeftovers();
  const notifierStarted = await startNotifier({ FAULT_LATENCY_MS: String(LATENCY_MS) });
  notifierProcess = notifierStarted.process;
  notifier = new NotifierControl(notifierStarted.url);
  useSuite({ notifier, latencyMs: LATENCY_MS, orders: ORDERS });
}, 240_000);

afterAll(async () => {
  await notifierProcess?.stop();
  await killAll();
  await Promise.all(nodeProxies.map((proxy) => proxy.close()));
  await cluster?.stop();
  console.log(`\nGalera fault suite summary (${reportPath}):`);
  printTable();
});

/** Every node through its proxy, `firstNode` first: what replica `firstNode` is given. */
function listing(firstNode: number, databaseName: string): string {
  const order = [firstNode, ...[0, 1, 2].filter((i) => i !== firstNode)];
  const hosts = order.map((i) => `127.0.0.1:${nodeProxies[i]?.port}`).join(',');
  return `mysql://root@${hosts}/${databaseName}`;
}

function galera(protocol: Protocol, extra: Partial<ScenarioOptions> = {}): ScenarioOptions {
  return {
    protocol,
    replicas: 3,
    orders: ORDERS,
    serverKill: true,
    fiveXxAllowed: true,
    databaseUrlFor: (index, name) => listing(index % 3, name),
    serverEnv: { DB_RESTORE_NODE_AFTER_MS: '1000' },
    runOnceTimeoutMs: 90_000,
    // Three replicas migrating at once, every scenario (0 may fail to start).
    startTogether: true,
    ...extra,
  };
}

/** `kill -9` of the faulted node: a resend point (its uncommitted acknowledgements are lost). */
async function killNode(ctx: ScenarioContext, at: string): Promise<void> {
  await cluster.kill9(FAULTED);
  ctx.resendPoints.push(Date.now());
  ctx.notes.push(`node ${FAULTED} killed ${at}`);
}

/**
 * Replica 0's `/readyz` while its node is lost: 200 (it serves through another node), with the
 * lost node reported down.
 */
async function readyWithoutNode(ctx: ScenarioContext): Promise<void> {
  const url = first(ctx).replica(0).directUrl;
  const lost = `127.0.0.1:${nodeProxies[FAULTED]?.port}`;
  const deadline = performance.now() + 8000;
  let last = 'no answer';
  while (performance.now() < deadline) {
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3000) });
      const body = (await res.json()) as {
        nodes?: { name: string; up: boolean; inUse: boolean }[];
      };
      const node = body.nodes?.find((n) => n.name === lost);
      last = `${res.status} ${JSON.stringify(body.nodes?.map((n) => [n.up, n.inUse]))}`;
      if (res.status === 200 && node && !node.up && !node.inUse) {
        ctx.figures.readyWithoutNode = last;
        return;
      }
    } catch (error) {
      last = String(error);
    }
    await sleep(250);
  }
  ctx.failures.push(`replica 0's /readyz never showed node ${FAULTED} down while serving: ${last}`);
}

async function rejoin(ctx: ScenarioContext): Promise<void> {
  const started = performance.now();
  await cluster.restart(FAULTED);
  const ms = Math.round(performance.now() - started);
  ctx.figures.rejoinMs = ms;
  ctx.notes.push(`node ${FAULTED} rejoined and synced in ${ms} ms`);
  // The replica goes back to its own node once it answers.
  const back = new RegExp(
    `database node 127\\.0\\.0\\.1:${nodeProxies[FAULTED]?.port} answers again`,
  );
  const replica = first(ctx).replica(0).process;
  ctx.figures.replicaBackOnNode = await replica.waitFor(back, 10_000).then(
    () => true,
    () => false,
  );
  if (!ctx.figures.replicaBackOnNode) ctx.failures.push('replica 0 never went back to its node');
}

/** Whether the replica moved off the faulted node (its log says so). */
function movedOff(ctx: ScenarioContext): void {
  const output = first(ctx).replica(0).process.output();
  const moved = new RegExp(`database node 127\\.0\\.0\\.1:${nodeProxies[FAULTED]?.port} failed`);
  ctx.figures.replicaMovedOff = moved.test(output);
  if (!moved.test(output)) ctx.failures.push('replica 0 never moved off the lost node');
}

describe('Galera mode: a three-node cluster, three replicas', { timeout: 240_000 }, () => {
  it('three replicas started at the same moment on an empty database all start', async () => {
    const database = await createEmptyDatabase();
    const started: { process: RunningProcess; url: string }[] = [];
    try {
      const results = await Promise.allSettled(
        [0, 1, 2].map((index) =>
          startServer({
            PORT: '0',
            LOG_LEVEL: 'info',
            NODE_ENV: 'production',
            AUTH_TOKENS: `${schedulerToken}:scheduler`,
            DB_SEED_DEMO_ON_START: 'false',
            DATABASE_URL: listing(index, database.name),
          }),
        ),
      );
      for (const result of results) if (result.status === 'fulfilled') started.push(result.value);
      const failed = results.filter((r) => r.status === 'rejected');
      console.log(`[galera start-together] ${started.length} of 3 replicas started`);
      expect(failed.map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      const connection = await createConnection({ uri: database.url });
      try {
        const [twice] = await connection.query<RowDataPacket[]>(
          'SELECT hash FROM __drizzle_migrations GROUP BY hash HAVING COUNT(*) > 1',
        );
        expect(twice).toEqual([]);
      } finally {
        await connection.end();
      }
      // And they serve: orders seeded now are completed through all three.
      const seeded = await seedInto(database.url, 300);
      const statuses = await Promise.all(
        started.map(({ url }, i) =>
          fetch(`${url}/orders`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${schedulerToken}`,
              'content-type': 'application/json',
            },
            body: JSON.stringify(seeded.ids.filter((_, n) => n % 3 === i)),
          }).then((res) => res.status),
        ),
      );
      expect(statuses.every((status) => status === 200 || status === 400)).toBe(true);
    } finally {
      await Promise.all(started.map(({ process }) => process.stop()));
      await database.drop();
    }
  });

  it('the lease row elects one holder when three nodes race for it (50 rounds)', async () => {
    const database = await createEmptyDatabase();
    // One database handle per node, each listing only its node: the race is between nodes.
    const handles = cluster.nodes.map((node) => {
      const url = new URL(node.url);
      url.pathname = `/${database.name}`;
      return openDatabase({ url: url.toString() });
    });
    try {
      await handles[ADMIN]?.migrate();
      let split = 0;
      for (let round = 0; round < 50; round++) {
        const results = await Promise.all(
          handles.map((db, i) => db.leases.acquire(`race-${round}`, `holder-${i}`, 60_000)),
        );
        const winners = results.filter((r) => r.acquired);
        const holders = new Set(results.map((r) => r.holder));
        if (winners.length !== 1 || holders.size !== 1) split++;
      }
      console.log(`[galera lease race] 50 rounds over three nodes, ${split} without one holder`);
      expect(split).toBe(0);
    } finally {
      await Promise.all(handles.map((db) => db.close()));
      await database.drop();
    }
  });

  it('overlapping direct calls on three nodes, same ids (legacy)', () =>
    runScenario(
      'galera-overlapping-calls',
      galera('legacy', { serverKill: false }),
      async (ctx) => {
        const install = first(ctx);
        const statuses: number[] = [];
        await Promise.all(
          chunk(install.allIds, 250).map(async (ids) => {
            const answers = await Promise.all(
              install.replicas.map((r) => completeDirect(ctx, r.proxy.url, ids)),
            );
            statuses.push(...answers);
          }),
        );
        ctx.notes.push(`direct call statuses ${statuses.join(',')}`);
      },
    ));

  for (const [protocol, point, fraction] of [
    ['legacy', 'before the first claim', 0],
    ['legacy', 'while notifying', 0.3],
    ['v1', 'while notifying', 0.3],
    ['v1', 'while finishing', 0.95],
  ] as const) {
    it(`kill -9 of the lock-holding replica's node ${point}, then its rejoin (${protocol})`, () =>
      runScenario(`galera-kill-node-${point.replace(/ /g, '-')}`, galera(protocol), async (ctx) => {
        const install = first(ctx);
        if (fraction === 0) {
          await killNode(ctx, point);
          const [code] = await Promise.all([install.runOnce(0), readyWithoutNode(ctx)]);
          ctx.notes.push(`run-once on the lost node's replica exited ${code}`);
        } else {
          let scheduler = install.startScheduler(0);
          scheduler = await untilFraction(ctx, install, fraction, scheduler);
          await killNode(ctx, `at ${fraction * 100}% requested`);
          await readyWithoutNode(ctx);
          await schedulerEnded(ctx, install, scheduler);
        }
        movedOff(ctx);
        await rejoin(ctx);
      }));
  }

  it("the lock-holding replica's node black-holed longer than the ledger's write retry (legacy)", () =>
    runScenario('galera-blackhole-node', galera('legacy'), async (ctx) => {
      const install = first(ctx);
      let scheduler = install.startScheduler(0);
      scheduler = await untilFraction(ctx, install, 0.3, scheduler);
      const proxy = nodeProxies[FAULTED] as PartitionProxy;
      await proxy.setMode('blackhole');
      ctx.resendPoints.push(Date.now());
      // LEDGER_WRITE_RETRY_MS is 1,500 ms in the suite: twice that and more.
      await sleep(4000);
      await proxy.setMode('forward');
      ctx.resendPoints.push(Date.now());
      await schedulerEnded(ctx, install, scheduler);
      movedOff(ctx);
    }));

  it("the lock-holding replica's node answering 1047 while notifying, then serving again (v1)", () =>
    runScenario('galera-node-1047', galera('v1', { serverKill: false }), async (ctx) => {
      const install = first(ctx);
      let scheduler = install.startScheduler(0);
      scheduler = await untilFraction(ctx, install, 0.3, scheduler);
      // What a node out of the primary component answers, on demand: every client statement
      // that touches a table, or DO, gets 1047 "WSREP has not yet prepared node".
      const node = await createConnection({ uri: cluster.nodes[FAULTED]?.url ?? '' });
      try {
        await node.query('SET GLOBAL wsrep_reject_queries = ALL');
        ctx.notes.push(`node ${FAULTED} rejects queries (1047)`);
        await readyWithoutNode(ctx);
        await sleep(2000);
        await node.query('SET GLOBAL wsrep_reject_queries = NONE');
      } finally {
        await node.end();
      }
      await schedulerEnded(ctx, install, scheduler);
      movedOff(ctx);
      const back = new RegExp(
        `database node 127\\.0\\.0\\.1:${nodeProxies[FAULTED]?.port} answers again`,
      );
      ctx.figures.replicaBackOnNode = await install
        .replica(0)
        .process.waitFor(back, 10_000)
        .then(
          () => true,
          () => false,
        );
      if (!ctx.figures.replicaBackOnNode)
        ctx.failures.push('replica 0 never went back to its node');
    }));

  it('schedulers on three different nodes at once (v1)', () =>
    runScenario('galera-three-schedulers', galera('v1', { serverKill: false }), async (ctx) => {
      const install = first(ctx);
      const codes = await Promise.all([install.runOnce(0), install.runOnce(1), install.runOnce(2)]);
      ctx.notes.push(`concurrent run-once exit codes ${codes.join(', ')}`);
      // One holds the lock; the others are told another scheduler runs (exit 4), or came after.
      ctx.figures.lockRefusals = codes.filter((code) => code === 4).length;
    }));
});
