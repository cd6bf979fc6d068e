/** Opens the embedded database file (libsql) and puts the repositories and migrations on it. */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as LibsqlClient from '@libsql/client';
import type { Client } from '@libsql/client';
import type * as LibsqlDriver from 'drizzle-orm/libsql';
import type * as LibsqlMigrator from 'drizzle-orm/libsql/migrator';
import type { OrderRepositoryOptions } from '../chunks.js';
import { type DialectConnection, handleOf } from '../database.js';
import { type SqlRepositories, sqlRepositories } from '../repositories.js';
import * as schema from '../schema/sqlite-schema.js';
import { type SqliteDatabase, sqliteDialect } from './sqlite-dialect.js';
import { writeLockFor } from './write-lock.js';

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

export interface SqliteConnection extends SqlRepositories {
  client: Client;
  db: SqliteDatabase;
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
  return {
    ...sqlRepositories(sqliteDialect(db, writeLock), options),
    client,
    db,
    migrate: () =>
      writeLock(async () => {
        // WAL lets readers go on while a completion call writes; the setting stays with the file.
        await client.execute('PRAGMA journal_mode = WAL');
        await migrate(db, { migrationsFolder: sqliteMigrationsFolder });
      }),
  };
}

/** `connectSqlite` as `openDatabase` hands it out. */
export function openSqlite(url: string, options: SqliteConnectionOptions = {}): DialectConnection {
  const sqlite = connectSqlite(url, options);
  return handleOf(sqlite, {
    dialect: 'sqlite',
    redactedUrl: url,
    migrate: sqlite.migrate,
    // A local file: no network to black-hole; the busy timeout bounds its waits.
    ping: async () => {
      await sqlite.client.execute('SELECT 1');
    },
    nodeHealth: async () => [],
    poolStats: () => null,
    close: async () => sqlite.client.close(),
  });
}
