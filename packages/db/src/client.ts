/**
 * The entrypoint that opens connections: `openDatabase` picks MySQL or the embedded database
 * from a URL and hands back the repositories the server needs.
 */
import type {
  CompletionCallRepository,
  CompletionLedger,
  DatabaseClock,
  LeaseRepository,
  LedgerQueries,
  OrderRepository,
  SchedulerRunRepository,
} from '@ocs/domain';
import type { OrderRepositoryOptions } from './chunks.js';
import { redactConnectionString } from './connection-string.js';
import { readDatabaseTime } from './database-time.js';
import type { SqlExecutor } from './ledger/sql-executor.js';
import { resolveInstallationId } from './ledger/sql-leases.js';
import { SqlLedgerQueries } from './ledger/sql-ledger-queries.js';
import { SqlSchedulerRunRepository } from './ledger/sql-scheduler-runs.js';
import { connectMySql } from './mysql/mysql-database.js';
import type { NodeHealth as DatabaseNodeHealth } from './mysql/mysql-nodes.js';
import { seedDemoOrders } from './seed/demo-orders.js';
import type { SeedTarget, SeedWriter } from './seed/seed-writer.js';
import { connectSqlite } from './sqlite/sqlite-database.js';

export type { OrderRepositoryOptions } from './chunks.js';
export { redactConnectionString, splitMySqlNodes } from './connection-string.js';
export { SqlCompletionLedger } from './ledger/sql-completion-ledger.js';
export { mySqlExecutor, type SqlExecutor, sqliteExecutor } from './ledger/sql-executor.js';
export { resolveInstallationId, SqlLeaseRepository } from './ledger/sql-leases.js';
export { SqlLedgerQueries } from './ledger/sql-ledger-queries.js';
export { DatabaseDeadlineError } from './mysql/deadline-pool.js';
export { MigrationLockTimeoutError, migrationLockTable } from './mysql/migration-lock.js';
export { MySqlCompletionCallRepository } from './mysql/mysql-completion-call-repository.js';
export {
  connectMySql,
  type MySqlConnection,
  mysqlMigrationsFolder,
} from './mysql/mysql-database.js';
export { isNodeFailure, type NodeHealth as DatabaseNodeHealth } from './mysql/mysql-nodes.js';
export { type MySqlDatabase, MySqlOrderRepository } from './mysql/mysql-order-repository.js';
export { demoOrderRows, demoProducts, seedDemoOrders } from './seed/demo-orders.js';
export {
  type GeneratedOrderKind,
  type GeneratedOrdersOptions,
  type GeneratedOrdersResult,
  generatedOrderKinds,
  realisticMix,
  seedGeneratedOrders,
} from './seed/generated-orders.js';
export type { SeedTarget, SeedWriter } from './seed/seed-writer.js';
export { SqliteCompletionCallRepository } from './sqlite/sqlite-completion-call-repository.js';
export {
  connectSqlite,
  embeddedFilePath,
  type SqliteConnection,
  type SqliteConnectionOptions,
  sqliteMigrationsFolder,
} from './sqlite/sqlite-database.js';
export { type SqliteDatabase, SqliteOrderRepository } from './sqlite/sqlite-order-repository.js';
export { isTransientDatabaseError } from './transient-errors.js';

export type DatabaseDialect = 'mysql' | 'sqlite';

/** Where the embedded database lives when no URL is configured (relative to the cwd). */
export const defaultEmbeddedUrl = 'file:.data/orders.db';

export interface OpenDatabaseOptions extends OrderRepositoryOptions {
  /** `mysql://...` for MySQL/MariaDB; `file:...` or nothing for the embedded database. */
  url?: string | undefined;
  /** MySQL pool size. Default 10. */
  connectionLimit?: number;
  /**
   * MySQL: the longest one statement may take, the wait for a pooled connection included
   * (client side), also set as the server's statement limit. Default 10,000 ms. The embedded
   * database has no network to wait on; its busy timeout bounds its waits.
   */
  queryTimeoutMs?: number | undefined;
  /** MySQL: the longest opening a connection may take. Default 5,000 ms. */
  connectTimeoutMs?: number | undefined;
  /** MySQL: idle time before TCP keep-alive probes start. Default 5,000 ms. */
  keepAliveInitialDelayMs?: number | undefined;
  /** MySQL with several hosts: how long a failed node is left alone. Default 2,000 ms. */
  restoreNodeAfterMs?: number | undefined;
  /** MariaDB Galera: `wsrep_sync_wait` of every connection. Default 1 (causal reads). */
  wsrepSyncWait?: number | undefined;
  /** MySQL with several hosts: told when a node stops or starts being used. */
  onNodeChange?: ((node: string, up: boolean, error?: unknown) => void) | undefined;
  /** Embedded database: how long a writer waits for another. Default 5,000 ms. */
  busyTimeoutMs?: number;
}

/** `ping()`'s deadline when none is given: short, for readiness checks. */
export const defaultPingTimeoutMs = 800;

