/** Opens a mysql2 pool and wires the MySQL adapters, migrations and seed writer onto it. */

import { fileURLToPath } from 'node:url';
import { count, max } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/mysql2';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import { createPool, type Pool } from 'mysql2/promise';
import { mysqlMaxPlaceholders, type OrderRepositoryOptions } from '../chunks.js';
import { SqlCompletionLedger } from '../ledger/sql-completion-ledger.js';
import { mySqlExecutor, type SqlExecutor } from '../ledger/sql-executor.js';
import { SqlLeaseRepository } from '../ledger/sql-leases.js';
import * as schema from '../schema/mysql-schema.js';
import { chunkedSeedWriter, type SeedWriter } from '../seed/seed-writer.js';
import { MySqlCompletionRunRepository } from './mysql-completion-run-repository.js';
import { type MySqlDatabase, MySqlOrderRepository } from './mysql-order-repository.js';

export const mysqlMigrationsFolder = fileURLToPath(new URL('../../drizzle/mysql', import.meta.url));

export interface MySqlConnectionOptions extends OrderRepositoryOptions {
  /** Pool size. Default 10. */
  connectionLimit?: number;
}

export interface MySqlConnection {
  pool: Pool;
  db: MySqlDatabase;
  orders: MySqlOrderRepository;
  runs: MySqlCompletionRunRepository;
  ledger: SqlCompletionLedger;
  leases: SqlLeaseRepository;
  executor: SqlExecutor;
  seedWriter: SeedWriter;
  migrate(): Promise<void>;
}

export function connectMySql(url: string, options: MySqlConnectionOptions = {}): MySqlConnection {
  const pool = createPool({ uri: url, connectionLimit: options.connectionLimit ?? 10 });
  const db = drizzle(pool, { schema, mode: 'default' });
  const orders = new MySqlOrderRepository(db, options);
  const executor = mySqlExecutor(db);
  return {
    pool,
    db,
    orders,
    runs: new MySqlCompletionRunRepository(db),
    ledger: new SqlCompletionLedger(executor, orders.chunkSize),
    leases: new SqlLeaseRepository(executor),
    executor,
    seedWriter: mySqlSeedWriter(db),
    migrate: () => migrate(db, { migrationsFolder: mysqlMigrationsFolder }),
  };
}

function mySqlSeedWriter(db: MySqlDatabase): SeedWriter {
  return chunkedSeedWriter(
    {
      countOrders: () => db.select({ value: count() }).from(schema.orders),
      maxOrderId: () => db.select({ value: max(schema.orders.id) }).from(schema.orders),
      insertMissingProducts: (products) => db.insert(schema.products).ignore().values(products),
      selectStates: () => db.select().from(schema.orderStates),
      insertInTransaction: (orderChunks, lineChunks) =>
        db.transaction(async (tx) => {
          for (const part of orderChunks) await tx.insert(schema.orders).values(part);
          for (const part of lineChunks) await tx.insert(schema.orderLines).values(part);
        }),
    },
    mysqlMaxPlaceholders,
  );
}
