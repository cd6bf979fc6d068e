/**
 * Two clocks with two jobs. `Clock` is this process's: it gives the requirements their "now"
 * (the six-month rule) and nothing else. `DatabaseClock` is the coordinator's: every lease and
 * expiry (claims, take-overs, the scheduler's lock, stale claims, unfinished calls) is decided
 * in the database's time, so a replica whose own clock is off by minutes or hours never takes
 * over a live claim. The adapters compare with the database's time inside the statements; this
 * port is for the few places that need the time itself (run records, the admin views).
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface DatabaseClock {
  /** The database server's current time (on a cluster, any node's: their clocks are in sync). */
  now(): Promise<Date>;
}

/**
 * A database time read once, advanced by this process's monotonic timer: a call reads the
 * database's time when it starts and measures what follows, so its run record is in the
 * database's clock without a round trip per timestamp.
 */
export async function databaseTimeline(clock: DatabaseClock): Promise<() => Date> {
  const base = (await clock.now()).getTime();
  const readAt = performance.now();
  return () => new Date(base + Math.round(performance.now() - readAt));
}
