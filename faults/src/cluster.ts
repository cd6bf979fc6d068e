/**
 * One installation under test: a seeded throwaway database, N server replicas (each behind a
 * counting proxy, so it can be killed and restarted behind a stable URL) sharing the suite's
 * notifier, and scheduler runs against any replica.
 */

import { PartitionProxy } from '@ocs/db/testing';
import { schedulerLockName } from '@ocs/domain';
import { type Protocol, protocolSchema, protocols } from '@ocs/notifier-client';
import { waitUntil } from '@ocs/test-support';
import { clockOffsetEnv } from './clock.js';
import {
  createSeededDatabase,
  type FaultDatabase,
  query,
  type Snapshot,
  snapshot,
} from './database.js';
import type { InstallationView } from './invariants.js';
import { type RunningProcess, startApp, startServer, tail } from './processes.js';
import { type CountingProxy, startProxy } from './proxy.js';

export const schedulerToken = 'faults-scheduler-token-0123456789';
export const adminToken = 'faults-admin-token-0123456789abc';

export type { Protocol };

export interface InstallationOptions {
  label: string;
  protocol: Protocol;
  orders: number;
  replicas: number;
  notifierUrl: string;
  installationId: string;
  /** Same seed, same data: two installations with equal order ids. */
  randomSeed?: number;
  /** Added to (and overriding) the server defaults below. */
  serverEnv?: Record<string, string>;
  schedulerEnv?: Record<string, string>;
  /** Each replica reaches MariaDB through its own `PartitionProxy` (a partition per replica). */
  dbProxies?: boolean;
  /** Each replica reaches the notifier through its own `PartitionProxy`. */
  notifierProxies?: boolean;
  /** Wall-clock offset (ms) of each replica at start, by index (libfaketime). */
  clockOffsetsMs?: number[];
  /** A `run-once` still running after this is killed and fails the scenario (default 120 s). */
  runOnceTimeoutMs?: number;
  /** Start every replica at once (N replicas migrating together) instead of the first alone. */
  startTogether?: boolean;
  /**
   * The `DATABASE_URL` of each replica, from the database's own URL (e.g. every node of a
   * Galera cluster, the replica's own node first). Default: that URL (or its proxy).
   */
  databaseUrlFor?: (replicaIndex: number, databaseName: string) => string;
}

/** Server settings of the suite: small timeouts and delays so faults resolve in seconds. */
export function defaultServerEnv(options: InstallationOptions): Record<string, string> {
  return {
    PORT: '0',
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
    DB_SEED_DEMO_ON_START: 'false',
    DB_MIGRATE_ON_START: 'true',
    AUTH_TOKENS: `${schedulerToken}:scheduler,${adminToken}:admin`,
    NOTIFIER_BASE_URL: options.notifierUrl,
    NOTIFIER_PROTOCOL: options.protocol,
    NOTIFIER_MAX_ATTEMPTS: '2',
    NOTIFIER_INITIAL_DELAY_MS: '20',
    NOTIFIER_MAX_DELAY_MS: '150',
    // Far above the 20 ms latency: on 2 cores shared by replicas, schedulers and the notifier,
    // an event loop can lag a few hundred ms, and a timed-out answer is a retry.
    NOTIFIER_ATTEMPT_TIMEOUT_MS: '1500',
    NOTIFIER_LEGACY_TIMEOUT_MS: '1500',
    NOTIFIER_BREAKER_THRESHOLD: '100000',
    NOTIFIER_HALF_OPEN_AFTER_MS: '1000',
    NOTIFIER_CONCURRENCY: '8',
    NOTIFIER_BATCH_SIZE: '50',
    MAX_IDS_PER_CALL: '10000',
    INSTALLATION_ID: options.installationId,
    // The server requires a lease of at least twice one order's worst notification time
    // (2 x (1500 + 150) ms), SHUTDOWN_GRACE_MS + 1 s and twice LEDGER_WRITE_RETRY_MS.
    CLAIM_LEASE_MS: '7000',
    SHUTDOWN_GRACE_MS: '2000',
    LEDGER_WRITE_RETRY_MS: '1500',
    // The lease must also hold a call's deadline, one attempt after it, the write retry and two
    // statement deadlines: with 1 s statements the call deadline defaults to the 2 s left.
    DB_QUERY_TIMEOUT_MS: '1000',
  };
}

/**
 * The claim lease for a set of server settings: the one place it is computed for scenarios that
 * set the deadlines of issue 17 (server `DB_QUERY_TIMEOUT_MS`, `COMPLETION_DEADLINE_MS`). The
 * server refuses to start when the lease is too short for its timeouts, and its formula grows
 * with the deadlines (call deadline + ledger write retry + query timeouts), so this stays
 * generous: today's floor (twice one order's worst notification, grace + 1 s, twice the write
 * retry) or the sum of the deadlines plus two query timeouts and a second, whichever is larger.
 * `FAULTS_CLAIM_LEASE_MS` overrides it.
 */
