/** Every repository of the package, on one dialect: what a connect function hands back. */
import type { DatabaseClock } from '@ocs/domain';
import type { OrderRepositoryOptions } from './chunks.js';
import { SqlCompletionCallRepository } from './completion-call-repository.js';
import { readDatabaseTime } from './database-time.js';
import type { SqlDialect } from './dialect.js';
import { SqlCompletionLedger } from './ledger/sql-completion-ledger.js';
import type { SqlExecutor } from './ledger/sql-executor.js';
import { resolveInstallationId, SqlLeaseRepository } from './ledger/sql-leases.js';
import { SqlLedgerQueries } from './ledger/sql-ledger-queries.js';
import { SqlSchedulerRunRepository } from './ledger/sql-scheduler-runs.js';
import { SqlOrderRepository } from './order-repository.js';
import { type SeedWriter, sqlSeedWriter } from './seed/seed-writer.js';

export interface SqlRepositories {
  executor: SqlExecutor;
  orders: SqlOrderRepository;
  calls: SqlCompletionCallRepository;
  ledger: SqlCompletionLedger;
  leases: SqlLeaseRepository;
  schedulerRuns: SqlSchedulerRunRepository;
  ledgerQueries: SqlLedgerQueries;
  /** The database's clock, in which every lease is decided. */
  clock: DatabaseClock;
  seedWriter: SeedWriter;
  /** `configured` when set; otherwise the id generated and stored at the first call. */
  installationId(configured?: string): Promise<string>;
}

export function sqlRepositories(
  dialect: SqlDialect,
  options: OrderRepositoryOptions = {},
): SqlRepositories {
  const { executor } = dialect;
  const orders = new SqlOrderRepository(dialect, options);
  return {
    executor,
    orders,
    calls: new SqlCompletionCallRepository(dialect),
    ledger: new SqlCompletionLedger(executor, orders.chunkSize),
    leases: new SqlLeaseRepository(executor),
    schedulerRuns: new SqlSchedulerRunRepository(executor),
    ledgerQueries: new SqlLedgerQueries(executor),
    clock: { now: () => readDatabaseTime((q) => executor.all(q), executor.nowMs) },
    seedWriter: sqlSeedWriter(dialect),
    installationId: (configured) => resolveInstallationId(executor, configured),
  };
}
