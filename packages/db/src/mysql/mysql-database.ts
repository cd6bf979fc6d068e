/** Opens a mysql2 pool and puts the repositories, migrations and health checks on it. */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/mysql2';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import { type Connection, createConnection } from 'mysql2/promise';
import type { OrderRepositoryOptions } from '../chunks.js';
import { redactConnectionString, splitMySqlNodes } from '../connection-string.js';
import {
  type DialectConnection,
  defaultPingTimeoutMs,
  handleOf,
  type PoolStats,
} from '../database.js';
import { type SqlRepositories, sqlRepositories } from '../repositories.js';
import * as schema from '../schema/mysql-schema.js';
import { deadlineConnection, pingWithin, withDeadlines } from './deadline-pool.js';
import { withMigrationLock } from './migration-lock.js';
import { type MySqlDatabase, mysqlDialect } from './mysql-dialect.js';
import { MySqlNodes, type NodeHealth } from './mysql-nodes.js';

export const mysqlMigrationsFolder = fileURLToPath(new URL('../../drizzle/mysql', import.meta.url));

/**
 * Whether the database has every migration of the journal already (drizzle applies those
 * newer than its last `created_at`). Then no lock is needed: a replica restarting beside one
 * that died holding the migration lock starts at once instead of waiting out its lease.
 */
async function migrationsUpToDate(connection: Pick<Connection, 'query'>): Promise<boolean> {
  const journal = JSON.parse(
    readFileSync(join(mysqlMigrationsFolder, 'meta/_journal.json'), 'utf8'),
  ) as { entries: { when: number }[] };
  const newest = Math.max(...journal.entries.map((entry) => entry.when));
  try {
    const [rows] = await connection.query('SELECT MAX(created_at) AS at FROM __drizzle_migrations');
    const at = (rows as { at: number | string | null }[])[0]?.at;
    return at !== null && at !== undefined && Number(at) >= newest;
  } catch {
    return false; // no migrations table yet: a first install
  }
}

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
  /**
   * Several hosts (a cluster): how long a node that failed is left alone before it is pinged
   * and, if it answers, used again. Default 2,000 ms.
   */
  restoreNodeAfterMs?: number;
  /**
   * MariaDB Galera: `wsrep_sync_wait` of every connection (1: a read waits until this node
   * has applied every write the cluster committed before it, so a read on one node sees a
   * claim made on another). Ignored by servers without it. Default 1; 0 turns it off.
   */
  wsrepSyncWait?: number;
  /** Told when a node of a cluster stops or starts being used (logs). */
  onNodeChange?: (node: string, up: boolean, error?: unknown) => void;
}

export const mysqlDefaults = {
  queryTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  keepAliveInitialDelayMs: 5_000,
  migrationTimeoutMs: 600_000,
  restoreNodeAfterMs: 2_000,
  wsrepSyncWait: 1,
} as const;

