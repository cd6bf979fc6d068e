/**
 * The few things the ledger needs from a database, so one implementation of its statements
 * serves MySQL/MariaDB and the embedded database: run a query, run a write, and a write
 * transaction. The statements are plain SQL both dialects accept; the differences (INSERT
 * IGNORE vs INSERT OR IGNORE, row locks) are the two fragments below.
 */
import { type SQL, sql } from 'drizzle-orm';
import { mySqlNowMs, sqliteNowMs } from '../database-time.js';
import type { MySqlDatabase } from '../mysql/mysql-order-repository.js';
import type { SqliteDatabase } from '../sqlite/sqlite-order-repository.js';
import { noWriteLock, type WriteLock } from '../sqlite/write-lock.js';

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
  all<T>(query: SQL): Promise<T[]>;
  /** Resolves with the number of rows the statement changed. */
  run(query: SQL): Promise<number>;
  /** Statements that are each atomic on their own (autocommit), retried on a deadlock. */
  write<T>(work: (q: SqlExecutor) => Promise<T>): Promise<T>;
  /** One transaction, retried as a whole on a deadlock. */
  transaction<T>(work: (q: SqlExecutor) => Promise<T>): Promise<T>;
}

export { idList } from '../id-list.js';

const deadlockAttempts = 5;

/** ER_LOCK_DEADLOCK or ER_LOCK_WAIT_TIMEOUT, possibly wrapped by drizzle's query error. */
function isDeadlock(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const errno = (e as { errno?: unknown }).errno;
    if (errno === 1213 || errno === 1205) return true;
  }
  return false;
}

function tableName(table: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new TypeError(`not a table name: ${table}`);
  return table;
}

async function retryOnDeadlock<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= deadlockAttempts || !isDeadlock(error)) throw error;
    }
  }
}

type MySqlRunner = Pick<MySqlDatabase, 'execute'>;

export function mySqlExecutor(db: MySqlDatabase): SqlExecutor {
  const over = (runner: MySqlRunner): SqlExecutor => {
    const executor: SqlExecutor = {
      insertIgnore: sql.raw('INSERT IGNORE INTO'),
      byKey: (table) => sql.raw(`${tableName(table)} FORCE INDEX (PRIMARY)`),
      deleteByKey: (table) => {
        const name = tableName(table);
        return sql.raw(`DELETE ${name} FROM ${name} FORCE INDEX (PRIMARY)`);
      },
      forUpdate: sql.raw(' FOR UPDATE'),
      nowMs: mySqlNowMs,
      async all<T>(query: SQL) {
        const [rows] = await runner.execute(query);
        return rows as unknown as T[];
      },
      async run(query: SQL) {
        const [header] = await runner.execute(query);
        return (header as unknown as { affectedRows: number }).affectedRows;
      },
      write: (work) => retryOnDeadlock(() => work(executor)),
      transaction: (work) =>
        retryOnDeadlock(() => db.transaction((tx) => work(over(tx as unknown as MySqlRunner)))),
    };
    return executor;
  };
  return over(db);
}

type SqliteRunner = Pick<SqliteDatabase, 'all' | 'run'>;

export function sqliteExecutor(
  db: SqliteDatabase,
  writeLock: WriteLock = noWriteLock,
): SqlExecutor {
  const over = (runner: SqliteRunner, inTransaction: boolean): SqlExecutor => {
    const executor: SqlExecutor = {
      insertIgnore: sql.raw('INSERT OR IGNORE INTO'),
      byKey: (table) => sql.raw(tableName(table)),
      deleteByKey: (table) => sql.raw(`DELETE FROM ${tableName(table)}`),
      forUpdate: sql.raw(''),
      nowMs: sqliteNowMs,
      all: <T>(query: SQL) => runner.all(query) as Promise<T[]>,
      async run(query: SQL) {
        return (await runner.run(query)).rowsAffected;
      },
      // libsql begins transactions IMMEDIATE: the write lock is held from the first statement.
      write: (work) => (inTransaction ? work(executor) : executor.transaction(work)),
      transaction: (work) =>
        inTransaction
          ? work(executor)
          : writeLock(() =>
              db.transaction((tx) => work(over(tx as unknown as SqliteRunner, true))),
            ),
    };
    return executor;
  };
  return over(db, false);
}
