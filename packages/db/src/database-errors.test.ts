import { describe, expect, it } from 'vitest';
import { causeChain, firstVerdict, hasErrorIn } from './database-errors.js';
import { isNodeFailure, isNodeNotReady, mysqlErrors } from './mysql/mysql-errors.js';
import { sqliteErrors } from './sqlite/sqlite-dialect.js';
import { isTransientDatabaseError } from './transient-errors.js';

/** A driver error as mysql2 or libsql throws it, wrapped the way drizzle wraps it. */
function driverError(fields: { code?: string; errno?: number; fatal?: boolean }, message = 'x') {
  const inner = Object.assign(new Error(message), fields);
  return new Error('Failed query: ...', { cause: inner });
}

describe('the cause chain', () => {
  it('is walked outermost first, and stops at anything that is not an Error', () => {
    const inner = new Error('inner');
    const outer = new Error('outer', { cause: inner });
    expect([...causeChain(outer)]).toEqual([outer, inner]);
    expect([...causeChain(new Error('a', { cause: 'text' }))]).toHaveLength(1);
    expect([...causeChain('not an error')]).toEqual([]);
  });

  it('finds a code or errno anywhere in it', () => {
    const set = { codes: new Set(['A']), errnos: new Set([7]) };
    expect(hasErrorIn(driverError({ code: 'A' }), set)).toBe(true);
    expect(hasErrorIn(driverError({ errno: 7 }), set)).toBe(true);
    expect(hasErrorIn(driverError({ code: 'B', errno: 8 }), set)).toBe(false);
  });

  it('takes the first verdict given, false when there is none', () => {
    const error = driverError({ errno: 1 });
    expect(firstVerdict(error, (e) => (e.errno === 1 ? false : undefined))).toBe(false);
    expect(firstVerdict(error, (e) => (e.message === 'x' ? true : undefined))).toBe(true);
    expect(firstVerdict(error, () => undefined)).toBe(false);
  });
});

describe('MySQL errors', () => {
  it('retries a transaction on a deadlock or a lock wait; a deadlock alone counts as one', () => {
    expect(mysqlErrors.isLockConflict(driverError({ errno: 1213 }))).toBe(true);
    expect(mysqlErrors.isLockConflict(driverError({ errno: 1205 }))).toBe(true);
    expect(mysqlErrors.isDeadlock(driverError({ errno: 1213 }))).toBe(true);
    expect(mysqlErrors.isDeadlock(driverError({ errno: 1205 }))).toBe(false);
    expect(mysqlErrors.isLockConflict(driverError({ errno: 1062 }))).toBe(false);
  });

  it('calls the lost connection, the busy server and the statement limits transient', () => {
    for (const errno of [
      1040, 1047, 1053, 1205, 1213, 1317, 1927, 1969, 3024, 2002, 2003, 2006, 2013,
    ])
      expect(isTransientDatabaseError(driverError({ errno }))).toBe(true);
    for (const code of ['ECONNRESET', 'PROTOCOL_CONNECTION_LOST', 'DB_DEADLINE_EXCEEDED'])
      expect(isTransientDatabaseError(driverError({ code }))).toBe(true);
    expect(isTransientDatabaseError(driverError({ fatal: true }))).toBe(true);
    expect(isTransientDatabaseError(driverError({}, 'in closed state'))).toBe(true);
    expect(isTransientDatabaseError(driverError({ errno: 1062 }))).toBe(false);
    expect(isTransientDatabaseError(driverError({ code: 'EHOSTUNREACH' }))).toBe(false);
  });

  it("blames the node for what the node did, not for the statement's own fate", () => {
    expect(isNodeFailure(driverError({ code: 'EHOSTUNREACH' }))).toBe(true);
    expect(isNodeFailure(driverError({ errno: 1047 }))).toBe(true);
    expect(isNodeFailure(driverError({ fatal: true }))).toBe(true);
    expect(isNodeFailure(driverError({ errno: 1213, fatal: true }))).toBe(false);
    expect(isNodeFailure(driverError({ errno: 1927 }))).toBe(false);
    expect(isNodeNotReady(driverError({ errno: 1047 }))).toBe(true);
    expect(isNodeNotReady(driverError({ errno: 1040 }))).toBe(false);
  });
});

describe('SQLite errors', () => {
  it('calls a busy file transient and has no lock conflicts to retry', () => {
    expect(sqliteErrors.isTransient(driverError({ code: 'SQLITE_BUSY' }))).toBe(true);
    expect(isTransientDatabaseError(driverError({ code: 'SQLITE_BUSY' }))).toBe(true);
    expect(sqliteErrors.isLockConflict(driverError({ code: 'SQLITE_BUSY' }))).toBe(false);
  });
});
