/**
 * What every repository needs from a database, so one implementation of each serves every
 * dialect: run a query, run a write, a write transaction, and the few SQL fragments where the
 * dialects differ. Each dialect builds one (`mySqlExecutor`, `sqliteExecutor`).
 */
import type { SQL } from 'drizzle-orm';

/** How often work that lost to another transaction is run again, and which errors say so. */
export interface RetryPolicy {
  /** Runs in all, the first included; 1 = never retried. */
  attempts: number;
  retryIf(error: unknown): boolean;
}

export interface SqlExecutor {
  /** `INSERT IGNORE INTO` (MySQL) or `INSERT OR IGNORE INTO` (SQLite). */
  readonly insertIgnore: SQL;
  /**
   * `table` to read or update by primary key: `FORCE INDEX (PRIMARY)` on MySQL, whose
   * optimiser otherwise picks a secondary index on a filtered column (e.g. the ledger's
   * `state`), scanning and locking other calls' rows. `SELECT ... FROM` and `UPDATE` only.
   */
  byKey(table: string): SQL;
  /** `DELETE FROM table` by primary key (MySQL needs the multi-table form for the hint). */
  deleteByKey(table: string): SQL;
  /** ` FOR UPDATE` where rows can be locked; nothing in SQLite, whose writers take turns. */
  readonly forUpdate: SQL;
  /**
   * The database's current time in epoch milliseconds, as an SQL expression: every lease is
   * written and compared in it, never in a process's clock (see `DatabaseClock`).
   */
  readonly nowMs: SQL;
  /**
   * A time column of the call records (`completion_calls.started_at`) as something
   * `storedRunTime` reads without a time zone: DATETIME(3) in UTC read as text on MySQL, epoch
   * milliseconds as they are on SQLite.
   */
  storedTime(column: SQL): SQL;
  all<T>(query: SQL): Promise<T[]>;
  /** Resolves with the number of rows the statement changed. */
  run(query: SQL): Promise<number>;
  /** Statements that are each atomic on their own (autocommit), retried on a deadlock. */
  write<T>(work: (q: SqlExecutor) => Promise<T>, retry?: RetryPolicy): Promise<T>;
  /** One transaction, retried as a whole on a deadlock (or as `retry` says). */
  transaction<T>(work: (q: SqlExecutor) => Promise<T>, retry?: RetryPolicy): Promise<T>;
}

export { idList } from '../id-list.js';

/** Run once: what a retry would repeat is not safe to repeat, or never lost to a lock. */
export const noRetry: RetryPolicy = { attempts: 1, retryIf: () => false };

/** Runs `work`, again while it fails with an error `policy` retries, up to its attempts. */
export async function retrying<T>(work: () => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= policy.attempts || !policy.retryIf(error)) throw error;
    }
  }
}

/** A table name checked to be a plain identifier, to be inlined. */
export function tableName(table: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new TypeError(`not a table name: ${table}`);
  return table;
}