export function claimLeaseFor(env: Record<string, string>): number {
  if (process.env.FAULTS_CLAIM_LEASE_MS) return Number(process.env.FAULTS_CLAIM_LEASE_MS);
  const n = (key: string, fallback: number) => Number(env[key] ?? fallback);
  const perAttempt = protocols[
    protocolSchema.parse(env.NOTIFIER_PROTOCOL ?? 'v1')
  ].attemptTimeoutMs({
    attemptTimeoutMs: n('NOTIFIER_ATTEMPT_TIMEOUT_MS', 1500),
    legacyTimeoutMs: n('NOTIFIER_LEGACY_TIMEOUT_MS', 1500),
  });
  const worstOrder = n('NOTIFIER_MAX_ATTEMPTS', 2) * (perAttempt + n('NOTIFIER_MAX_DELAY_MS', 150));
  const writeRetry = n('LEDGER_WRITE_RETRY_MS', 1500);
  const query = n('DB_QUERY_TIMEOUT_MS', 10_000);
  const today = Math.max(2 * worstOrder, n('SHUTDOWN_GRACE_MS', 2000) + 1000, 2 * writeRetry);
  // The server's own floor: the call deadline, one attempt after it, the write retry and two
  // statement deadlines (apps/server config); a second on top for a loaded machine.
  const deadlines = n('COMPLETION_DEADLINE_MS', 0) + perAttempt + writeRetry + 2 * query + 1000;
  return Math.ceil(Math.max(today, deadlines) / 500) * 500;
}

/**
 * The notification requests a server with this environment keeps in flight:
 * NOTIFIER_CONCURRENCY, or its protocol's default when that is empty (unset for the server).
 */
export function requestsInFlight(env: Record<string, string>): number {
  const configured = env.NOTIFIER_CONCURRENCY;
  if (configured !== undefined && configured !== '') return Number(configured);
  return protocols[protocolSchema.parse(env.NOTIFIER_PROTOCOL ?? 'v1')].defaultConcurrency;
}

/** `serverEnv` with the lease `claimLeaseFor` gives it. */
export function withLease(serverEnv: Record<string, string>, protocol: Protocol) {
  const env = { NOTIFIER_PROTOCOL: protocol, ...serverEnv };
  return { ...serverEnv, CLAIM_LEASE_MS: String(claimLeaseFor(env)) };
}

export interface Replica {
  index: number;
  proxy: CountingProxy;
  /** Between this replica and MariaDB (with `dbProxies`). */
  dbProxy?: PartitionProxy;
  /** Between this replica and the notifier (with `notifierProxies`). */
  notifierProxy?: PartitionProxy;
  /** The running process's wall-clock offset (0: the machine's clock). */
  clockOffsetMs: number;
  process: RunningProcess;
  /** Direct URL of the running process (changes on restart). */
  directUrl: string;
  /** Outputs of earlier (killed) processes of this replica. */
  pastOutputs: string[];
}

export class Installation {
  readonly replicas: Replica[] = [];
  readonly serverKills: number[] = [];
  readonly schedulerExitCodes: number[] = [];
  readonly serverEnv: Record<string, string>;
  before!: Snapshot;
  after?: Snapshot;
  private constructor(
    readonly options: InstallationOptions,
    readonly db: FaultDatabase,
  ) {
    this.serverEnv = {
      ...defaultServerEnv(options),
      DATABASE_URL: db.url,
      ...options.serverEnv,
    };
  }

  static async create(options: InstallationOptions): Promise<Installation> {
    const db = await createSeededDatabase(options.orders, options.randomSeed ?? 1);
    const installation = new Installation(options, db);
    try {
      installation.before = await snapshot(db.url);
      // The first replica migrates alone; the others start side by side after it (or all at
      // once with `startTogether`: the database is migrated already, see createSeededDatabase).
      if (!options.startTogether) await installation.addReplica();
      await Promise.all(
        Array.from({ length: options.replicas - (options.startTogether ? 0 : 1) }, () =>
          installation.addReplica(),
        ),
      );
    } catch (error) {
      await installation.stop();
      await db.drop();
      throw error;
    }
    return installation;
  }

  get eligible(): number[] {
    return this.db.seed.idsByKind.eligible;
  }

  get allIds(): number[] {
    return this.db.seed.ids;
  }

