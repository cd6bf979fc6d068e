/**
 * Errors that mean "the database is briefly unreachable", not "this statement is wrong": a
 * connection refused, dropped or killed, the server shutting down, a lock timeout, a busy
 * embedded file. Callers may retry these; anything else is final. Each dialect's classifier
 * says which of its errors are; this asks them all, as the caller need not know the dialect.
 */
import { mysqlErrors } from './mysql/mysql-errors.js';
import { sqliteErrors } from './sqlite/sqlite-dialect.js';

const classifiers = [mysqlErrors, sqliteErrors];

export function isTransientDatabaseError(error: unknown): boolean {
  return classifiers.some((classifier) => classifier.isTransient(error));
}