export interface OcsDatabase extends SeedTarget {
  readonly dialect: DatabaseDialect;
  /** The URL with any password hidden, for logs. */
  readonly redactedUrl: string;
  readonly orders: OrderRepository;
  readonly calls: CompletionCallRepository;
  /** Scheduler runs and the schedulers themselves. */
  readonly schedulerRuns: SchedulerRunRepository;
  readonly ledger: CompletionLedger;
  readonly leases: LeaseRepository;
  /** Operators' queries over the ledger and the runs (the admin app). */
  readonly ledgerQueries: LedgerQueries;
  /** The database's clock, in which every lease is decided. */
  readonly clock: DatabaseClock;
  readonly seedWriter: SeedWriter;
  /** `configured` when set; otherwise the id generated and stored at the first call. */
  installationId(configured?: string): Promise<string>;
  /** Applies the pending drizzle-kit migrations of this dialect. */
  migrate(): Promise<void>;
  /** Loads the five demo orders unless there are orders already. */
  seedDemo(now: Date): Promise<{ inserted: number }>;
  /**
   * Rejects when the database cannot answer a trivial query within `timeoutMs` (default
   * 800 ms; MySQL: the wait for a connection included).
   */
  ping(timeoutMs?: number): Promise<void>;
  /**
   * Every database server of the URL (one, or each host of a cluster) with whether it answers
   * `SELECT 1` within `timeoutMs` and which one is in use; empty for the embedded database.
   */
  nodeHealth(timeoutMs?: number): Promise<DatabaseNodeHealth[]>;
  /** Connection pool usage, for metrics; null where there is no pool (embedded). */
  poolStats(): PoolStats | null;
  close(): Promise<void>;
}

export interface PoolStats {
  /** The most connections the pool opens. */
  limit: number;
  /** Connections open now, busy or idle. */
  open: number;
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

/**
 * mysql2 keeps its pool's counts in fields it does not type: read them defensively. Summed
 * over the nodes of a cluster (each has its own pool of `limit`).
 */
function mysqlPoolStats(pools: readonly unknown[], limit: number): PoolStats {
  const stats: PoolStats = { limit: limit * pools.length, open: 0, idle: 0, waiting: 0 };
  for (const pool of pools) {
    const core = (pool as { pool?: Record<string, { length?: number } | undefined> }).pool ?? {};
    stats.open += core._allConnections?.length ?? 0;
    stats.idle += core._freeConnections?.length ?? 0;
    stats.waiting += core._connectionQueue?.length ?? 0;
  }
  return stats;
}

function executorClock(executor: SqlExecutor): DatabaseClock {
  return { now: () => readDatabaseTime((q) => executor.all(q), executor.nowMs) };
}

export function openDatabase(options: OpenDatabaseOptions = {}): OcsDatabase {
  const url = options.url?.trim() || defaultEmbeddedUrl;
  if (url.startsWith('mysql://')) {
    const mysql = connectMySql(url, options);
    return withSeed({
      dialect: 'mysql',
      redactedUrl: redactConnectionString(url),
      orders: mysql.orders,
      calls: mysql.calls,
      schedulerRuns: new SqlSchedulerRunRepository(mysql.executor, 'mysql'),
      ledger: mysql.ledger,
      leases: mysql.leases,
      ledgerQueries: new SqlLedgerQueries(mysql.executor, 'mysql'),
      clock: executorClock(mysql.executor),
      installationId: (configured) => resolveInstallationId(mysql.executor, configured),
      seedWriter: mysql.seedWriter,
      migrate: mysql.migrate,
      ping: (timeoutMs = defaultPingTimeoutMs) => mysql.ping(timeoutMs),
      nodeHealth: (timeoutMs = defaultPingTimeoutMs) => mysql.nodeHealth(timeoutMs),
      poolStats: () => mysqlPoolStats(mysql.nodes.pools, options.connectionLimit ?? 10),
      close: () => mysql.close(),
    });
  }
  if (url.startsWith('file:')) {
    const sqlite = connectSqlite(url, options);
    return withSeed({
      dialect: 'sqlite',
      redactedUrl: url,
      orders: sqlite.orders,
      calls: sqlite.calls,
      schedulerRuns: new SqlSchedulerRunRepository(sqlite.executor, 'sqlite'),
      ledger: sqlite.ledger,
      leases: sqlite.leases,
      ledgerQueries: new SqlLedgerQueries(sqlite.executor, 'sqlite'),
      clock: executorClock(sqlite.executor),
      installationId: (configured) => resolveInstallationId(sqlite.executor, configured),
      seedWriter: sqlite.seedWriter,
      migrate: sqlite.migrate,
      // A local file: no network to black-hole; the busy timeout bounds its waits.
      ping: async () => {
        await sqlite.client.execute('SELECT 1');
      },
      nodeHealth: async () => [],
      poolStats: () => null,
      close: async () => sqlite.client.close(),
    });
  }
  throw new Error(
    `Unsupported database URL ${redactConnectionString(url)}: expected mysql://... or file:...`,
  );
}

function withSeed(database: Omit<OcsDatabase, 'seedDemo'>): OcsDatabase {
  const handle: OcsDatabase = { ...database, seedDemo: (now) => seedDemoOrders(handle, now) };
  return handle;
}
