/** Opens a mysql2 pool and wires the MySQL adapters, migrations and seed writer onto it. */

import { fileURLToPath } from 'node:url';
import { count, max } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/mysql2';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import { createPool, type Pool } from 'mysql2/promise';
import {
  chunk,
  mysqlMaxPlaceholders,
  type OrderRepositoryOptions,
  rowsPerInsert,
} from '../chunks.js';
import { resolveStateIds } from '../mapping.js';
import * as schema from '../schema/mysql-schema.js';
import type { SeedWriter } from '../seed/seed-writer.js';
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
  seedWriter: SeedWriter;
  migrate(): Promise<void>;
}

export function connectMySql(url: string, options: MySqlConnectionOptions = {}): MySqlConnection {
  const pool = createPool({ uri: url, connectionLimit: options.connectionLimit ?? 10 });
  const db = drizzle(pool, { schema, mode: 'default' });
  return {
    pool,
    db,
    orders: new MySqlOrderRepository(db, options),
    runs: new MySqlCompletionRunRepository(db),
    seedWriter: mySqlSeedWriter(db),
    migrate: () => migrate(db, { migrationsFolder: mysqlMigrationsFolder }),
  };
}

function mySqlSeedWriter(db: MySqlDatabase): SeedWriter {
  const orderRows = rowsPerInsert(3, mysqlMaxPlaceholders);
  const lineRows = rowsPerInsert(4, mysqlMaxPlaceholders);
  return {
    async countOrders() {
      const [row] = await db.select({ value: count() }).from(schema.orders);
      return row?.value ?? 0;
    },
    async maxOrderId() {
      const [row] = await db.select({ value: max(schema.orders.id) }).from(schema.orders);
      return row?.value ?? 0;
    },
    async ensureProducts(products) {
      if (products.length > 0)
        await db
          .insert(schema.products)
          .ignore()
          .values([...products]);
    },
    async insertOrders(orders, lines) {
      if (orders.length === 0) return;
      const states = resolveStateIds(await db.select().from(schema.orderStates));
      await db.transaction(async (tx) => {
        for (const part of chunk(orders, orderRows)) {
          await tx.insert(schema.orders).values(
            part.map((order) => ({
              id: order.id,
              orderDate: order.orderDate,
              orderStateId: order.state === 'SUBMITTED' ? states.submitted : states.finished,
            })),
          );
        }
        for (const part of chunk(lines, lineRows)) {
          await tx.insert(schema.orderLines).values(part);
        }
      });
    },
  };
}
