/** Opens the embedded database file (libsql) and wires the SQLite adapters onto it. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Client, createClient } from '@libsql/client';
import { count, max } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import {
  chunk,
  type OrderRepositoryOptions,
  rowsPerInsert,
  sqliteMaxVariables,
} from '../chunks.js';
import { resolveStateIds } from '../mapping.js';
import * as schema from '../schema/sqlite-schema.js';
import type { SeedWriter } from '../seed/seed-writer.js';
import { SqliteCompletionRunRepository } from './sqlite-completion-run-repository.js';
import { type SqliteDatabase, SqliteOrderRepository } from './sqlite-order-repository.js';

export const sqliteMigrationsFolder = fileURLToPath(
  new URL('../../drizzle/sqlite', import.meta.url),
);

export interface SqliteConnection {
  client: Client;
  db: SqliteDatabase;
  orders: SqliteOrderRepository;
  runs: SqliteCompletionRunRepository;
  seedWriter: SeedWriter;
  migrate(): Promise<void>;
}

/** The file path of a `file:` URL (`file:relative/path.db` or `file:///absolute/path.db`). */
export function embeddedFilePath(url: string): string {
  if (!url.startsWith('file:')) throw new Error(`not a file: URL: ${url}`);
  return url.startsWith('file://') ? fileURLToPath(url) : url.slice('file:'.length);
}

export function connectSqlite(url: string, options: OrderRepositoryOptions = {}): SqliteConnection {
  mkdirSync(dirname(embeddedFilePath(url)), { recursive: true });
  const client = createClient({ url });
  const db = drizzle(client, { schema });
  return {
    client,
    db,
    orders: new SqliteOrderRepository(db, options),
    runs: new SqliteCompletionRunRepository(db),
    seedWriter: sqliteSeedWriter(db),
    migrate: () => migrate(db, { migrationsFolder: sqliteMigrationsFolder }),
  };
}

function sqliteSeedWriter(db: SqliteDatabase): SeedWriter {
  const orderRows = rowsPerInsert(3, sqliteMaxVariables);
  const lineRows = rowsPerInsert(4, sqliteMaxVariables);
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
      if (products.length > 0) {
        await db
          .insert(schema.products)
          .values([...products])
          .onConflictDoNothing();
      }
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
