/** The embedded database (SQLite through libsql) as a dialect: tables, executor, errors. */
import { type SQL, sql } from 'drizzle-orm';
import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import { type OrderRepositoryOptions, sqliteMaxVariables } from '../chunks.js';
import { SqlCompletionCallRepository } from '../completion-call-repository.js';
import { type DatabaseErrorClassifier, hasErrorIn } from '../database-errors.js';
import { sqliteNowMs } from '../database-time.js';
import type { SqlDialect } from '../dialect.js';
import { noRetry, retrying, type SqlExecutor, tableName } from '../ledger/sql-executor.js';
import { SqlOrderRepository } from '../order-repository.js';
import * as schema from '../schema/sqlite-schema.js';
import { noWriteLock, type WriteLock } from './write-lock.js';

export type SqliteDatabase = LibSQLDatabase<typeof schema>;

/** Writers take turns (the write lock, then IMMEDIATE transactions): no deadlocks to retry. */
export const sqliteErrors: DatabaseErrorClassifier = {
  isLockConflict: () => false,
  isDeadlock: () => false,
  /** Another process holds the file's write lock for longer than the busy timeout. */
  isTransient: (error) => hasErrorIn(error, { codes: new Set(['SQLITE_BUSY']) }),
};

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
      storedTime: (column: SQL) => column,
      all: <T>(query: SQL) => runner.all(query) as Promise<T[]>,
      async run(query: SQL) {
        return (await runner.run(query)).rowsAffected;
      },
      // libsql begins transactions IMMEDIATE: the write lock is held from the first statement.
      write: (work, retry) => (inTransaction ? work(executor) : executor.transaction(work, retry)),
      transaction: (work, retry = noRetry) =>
        inTransaction
          ? work(executor)
          : retrying(
              () =>
                writeLock(() =>
                  db.transaction((tx) => work(over(tx as unknown as SqliteRunner, true))),
                ),
              retry,
            ),
    };
    return executor;
  };
  return over(db, false);
}

export function sqliteDialect(db: SqliteDatabase, writeLock: WriteLock = noWriteLock): SqlDialect {
  return {
    name: 'sqlite',
    tables: schema,
    executor: sqliteExecutor(db, writeLock),
    errors: sqliteErrors,
    maxPlaceholders: sqliteMaxVariables,
  };
}

/** The shared OrderRepository on an embedded database (kept for callers that construct one). */
export class SqliteOrderRepository extends SqlOrderRepository {
  constructor(
    db: SqliteDatabase,
    options: OrderRepositoryOptions & { writeLock?: WriteLock } = {},
  ) {
    super(sqliteDialect(db, options.writeLock), options);
  }
}

/** The shared CompletionCallRepository on an embedded database (kept for callers that construct one). */
export class SqliteCompletionCallRepository extends SqlCompletionCallRepository {
  constructor(db: SqliteDatabase, writeLock: WriteLock = noWriteLock) {
    super(sqliteDialect(db, writeLock));
  }
}
