/**
 * Errors that mean "the database is briefly unreachable", not "this statement is wrong": a
 * connection refused, dropped or killed, the server shutting down, a lock timeout, a busy
 * embedded file. Callers may retry these; anything else is final.
 */
const transientCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'SQLITE_BUSY',
  // Our own deadline (DatabaseDeadlineError): no answer in time, the connection was dropped.
  'DB_DEADLINE_EXCEEDED',
]);

// Too many connections, shutdown, lock wait, deadlock (in Galera also a lost certification:
// the transaction was rolled back), interrupted, killed, the server's statement limit
// (MariaDB 1969 max_statement_time, MySQL 3024 max_execution_time), a Galera node not ready
// for statements (1047: not synced, or not in the primary component), and the client's
// "can't connect" / "gone away" / "lost connection" errors.
const transientErrnos = new Set([
  1040, 1047, 1053, 1205, 1213, 1317, 1927, 1969, 3024, 2002, 2003, 2006, 2013,
]);

export function isTransientDatabaseError(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const { code, errno, fatal } = e as { code?: unknown; errno?: unknown; fatal?: unknown };
    if (typeof code === 'string' && transientCodes.has(code)) return true;
    if (typeof errno === 'number' && transientErrnos.has(errno)) return true;
    // mysql2 marks errors that broke the connection as fatal; the pool replaces it.
    if (fatal === true) return true;
    // A pooled connection the server killed, reused before the pool noticed.
    if (/closed state/i.test(e.message)) return true;
  }
  return false;
}
