/**
 * A deadline on every wait for MySQL/MariaDB. mysql2 gives a query no deadline by default: on
 * a connection whose packets are dropped (no RST, no FIN) it waits forever, and its pool hands
 * that connection out again. So every statement drizzle or our own code sends goes through
 * this wrapper, which
 * - bounds the wait for a pooled connection and the statement together by one deadline
 *   (mysql2's per-query `timeout` gets what is left after the connection was acquired);
 * - destroys a connection whose statement missed its deadline, so the pool never reuses a
 *   connection with a command stuck on it (mysql2 leaves it in place and only rejects);
 * - answers with a `DatabaseDeadlineError`, which `isTransientDatabaseError` treats as
 *   "briefly unreachable".
 *
 * drizzle's mysql2 session calls `client.query(optionsOrSql, params)` on the pool, and
 * `pool.getConnection()` then `connection.query(...)` inside transactions (checked in
 * drizzle-orm 0.45 `mysql2/session.js`), so wrapping `query`, `execute` and `getConnection`
 * covers every statement.
 */
import type { Connection, PoolConnection } from 'mysql2/promise';
import { isNodeNotReady } from './mysql-errors.js';

/** Where pooled connections come from: one pool, or the nodes of a cluster. */
export interface ConnectionSource {
  getConnection(): Promise<PoolConnection>;
  /** Told of every statement error on a connection it gave (to move off a failing node). */
  reportError?(connection: object, error: unknown): void;
  /** How many nodes may be tried for one statement (a node that is not ready). Default 1. */
  readonly nodeCount?: number;
}

/** What `drizzle()` gets: a pool's statement methods, each with the deadline. */
export interface DeadlineClient {
  query(...args: unknown[]): Promise<unknown>;
  execute(...args: unknown[]): Promise<unknown>;
  getConnection(): Promise<PoolConnection>;
}

/** A statement or the wait for a connection did not finish within its deadline. */
export class DatabaseDeadlineError extends Error {
  override name = 'DatabaseDeadlineError';
  /** Read by `isTransientDatabaseError`: the database may answer again later. */
  readonly code = 'DB_DEADLINE_EXCEEDED';
  constructor(
    message: string,
    readonly deadlineMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface DeadlineOptions {
  /** The longest a statement may take, waiting for a connection included. */
  queryTimeoutMs: number;
}

type QueryMethod = 'query' | 'execute';

function isStatementTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'PROTOCOL_SEQUENCE_TIMEOUT';
}

/** `sql` or `{ sql, ... }` with `timeout` set, unless the caller set a shorter one. */
function withTimeout(statement: unknown, timeoutMs: number): unknown {
  const timeout = Math.max(1, Math.ceil(timeoutMs));
  if (typeof statement === 'string') return { sql: statement, timeout };
  if (statement !== null && typeof statement === 'object' && 'sql' in statement) {
    const own = (statement as { timeout?: unknown }).timeout;
    return { ...statement, timeout: typeof own === 'number' && own < timeout ? own : timeout };
  }
  return statement;
}

/** Resolves with a pooled connection, or rejects once `deadlineMs` has passed. */
function acquire(pool: ConnectionSource, deadlineMs: number): Promise<PoolConnection> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(
        new DatabaseDeadlineError(
          `No database connection within ${deadlineMs} ms: the database does not answer (or every pooled connection is busy)`,
          deadlineMs,
        ),
      );
    }, deadlineMs);
    pool.getConnection().then(
      (connection) => {
        // Too late for this caller: the pool may give it to the next.
        if (late) connection.release();
        else {
          clearTimeout(timer);
          resolve(connection);
        }
      },
      (error: unknown) => {
        if (late) return;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

type ErrorReport = ((connection: object, error: unknown) => void) | undefined;

async function runOn<T>(
  connection: Connection,
  method: QueryMethod,
  args: unknown[],
  timeoutMs: number,
  deadlineMs: number,
  report: ErrorReport,
): Promise<T> {
  const [statement, ...rest] = args;
  try {
    const run = connection[method] as (...a: unknown[]) => Promise<T>;
    return await run.call(connection, withTimeout(statement, timeoutMs), ...rest);
  } catch (error) {
    if (!isStatementTimeout(error)) {
      report?.(connection, error);
      throw error;
    }
    // The command is still queued on this connection: never let the pool hand it out again.
    connection.destroy();
    const late = new DatabaseDeadlineError(
      `The database did not answer within ${deadlineMs} ms; the connection was dropped`,
      deadlineMs,
      { cause: error },
    );
    report?.(connection, late);
    throw late;
  }
}

/**
 * A connection whose statements each have the deadline: the pooled ones of drizzle's
 * transactions, and the migrator's own connection.
 */
export function deadlineConnection<C extends Connection>(
  connection: C,
  queryTimeoutMs: number,
  report?: ErrorReport,
): C {
  return new Proxy(connection, {
    get(target, property, receiver) {
      if (property === 'query' || property === 'execute') {
        return (...args: unknown[]) =>
          runOn(target, property, args, queryTimeoutMs, queryTimeoutMs, report);
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Statements on connections from `source` (a pool, or a cluster's nodes), each with the
 * deadline. The returned object is what `drizzle()` gets.
 *
 * A statement outside a transaction that a node refuses as not ready (1047: it never ran) is
 * sent again on the next node, within the same deadline; every other error is the caller's.
 */
export function withDeadlines(source: ConnectionSource, options: DeadlineOptions): DeadlineClient {
  const { queryTimeoutMs } = options;
  const report = source.reportError?.bind(source);
  const statement =
    (method: QueryMethod, deadlineMs: number) =>
    async (...args: unknown[]) => {
      const started = performance.now();
      for (let attempt = 1; ; attempt++) {
        const left = deadlineMs - (performance.now() - started);
        const connection = await acquire(source, left);
        try {
          return await runOn(
            connection,
            method,
            args,
            deadlineMs - (performance.now() - started),
            deadlineMs,
            report,
          );
        } catch (error) {
          if (!isNodeNotReady(error) || attempt >= (source.nodeCount ?? 1)) throw error;
        } finally {
          // A no-op for a connection that was destroyed or broke (mysql2 removed it).
          connection.release();
        }
      }
    };
  return {
    query: statement('query', queryTimeoutMs),
    execute: statement('execute', queryTimeoutMs),
    getConnection: async () =>
      deadlineConnection(await acquire(source, queryTimeoutMs), queryTimeoutMs, report),
  };
}

/**
 * A trivial statement with its own (short) deadline, connection included: for readiness and
 * probes. `DO 1` rather than `SELECT 1`: a Galera node that rejects client queries
 * (`wsrep_reject_queries`) still answers a table-less SELECT, but refuses `DO` with 1047.
 */
export async function pingWithin(source: ConnectionSource, timeoutMs: number): Promise<void> {
  await withDeadlines(source, { queryTimeoutMs: timeoutMs }).query('DO 1');
}
