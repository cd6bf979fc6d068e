/**
 * What several routers share: the input pieces they accept alike and the JSON views of the
 * ledger and of a completion call. The admin views send dates as ISO strings (the admin app
 * formats and compares them as such); superjson would carry Dates as well.
 */
import type { CompletionCallSummary, DatabaseClock, LedgerEntry } from '@ocs/domain';
import { z } from 'zod';

/** A scheduler run's or a completion call's id. */
export const idSchema = z.string().min(1).max(64);

/** The process holding the scheduler lock. */
export const holderSchema = z.string().min(1).max(128);

/** "The last `days` days", for the charts and the failure groups. */
export const daysInput = z.object({ days: z.number().int().min(1).max(366).default(30) });

/** The start of the last `days` days, in the database's clock (as the rows are timed). */
export async function daysAgo(clock: DatabaseClock, days: number): Promise<Date> {
  const now = await clock.now();
  return new Date(now.getTime() - days * 86_400_000);
}

/** A ledger row, with whether its lease has ended and how old its claim is at `now`. */
export function ledgerEntryJson(entry: LedgerEntry, now: Date) {
  return {
    ...entry,
    claimedAt: entry.claimedAt.toISOString(),
    leaseUntil: entry.leaseUntil.toISOString(),
    notifiedAt: entry.notifiedAt?.toISOString() ?? null,
    finishedAt: entry.finishedAt?.toISOString() ?? null,
    leaseEnded: entry.leaseUntil.getTime() <= now.getTime(),
    ageMs: Math.max(0, now.getTime() - entry.claimedAt.getTime()),
  };
}

/**
 * A completion call, with its duration and whether it is unfinished. A call still RUNNING
 * after a whole claim lease cannot be working any more: every claim it held has ended, so its
 * process died (a crashed replica) or was cut off. Calls are timed in the database's clock and
 * `now` is the database's, so a skewed replica judges this right.
 */
export function callJson(call: CompletionCallSummary, now: Date, claimLeaseMs: number) {
  const startedAt = new Date(call.startedAt);
  const finishedAt = call.finishedAt === null ? null : new Date(call.finishedAt);
  return {
    ...call,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt?.toISOString() ?? null,
    durationMs: finishedAt ? finishedAt.getTime() - startedAt.getTime() : null,
    unfinished: call.outcome === 'RUNNING' && now.getTime() - startedAt.getTime() > claimLeaseMs,
  };
}
