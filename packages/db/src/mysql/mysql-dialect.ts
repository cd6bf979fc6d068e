/** MySQL/MariaDB as a dialect: its tables, its executor over drizzle's mysql2 driver, its errors. */
import { type SQL, sql } from 'drizzle-orm';
import type { MySql2Database } from 'drizzle-orm/mysql2';
import { mysqlMaxPlaceholders, type OrderRepositoryOptions } from '../chunks.js';
import { SqlCompletionCallRepository } from '../completion-call-repository.js';
import { mySqlNowMs } from '../database-time.js';
import type { SqlDialect } from '../dialect.js';
import { retrying, type SqlExecutor, tableName } from '../ledger/sql-executor.js';
import { SqlOrderRepository } from '../order-repository.js';
import * as schema from '../schema/mysql-schema.js';
import { mysqlErrors } from './mysql-errors.js';

export type MySqlDatabase = MySql2Database<typeof schema>;

type MySqlRunner = Pick<MySqlDatabase, 'execute'>;

/** The ledger's retry: a lost deadlock or lock wait means another transaction went first. */
const lockConflicts = { attempts: 5, retryIf: mysqlErrors.isLockConflict };

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
      storedTime: (column: SQL) => sql`CAST(${column} AS CHAR)`,
      async all<T>(query: SQL) {
        const [rows] = await runner.execute(query);
        return rows as unknown as T[];
      },
      async run(query: SQL) {
        const [header] = await runner.execute(query);
        return (header as unknown as { affectedRows: number }).affectedRows;
      },
      write: (work, retry = lockConflicts) => retrying(() => work(executor), retry),
      transaction: (work, retry = lockConflicts) =>
        retrying(() => db.transaction((tx) => work(over(tx as unknown as MySqlRunner))), retry),
    };
    return executor;
  };
  return over(db);
}

export function mysqlDialect(db: MySqlDatabase): SqlDialect {
  return {
    name: 'mysql',
    tables: schema,
    executor: mySqlExecutor(db),
    errors: mysqlErrors,
    maxPlaceholders: mysqlMaxPlaceholders,
  };
}

/** The shared OrderRepository on a MySQL database (kept for callers that construct one). */
export class MySqlOrderRepository extends SqlOrderRepository {
  constructor(db: MySqlDatabase, options: OrderRepositoryOptions = {}) {
    super(mysqlDialect(db), options);
  }
}

/** The shared CompletionCallRepository on a MySQL database (kept for callers that construct one). */
export class MySqlCompletionCallRepository extends SqlCompletionCallRepository {
  constructor(db: MySqlDatabase) {
    super(mysqlDialect(db));
  }
}
