/**
 * The database's current time as an SQL expression, per dialect: the one clock in which every
 * lease and expiry is decided (see `DatabaseClock` in @ocs/domain). On a cluster each node
 * answers with its own clock, so their clocks are assumed to be kept in sync (NTP).
 */
import { type SQL, sql } from 'drizzle-orm';

/**
 * `UNIX_TIMESTAMP()` (whole seconds since the epoch, whatever the session's time zone) plus
 * the milliseconds of `NOW(6)`: both are the statement's start time, so the sum is exact and
 * constant within a statement. (`UNIX_TIMESTAMP(NOW(3))` would go through the session's time
 * zone and be an hour off in a DST change.)
 */
export const mySqlNowMs: SQL = sql.raw('(UNIX_TIMESTAMP() * 1000 + MICROSECOND(NOW(6)) DIV 1000)');

/** julianday('now') is the same for a whole statement; 2440587.5 is the Unix epoch's day. */
export const sqliteNowMs: SQL = sql.raw(
  "CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER)",
);

/** Reads the database's time through `all` (any executor's query function). */
export async function readDatabaseTime(
  all: (query: SQL) => Promise<{ now_ms: unknown }[]>,
  nowMs: SQL,
): Promise<Date> {
  const [row] = await all(sql`SELECT ${nowMs} AS now_ms`);
  const ms = Number(row?.now_ms);
  if (!Number.isSafeInteger(ms)) throw new Error('the database did not tell its time');
  return new Date(ms);
}
