/** Opens the embedded database file (libsql) and wires the SQLite adapters onto it. */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as LibsqlClient from '@libsql/client';
import type { Client } from '@libsql/client';
import { count, max } from 'drizzle-orm';
import type * as LibsqlDriver from 'drizzle-orm/libsql';
import type * as LibsqlMigrator from 'drizzle-orm/libsql/migrator';
import { type OrderRepositoryOptions, sqliteMaxVariables } from '../chunks.js';
import { SqlCompletionLedger } from '../ledger/sql-completion-ledger.js';
import { type SqlExecutor, sqliteExecutor } from '../ledger/sql-executor.js';
import { SqlLeaseRepository } from '../ledger/sql-leases.js';
import * as schema from '../schema/sqlite-schema.js';
import { chunkedSeedWriter, type SeedWriter } from '../seed/seed-writer.js';
import { SqliteCompletionCallRepository } from './sqlite-completion-call-repository.js';
import { type SqliteDatabase, SqliteOrderRepository } from './sqlite-order-repository.js';
import { type WriteLock, writeLockFor } from './write-lock.js';

/**
 * `@libsql/client` is an optional peer dependency: it is loaded on the first embedded
 * connection, never at import, so a MySQL-only user does not install it.
 */
function loadLibsql() {
  const load = createRequire(import.meta.url);
  try {
    return {
      createClient: (load('@libsql/client') as typeof LibsqlClient).createClient,
      drizzle: (load('drizzle-orm/libsql') as typeof LibsqlDriver).drizzle,
      migrate: (load('drizzle-orm/libsql/migrator') as typeof LibsqlMigrator).migrate,
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error(
      'The embedded database needs the optional dependency @libsql/client: install it, or configure a mysql:// URL',
      { cause: error },
    );
  }
}

export const sqliteMigrationsFolder = fileURLToPath(
  new URL('../../drizzle/sqlite', import.meta.url),
);

export interface SqliteConnection {
  client: Client;
  db: SqliteDatabase;
  orders: SqliteOrderRepository;
  calls: SqliteCompletionCallRepository;
  ledger: SqlCompletionLedger;
  leases: SqlLeaseRepository;
  executor: SqlExecutor;
  seedWriter: SeedWriter;
  migrate(): Promise<void>;
}

/** The file path of a `file:` URL (`file:relative/path.db` or `file:///absolute/path.db`). */
export function embeddedFilePath(url: string): string {
  if (!url.startsWith('file:')) throw new Error(`not a file: URL: ${url}`);
  return url.startsWith('file://') ? fileURLToPath(url) : url.slice('file:'.length);
}

export interface SqliteConnectionOptions extends OrderRepositoryOptions {
  /** How long a writer waits for another one before failing with SQLITE_BUSY. Default 5,000 ms. */
  busyTimeoutMs?: number;
}

export function connectSqlite(
  url: string,
  options: SqliteConnectionOptions = {},
): SqliteConnection {
  const path = embeddedFilePath(url);
  mkdirSync(dirname(path), { recursive: true });
  const { createClient, drizzle, migrate } = loadLibsql();
  const writeLock = writeLockFor(path);
  // libsql applies `timeout` to every connection, including the ones it reopens after a
  // transaction, so overlapping write transactions wait for each other instead of failing.
  const client = createClient({ url, timeout: options.busyTimeoutMs ?? 5_000 });
  const db = drizzle(client, { schema });
  const orders = new SqliteOrderRepository(db, { ...options, writeLock });
  const executor = sqliteExecutor(db, writeLock);
  return {
    client,
    db,
    orders,
    calls: new SqliteCompletionCallRepository(db, writeLock),
    ledger: new SqlCompletionLedger(executor, orders.chunkSize),
    leases: new SqlLeaseRepository(executor),
    executor,
    seedWriter: sqliteSeedWriter(db, writeLock),
    migrate: () =>
      writeLock(async () => {
        // WAL lets readers go on while a completion call writes; the setting stays with the file.
        await client.execute('PRAGMA journal_mode = WAL');
        await migrate(db, { migrationsFolder: sqliteMigrationsFolder });
      }),
  };
}

function sqliteSeedWriter(db: SqliteDatabase, writeLock: WriteLock): SeedWriter {
  return chunkedSeedWriter(
    {
      countOrders: () => db.select({ value: count() }).from(schema.orders),
      maxOrderId: () => db.select({ value: max(schema.orders.id) }).from(schema.orders),
      insertMissingProducts: (products) =>
        db.insert(schema.products).values(products).onConflictDoNothing(),
      selectStates: () => db.select().from(schema.orderStates),
      insertInTransaction: (orderChunks, lineChunks) =>
        writeLock(() =>
          db.transaction(async (tx) => {
            for (const part of orderChunks) await tx.insert(schema.orders).values(part);
            for (const part of lineChunks) await tx.insert(schema.orderLines).values(part);
          }),
        ),
    },
    sqliteMaxVariables,
  );
}
