/**
 * The entrypoint that opens connections: `openDatabase` picks the dialect from a URL and hands
 * back the repositories the server needs.
 */
import { redactConnectionString } from './connection-string.js';
import type { OcsDatabase } from './database.js';
import { dialects } from './dialects.js';
import type { OpenDatabaseOptions } from './open-options.js';
import { seedDemoOrders } from './seed/demo-orders.js';

export type { OrderRepositoryOptions } from './chunks.js';
export { SqlCompletionCallRepository } from './completion-call-repository.js';
export { redactConnectionString, splitMySqlNodes } from './connection-string.js';
export {
  type DialectConnection,
  defaultPingTimeoutMs,
  type OcsDatabase,
  type PoolStats,
} from './database.js';
export type { DatabaseErrorClassifier } from './database-errors.js';
export type { DatabaseDialect, DialectTables, SqlDialect } from './dialect.js';
export { SqlCompletionLedger } from './ledger/sql-completion-ledger.js';
export type { RetryPolicy, SqlExecutor } from './ledger/sql-executor.js';
export { resolveInstallationId, SqlLeaseRepository } from './ledger/sql-leases.js';
export { SqlLedgerQueries } from './ledger/sql-ledger-queries.js';
export { DatabaseDeadlineError } from './mysql/deadline-pool.js';
export { MigrationLockTimeoutError, migrationLockTable } from './mysql/migration-lock.js';
export {
  connectMySql,
  type MySqlConnection,
  mysqlMigrationsFolder,
} from './mysql/mysql-database.js';
export {
  MySqlCompletionCallRepository,
  type MySqlDatabase,
  MySqlOrderRepository,
  mySqlExecutor,
  mysqlDialect,
} from './mysql/mysql-dialect.js';
export { isNodeFailure } from './mysql/mysql-errors.js';
export type { NodeHealth as DatabaseNodeHealth } from './mysql/mysql-nodes.js';
export type { OpenDatabaseOptions } from './open-options.js';
export { SqlOrderRepository } from './order-repository.js';
export { type SqlRepositories, sqlRepositories } from './repositories.js';
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
export {
  connectSqlite,
  embeddedFilePath,
  type SqliteConnection,
  type SqliteConnectionOptions,
  sqliteMigrationsFolder,
} from './sqlite/sqlite-database.js';
export {
  SqliteCompletionCallRepository,
  type SqliteDatabase,
  SqliteOrderRepository,
  sqliteDialect,
  sqliteExecutor,
} from './sqlite/sqlite-dialect.js';
export { isTransientDatabaseError } from './transient-errors.js';

/** Where the embedded database lives when no URL is configured (relative to the cwd). */
export const defaultEmbeddedUrl = 'file:.data/orders.db';

export function openDatabase(options: OpenDatabaseOptions = {}): OcsDatabase {
  const url = options.url?.trim() || defaultEmbeddedUrl;
  const dialect = dialects.find((candidate) => url.startsWith(candidate.prefix));
  if (!dialect) {
    throw new Error(
      `Unsupported database URL ${redactConnectionString(url)}: expected ${dialects
        .map((candidate) => `${candidate.prefix}...`)
        .join(' or ')}`,
    );
  }
  const handle: OcsDatabase = {
    ...dialect.open(url, options),
    seedDemo: (now) => seedDemoOrders(handle, now),
  };
  return handle;
}