  private async addReplica(): Promise<Replica> {
    const index = this.replicas.length;
    const placeholder = { index, pastOutputs: [] } as unknown as Replica;
    this.replicas.push(placeholder);
    if (this.options.dbProxies) {
      placeholder.dbProxy = await PartitionProxy.start(`db-${index}`, this.db.url);
    }
    if (this.options.notifierProxies) {
      placeholder.notifierProxy = await PartitionProxy.start(
        `notifier-${index}`,
        this.options.notifierUrl,
      );
      // Which replica asked for which order: legacy `GET /notify/N`, v1 JSON `"orderId":N`.
      placeholder.notifierProxy.tap([/GET \/notify\/(\d+)[ ?]/g, /"orderId":(\d+)[,}]/g]);
    }
    const clockOffsetMs = this.options.clockOffsetsMs?.[index] ?? 0;
    const { process, url } = await startServer(this.envOf(placeholder, clockOffsetMs));
    const proxy = await startProxy(url);
    Object.assign(placeholder, { proxy, process, directUrl: url, clockOffsetMs });
    return placeholder;
  }

  /** The server environment of one replica: its own proxies and clock. */
  envOf(replica: Replica, clockOffsetMs: number): Record<string, string> {
    return {
      ...this.serverEnv,
      ...(replica.dbProxy ? { DATABASE_URL: replica.dbProxy.rewrite(this.db.url) } : {}),
      ...(this.options.databaseUrlFor
        ? { DATABASE_URL: this.options.databaseUrlFor(replica.index, this.db.name) }
        : {}),
      ...(replica.notifierProxy
        ? { NOTIFIER_BASE_URL: replica.notifierProxy.rewrite(this.options.notifierUrl) }
        : {}),
      ...clockOffsetEnv(clockOffsetMs),
    };
  }

  replica(index: number): Replica {
    const replica = this.replicas[index];
    if (!replica) throw new Error(`no replica ${index}`);
    return replica;
  }

  /** `kill -9` of a replica; its proxy drops the connections that were open to it. */
  async kill9(index: number): Promise<void> {
    const replica = this.replica(index);
    await replica.process.kill9();
    // Requests the process wrote before it died may still be read by the notifier a moment
    // later: the crash counts from shortly after the exit (a restart takes far longer).
    this.serverKills.push(Date.now() + 100);
    replica.pastOutputs.push(replica.process.output());
  }

  /**
   * Starts the replica again (same settings, or another clock offset) behind the same proxy
   * URL.
   */
  async restart(index: number, clockOffsetMs = this.replica(index).clockOffsetMs): Promise<void> {
    const replica = this.replica(index);
    if (replica.process.running) {
      await replica.process.stop();
      replica.pastOutputs.push(replica.process.output());
    }
    const { process, url } = await startServer(this.envOf(replica, clockOffsetMs));
    replica.clockOffsetMs = clockOffsetMs;
    replica.process = process;
    replica.directUrl = url;
    replica.proxy.upstream = url;
  }

  /** `run-once` against a replica (through its proxy); resolves with the process. */
  startScheduler(replicaIndex: number, env: Record<string, string> = {}): RunningProcess {
    return startApp(
      'scheduler',
      {
        SERVER_URL: this.replica(replicaIndex).proxy.url,
        SCHEDULER_TOKEN: schedulerToken,
        LOG_LEVEL: 'warn',
        PAGE_SIZE: '5000',
        BATCH_SIZE: '250',
        RETRY_ATTEMPTS: '5',
        RETRY_INITIAL_DELAY_MS: '500',
        RETRY_MAX_DELAY_MS: '4000',
        SCHEDULER_LOCK_TTL_MS: '5000',
        ...this.options.schedulerEnv,
        ...env,
      },
      ['run-once'],
    );
  }

  async runOnce(replicaIndex = 0, env: Record<string, string> = {}): Promise<number | null> {
    const scheduler = this.startScheduler(replicaIndex, env);
    const timeoutMs = this.options.runOnceTimeoutMs ?? 120_000;
    const code = await withTimeout(scheduler.exited, timeoutMs, async () => {
      await scheduler.kill9();
      throw new Error(`run-once did not end within ${timeoutMs} ms:\n${tail(scheduler.output())}`);
    });
    this.schedulerExitCodes.push(code ?? -1);
    return code;
  }

  /** Eligible orders not FINISHED yet (read from the database). */
  async eligibleLeft(): Promise<number> {
    const finishedId = this.before.stateIds.FINISHED;
    const rows = await query<{ n: number } & import('mysql2/promise').RowDataPacket>(
      this.db.url,
      'SELECT COUNT(*) AS n FROM ORDERS WHERE OrderStateId <> ? AND Id IN (?)',
      [finishedId, this.eligible.length > 0 ? this.eligible : [0]],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * After the faults: `run-once` as the daily job would, again while eligible orders are left
   * (at most `maxRuns`), waiting in between until the database holds no live claim or lock
   * (at most a lease). Resolves with the runs made.
   */
  async settle(maxRuns = 3, replicaIndex = 0): Promise<number> {
    const lease = Number(this.serverEnv.CLAIM_LEASE_MS ?? 7000);
    const lockTtl = Number(this.options.schedulerEnv?.SCHEDULER_LOCK_TTL_MS ?? 5000);
    let runs = 0;
    let before = Number.POSITIVE_INFINITY;
    while (runs < maxRuns) {
      const startedAt = Date.now();
      const code = await this.runOnce(replicaIndex);
      runs++;
      const left = await this.eligibleLeft();
      if (left === 0) break;
      // The scheduler says nothing retryable is left and the run changed nothing: another
      // daily run would not either (e.g. orders held for an operator).
      if (code === 0 && left === before) break;
      before = left;
      // Claims of a dead or giving-up call end with their lease; a dead scheduler's lock
      // with its TTL: the next daily run comes after both. The database says when they end
      // (its clock is the one the servers use); what held this run back was taken before it
      // ended, so a full lease from its start is the longest wait (and the only one when
      // something else, e.g. an order held for an operator, keeps a claim).
      const wait = (code === 4 ? Math.max(lease, lockTtl) : lease) + 500;
      const deadline = startedAt + wait;
      // A poll that fails (a connection refused under load) is only a poll: ask again.
      const released = () => this.nothingHeld(code === 4).catch(() => false);
      await waitUntil(async () => Date.now() >= deadline || (await released()), {
        timeoutMs: Math.max(0, deadline - Date.now()) + 5_000,
        intervalMs: 100,
      });
    }
    return runs;
  }

  /**
   * No live claim (in the database's clock) on an eligible order that is not FINISHED, and,
   * with `lockToo`, no live scheduler lock: the next run-once meets nothing it must wait for.
   */
  private async nothingHeld(lockToo: boolean): Promise<boolean> {
    const nowMs = '(UNIX_TIMESTAMP() * 1000 + MICROSECOND(NOW(6)) DIV 1000)';
    const rows = await query<{ n: number } & import('mysql2/promise').RowDataPacket>(
      this.db.url,
      `SELECT (SELECT COUNT(*) FROM completion_ledger l JOIN ORDERS o ON o.Id = l.order_id
                WHERE o.OrderStateId <> ? AND l.order_id IN (?) AND l.lease_until > ${nowMs})
            + (SELECT COUNT(*) FROM leases WHERE ? AND name = ? AND lease_until > ${nowMs}) AS n`,
      [
        this.before.stateIds.FINISHED,
        this.eligible.length > 0 ? this.eligible : [0],
        lockToo,
        schedulerLockName,
      ],
    );
    return Number(rows[0]?.n ?? 0) === 0;
  }

  fiveXx(): number {
    return this.replicas.reduce((sum, r) => sum + (r.proxy?.fiveXx() ?? 0), 0);
  }

  /** Stops every replica (SIGTERM), then takes the "after" snapshot. */
  async finish(): Promise<InstallationView> {
    await this.stop();
    this.after = await snapshot(this.db.url);
    return {
      label: this.options.label,
      installationId: this.options.installationId,
      eligible: this.eligible,
      before: this.before,
      after: this.after,
    };
  }

  /** Every partition healed (the faults are over). */
  async heal(): Promise<void> {
    await Promise.all(
      this.replicas.flatMap((r) => [
        r.dbProxy?.setMode('forward'),
        r.notifierProxy?.setMode('forward'),
      ]),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.replicas.map(async (r) => {
        await r.process?.stop();
        // The invariants are checked by now: a proxy that does not close (a connection it
        // still waits for) must not hold the suite; it is named, and the suite goes on.
        await closeWithin(`replica ${r.index}'s HTTP proxy`, r.proxy?.close());
        await closeWithin(`replica ${r.index}'s database proxy`, r.dbProxy?.close());
        await closeWithin(`replica ${r.index}'s notifier proxy`, r.notifierProxy?.close());
      }),
    );
  }

  /** The tail of every server output of this installation, for failure messages. */
  serverOutputTail(lines = 15): string {
    return this.replicas
      .map(
        (r) =>
          `--- replica ${r.index}\n${tail([...(r.pastOutputs ?? []), r.process?.output() ?? ''].join('\n'), lines)}`,
      )
      .join('\n');
  }
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((done) => {
    timer = setTimeout(() => done('timeout'), ms);
  });
  const result = await Promise.race([promise, timeout]);
  clearTimeout(timer);
  return result === 'timeout' ? onTimeout() : (result as T);
}

/** Waits for a clean-up step at most `ms`; one that hangs is named on stderr and left. */
export async function closeWithin(label: string, step: Promise<unknown> | undefined, ms = 5000) {
  if (!step) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const outcome = await Promise.race([step.then(() => 'done' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late')
    console.warn(`clean-up: ${label} did not close within ${ms} ms; left open`);
}
