/** The handle `openDatabase` returns, whichever dialect the URL names. */
import type {
  CompletionCallRepository,
  CompletionLedger,
  DatabaseClock,
  LeaseRepository,
  LedgerQueries,
  OrderRepository,
  SchedulerRunRepository,
} from '@ocs/domain';
import type { DatabaseDialect } from './dialect.js';
import type { NodeHealth as DatabaseNodeHealth } from './mysql/mysql-nodes.js';
import type { SqlRepositories } from './repositories.js';
import type { SeedTarget, SeedWriter } from './seed/seed-writer.js';

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

/** What a dialect's connect function hands `openDatabase`: all of it but the seeds. */
export type DialectConnection = Omit<OcsDatabase, 'seedDemo'>;

/** The repositories of `connection` that belong on the handle, without the dialect's extras. */
export function handleOf(
  repositories: SqlRepositories,
  rest: Omit<DialectConnection, Exclude<keyof SqlRepositories, 'executor'>>,
): DialectConnection {
  const { orders, calls, schedulerRuns, ledger, leases, ledgerQueries, clock, seedWriter } =
    repositories;
  return {
    orders,
    calls,
    schedulerRuns,
    ledger,
    leases,
    ledgerQueries,
    clock,
    seedWriter,
    installationId: repositories.installationId,
    ...rest,
  };
}
