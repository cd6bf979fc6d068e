/**
 * The one walk over a database error's `cause` chain (drizzle wraps the driver's error, the
 * deadline pool wraps drizzle's), and the named sets every classifier of this package uses.
 * A classifier looks at each error of the chain in turn, outermost first.
 */

/** What drivers put on their errors: mysql2 a `code` and `errno` (and `fatal`), libsql a `code`. */
export interface DriverError extends Error {
  code?: unknown;
  errno?: unknown;
  fatal?: unknown;
}

/** Driver error codes and server errnos that mean one thing. */
export interface ErrorSet {
  readonly codes?: ReadonlySet<string>;
  readonly errnos?: ReadonlySet<number>;
}

/** The error and its causes, outermost first. */
export function* causeChain(error: unknown): Generator<DriverError> {
  for (let e: unknown = error; e instanceof Error; e = e.cause) yield e as DriverError;
}

/** Whether this one error (not its causes) carries a code or errno of `set`. */
export function inErrorSet(e: DriverError, set: ErrorSet): boolean {
  return (
    (typeof e.code === 'string' && set.codes?.has(e.code) === true) ||
    (typeof e.errno === 'number' && set.errnos?.has(e.errno) === true)
  );
}

/** Whether any error of the chain carries a code or errno of `set`. */
export function hasErrorIn(error: unknown, set: ErrorSet): boolean {
  for (const e of causeChain(error)) if (inErrorSet(e, set)) return true;
  return false;
}

/**
 * The first verdict `judge` gives along the chain (`undefined`: no opinion, ask the cause),
 * false when none does. For classifiers where an inner error can overrule an outer one.
 */
export function firstVerdict(
  error: unknown,
  judge: (e: DriverError) => boolean | undefined,
): boolean {
  for (const e of causeChain(error)) {
    const verdict = judge(e);
    if (verdict !== undefined) return verdict;
  }
  return false;
}

/** Joins sets: a code or errno of any of them. */
export function unionOf(...sets: ErrorSet[]): ErrorSet {
  return {
    codes: new Set(sets.flatMap((set) => [...(set.codes ?? [])])),
    errnos: new Set(sets.flatMap((set) => [...(set.errnos ?? [])])),
  };
}

/** How a dialect's errors are read: what may be retried, and by whom. */
export interface DatabaseErrorClassifier {
  /** Another transaction won (deadlock) or held the lock too long: run the transaction again. */
  isLockConflict(error: unknown): boolean;
  /** A deadlock only: the transaction was rolled back and may simply run again. */
  isDeadlock(error: unknown): boolean;
  /**
   * The database is briefly unreachable or busy (connection refused, dropped or killed, a lock
   * timeout, a busy file), not "this statement is wrong": callers may retry later.
   */
  isTransient(error: unknown): boolean;
}
