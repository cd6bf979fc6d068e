/** MySQL/MariaDB (mysql2) errors: the named errno and code sets, and the dialect's classifier. */
import {
  type DatabaseErrorClassifier,
  type DriverError,
  type ErrorSet,
  firstVerdict,
  hasErrorIn,
  inErrorSet,
  unionOf,
} from '../database-errors.js';

/** The server's (and the client library's 2xxx) error numbers this package reads. */
export const mysqlErrno = {
  tooManyConnections: 1040,
  /** MariaDB/Galera: "WSREP has not yet prepared node for application use". */
  nodeNotReady: 1047,
  serverShutdown: 1053,
  lockWaitTimeout: 1205,
  /** A deadlock, or in Galera a lost certification: the transaction was rolled back. */
  deadlock: 1213,
  queryInterrupted: 1317,
  connectionKilled: 1927,
  /** MariaDB's `max_statement_time`. */
  statementTimeout: 1969,
  /** MySQL's `max_execution_time`. */
  executionTimeout: 3024,
  cantConnectLocal: 2002,
  cantConnect: 2003,
  serverGoneAway: 2006,
  lostConnection: 2013,
} as const;

const e = mysqlErrno;

/** Deadlock only. */
export const deadlockErrors: ErrorSet = { errnos: new Set([e.deadlock]) };

/** Deadlock or lock wait timeout: this transaction lost to another one, not an error. */
export const lockConflictErrors: ErrorSet = {
  errnos: new Set([e.deadlock, e.lockWaitTimeout]),
};

/** Lock waits, deadlocks and slow statements: the statement's fate, not the node's. */
export const statementFateErrors: ErrorSet = {
  errnos: new Set([
    e.lockWaitTimeout,
    e.deadlock,
    e.queryInterrupted,
    e.statementTimeout,
    e.executionTimeout,
  ]),
};

/** The connection could not be opened, broke, or hit our own deadline (DatabaseDeadlineError). */
const connectionLostErrors: ErrorSet = {
  codes: new Set([
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    'PROTOCOL_CONNECTION_LOST',
    'PROTOCOL_SEQUENCE_TIMEOUT',
    'ER_CON_COUNT_ERROR',
    'ER_SERVER_SHUTDOWN',
    'DB_DEADLINE_EXCEEDED',
  ]),
};

/**
 * The node itself cannot serve, so another node of a cluster should be used: it cannot be
 * reached, is shutting down or full, or is a Galera node not ready for statements (not synced,
 * or not in the primary component).
 */
export const nodeDownErrors: ErrorSet = unionOf(connectionLostErrors, {
  codes: new Set(['EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']),
  errnos: new Set([
    e.nodeNotReady,
    e.tooManyConnections,
    e.serverShutdown,
    e.cantConnectLocal,
    e.cantConnect,
    e.serverGoneAway,
    e.lostConnection,
  ]),
});

/** Worth retrying later: the node's troubles, the statement's fate, a killed connection. */
export const transientErrors: ErrorSet = unionOf(
  connectionLostErrors,
  statementFateErrors,
  { errnos: nodeDownErrors.errnos ?? new Set() },
  {
    codes: new Set([
      'ER_CONNECTION_KILLED',
      'ER_QUERY_INTERRUPTED',
      'ER_LOCK_WAIT_TIMEOUT',
      'ER_LOCK_DEADLOCK',
    ]),
    errnos: new Set([e.connectionKilled]),
  },
);

/**
 * mysql2 marks errors that broke the connection as fatal (the pool replaces it); a pooled
 * connection the server killed, reused before the pool noticed, says "closed state".
 */
function brokeTheConnection(error: DriverError): boolean {
  return error.fatal === true || /closed state/i.test(error.message);
}

/** Whether `error` says the node itself cannot serve (so another node should be used). */
export function isNodeFailure(error: unknown): boolean {
  return firstVerdict(error, (cause) => {
    if (inErrorSet(cause, statementFateErrors)) return false;
    if (inErrorSet(cause, nodeDownErrors) || brokeTheConnection(cause)) return true;
    return undefined;
  });
}

export function isNodeNotReady(error: unknown): boolean {
  return hasErrorIn(error, { errnos: new Set([e.nodeNotReady]) });
}

export const mysqlErrors: DatabaseErrorClassifier = {
  isLockConflict: (error) => hasErrorIn(error, lockConflictErrors),
  isDeadlock: (error) => hasErrorIn(error, deadlockErrors),
  isTransient: (error) =>
    firstVerdict(error, (cause) =>
      inErrorSet(cause, transientErrors) || brokeTheConnection(cause) ? true : undefined,
    ),
};