export interface MySqlConnection extends SqlRepositories {
  /** The database servers, one pool each (one for a single host). */
  nodes: MySqlNodes;
  db: MySqlDatabase;
  migrate(): Promise<void>;
  /** `SELECT 1` within `timeoutMs`, the wait for a connection included, on the node in use. */
  ping(timeoutMs: number): Promise<void>;
  /** `SELECT 1` on every node at once, each within `timeoutMs`. */
  nodeHealth(timeoutMs: number): Promise<NodeHealth[]>;
  close(): Promise<void>;
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
  const {
    queryTimeoutMs,
    connectTimeoutMs,
    keepAliveInitialDelayMs,
    migrationTimeoutMs,
    restoreNodeAfterMs,
    wsrepSyncWait,
  } = { ...mysqlDefaults, ...definedOnly(options) };
  const socketOptions = {
    connectTimeout: connectTimeoutMs,
    enableKeepAlive: true,
    keepAliveInitialDelay: keepAliveInitialDelayMs,
  };
  const nodeUrls = splitMySqlNodes(url);
  const nodes = new MySqlNodes(nodeUrls, {
    pool: { ...socketOptions, connectionLimit: options.connectionLimit ?? 10 },
    restoreAfterMs: restoreNodeAfterMs,
    ping: (pool) => pingWithin(pool, Math.min(queryTimeoutMs, 2_000)),
    onChange: (node, up, error) => options.onNodeChange?.(node.name, up, error),
  });
  for (const pool of nodes.pools) {
    // Queued before the connection's first statement, so no statement runs without them.
    pool.on('connection', (connection) => {
      const core = connection as unknown as {
        query(options: { sql: string; timeout: number }, callback: (error: unknown) => void): void;
      };
      const mariaDb = isMariaDb(connection);
      // A failure here breaks the connection (fatal) or leaves the client deadline alone in
      // charge; either way the statement that follows reports it.
      core.query(
        { sql: statementLimitSql(mariaDb, queryTimeoutMs), timeout: queryTimeoutMs },
        () => {},
      );
      // Galera's causal reads. A MariaDB without wsrep ignores it (the variable exists, with
      // wsrep off it does nothing); MySQL has no such variable, so it is not sent there.
      if (mariaDb && wsrepSyncWait > 0) {
        core.query(
          {
            sql: `SET SESSION wsrep_sync_wait = ${Math.trunc(wsrepSyncWait)}`,
            timeout: queryTimeoutMs,
          },
          () => {},
        );
      }
    });
  }
  const client = withDeadlines(nodes, { queryTimeoutMs });
  // drizzle calls query/execute/getConnection only (see deadline-pool.ts).
  const db = drizzle(client as never, { schema, mode: 'default' }) as unknown as MySqlDatabase;
  return {
    ...sqlRepositories(mysqlDialect(db), options),
    nodes,
    db,
    // Its own connection, without the pool's statement limit: DDL on a large table takes long.
    // One migrator at a time, across every node of a cluster (see migration-lock.ts).
    migrate: async () => {
      const connection = await connectToFirst(
        nodes.current.name,
        nodeUrls.map((node) => ({ ...node, options: socketOptions })),
      );
      try {
        const bounded = deadlineConnection(connection, migrationTimeoutMs);
        if (await migrationsUpToDate(bounded)) return;
        await withMigrationLock(bounded, async () => {
          const migrator = drizzle(bounded, { schema, mode: 'default' });
          await migrate(migrator, { migrationsFolder: mysqlMigrationsFolder });
        });
      } finally {
        connection.destroy();
      }
    },
    ping: (timeoutMs) => pingWithin(nodes, timeoutMs),
    nodeHealth: (timeoutMs) => nodes.health((pool) => pingWithin(pool, timeoutMs)),
    close: () => nodes.end(),
  };
}

/** A connection to the node in use, or else to the first other node that accepts one. */
async function connectToFirst(
  preferred: string,
  nodeUrls: { name: string; url: string; options: object }[],
): Promise<Connection> {
  const ordered = [
    ...nodeUrls.filter((node) => node.name === preferred),
    ...nodeUrls.filter((node) => node.name !== preferred),
  ];
  let lastError: unknown;
  for (const node of ordered) {
    try {
      return await createConnection({ ...node.options, uri: node.url });
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(options).filter(([, value]) => value !== undefined),
  ) as Partial<T>;
}

/**
 * mysql2 keeps its pool's counts in fields it does not type: read them defensively. Summed
 * over the nodes of a cluster (each has its own pool of `limit`).
 */
function mysqlPoolStats(pools: readonly unknown[], limit: number): PoolStats {
  const stats: PoolStats = { limit: limit * pools.length, open: 0, idle: 0, waiting: 0 };
  for (const pool of pools) {
    const core = (pool as { pool?: Record<string, { length?: number } | undefined> }).pool ?? {};
    stats.open += core._allConnections?.length ?? 0;
    stats.idle += core._freeConnections?.length ?? 0;
    stats.waiting += core._connectionQueue?.length ?? 0;
  }
  return stats;
}

/** `connectMySql` as `openDatabase` hands it out. */
export function openMySql(url: string, options: MySqlConnectionOptions = {}): DialectConnection {
  const mysql = connectMySql(url, options);
  return handleOf(mysql, {
    dialect: 'mysql',
    redactedUrl: redactConnectionString(url),
    migrate: mysql.migrate,
    ping: (timeoutMs = defaultPingTimeoutMs) => mysql.ping(timeoutMs),
    nodeHealth: (timeoutMs = defaultPingTimeoutMs) => mysql.nodeHealth(timeoutMs),
    poolStats: () => mysqlPoolStats(mysql.nodes.pools, options.connectionLimit ?? 10),
    close: () => mysql.close(),
  });
}
