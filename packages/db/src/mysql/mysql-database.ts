/** Opens a mysql2 pool and wires the MySQL adapters, migrations and seed writer onto it. */

import { fileURLToPath } from 'node:url';
import { count, max } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/mysql2';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import { type Connection, createConnection, createPool, type Pool } from 'mysql2/promise';
import { mysqlMaxPlaceholders, type OrderRepositoryOptions } from '../chunks.js';
import { SqlCompletionLedger } from '../ledger/sql-completion-ledger.js';
import { mySqlExecutor, type SqlExecutor } from '../ledger/sql-executor.js';
import { SqlLeaseRepository } from '../ledger/sql-leases.js';
import * as schema from '../schema/mysql-schema.js';
import { chunkedSeedWriter, type SeedWriter } from '../seed/seed-writer.js';
import { deadlineConnection, pingWithin, withDeadlines } from './deadline-pool.js';
import { MySqlCompletionRunRepository } from './mysql-completion-run-repository.js';
import { type MySqlDatabase, MySqlOrderRepository } from './mysql-order-repository.js';

export const mysqlMigrationsFolder = fileURLToPath(new URL('../../drizzle/mysql', import.meta.url));

export interface MySqlConnectionOptions extends OrderRepositoryOptions {
  /** Pool size. Default 10. */
  connectionLimit?: number;
  /**
   * The longest one statement may take, waiting for a pooled connection included (client
   * side), and the server-side statement limit set on every pooled connection. Default 10,000.
   */
  queryTimeoutMs?: number;
  /** The longest opening a connection may take (TCP and handshake). Default 5,000 ms. */
  connectTimeoutMs?: number;
  /**
   * Idle time before TCP keep-alive probes start on a pooled connection (the OS default is
   * two hours, so a dead peer goes unnoticed). Default 5,000 ms.
   */
  keepAliveInitialDelayMs?: number;
  /** Each migration statement's deadline (DDL on a large table is slow). Default 600,000 ms. */
  migrationTimeoutMs?: number;
}

export const mysqlDefaults = {
  queryTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  keepAliveInitialDelayMs: 5_000,
  migrationTimeoutMs: 600_000,
} as const;

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
  /** `SELECT 1` within `timeoutMs`, the wait for a connection included. */
  ping(timeoutMs: number): Promise<void>;
}

/** Whether the server is MariaDB, from its handshake (mysql2 keeps it on the connection). */
function isMariaDb(connection: unknown): boolean {
  const core = connection as {
    _isMariaDB?: unknown;
    _handshakePacket?: { serverVersion?: unknown };
  };
  if (typeof core._isMariaDB === 'boolean') return core._isMariaDB;
  return /mariadb/i.test(String(core._handshakePacket?.serverVersion ?? ''));
}

/**
 * The server-side statement limit: MariaDB's `max_statement_time` (seconds, every statement);
 * MySQL 8's `max_execution_time` (milliseconds) covers read-only SELECTs only, so there the
 * client-side deadline is what bounds writes.
 */
export function statementLimitSql(mariaDb: boolean, timeoutMs: number): string {
  return mariaDb
    ? `SET SESSION max_statement_time = ${(timeoutMs / 1000).toFixed(3)}`
    : `SET SESSION max_execution_time = ${Math.ceil(timeoutMs)}`;
}

export function connectMySql(url: string, options: MySqlConnectionOptions = {}): MySqlConnection {
  const { queryTimeoutMs, connectTimeoutMs, keepAliveInitialDelayMs, migrationTimeoutMs } = {
    ...mysqlDefaults,
    ...definedOnly(options),
  };
  const socketOptions = {
    uri: url,
    connectTimeout: connectTimeoutMs,
    enableKeepAlive: true,
    keepAliveInitialDelay: keepAliveInitialDelayMs,
  };
  const pool = createPool({ ...socketOptions, connectionLimit: options.connectionLimit ?? 10 });
  // Queued before the connection's first statement, so no statement runs without the limit.
  pool.on('connection', (connection) => {
    const core = connection as unknown as {
      query(options: { sql: string; timeout: number }, callback: (error: unknown) => void): void;
    };
    // A failure here breaks the connection (fatal) or leaves the client deadline alone in
    // charge; either way the statement that follows reports it.
    core.query(
      { sql: statementLimitSql(isMariaDb(connection), queryTimeoutMs), timeout: queryTimeoutMs },
      () => {},
    );
  });
  const db = drizzle(withDeadlines(pool, { queryTimeoutMs }), { schema, mode: 'default' });
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
    // Its own connection, without the pool's statement limit: DDL on a large table takes long.
    migrate: async () => {
      const connection: Connection = await createConnection(socketOptions);
      try {
        const migrator = drizzle(deadlineConnection(connection, migrationTimeoutMs), {
          schema,
          mode: 'default',
        });
        await migrate(migrator, { migrationsFolder: mysqlMigrationsFolder });
      } finally {
        connection.destroy();
      }
    },
    ping: (timeoutMs) => pingWithin(pool, timeoutMs),
  };
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
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
