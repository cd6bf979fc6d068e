/**
 * Errors that mean "the database is briefly unreachable", not "this statement is wrong": a
 * connection refused, dropped or killed, the server shutting down, a lock timeout, a busy
 * embedded file. Callers may retry these; anything else is final. Each dialect's classifier
 * says which of its errors are; this asks them all, as the caller need not know the dialect.
 */
import { dialects } from './dialects.js';

export function isTransientDatabaseError(error: unknown): boolean {
  return dialects.some((dialect) => dialect.errors.isTransient(error));
}
