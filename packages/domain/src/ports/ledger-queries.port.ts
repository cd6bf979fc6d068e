import type { CompletionCallOutcome } from '../completion-call.js';
import type { OrderId } from '../order.js';
import type { LedgerState } from './completion-ledger.port.js';

/** An order's row in the completion ledger, as the admin app shows it. */
export interface LedgerEntry {
  orderId: OrderId;
  state: LedgerState;
  /** The run that holds (or last held) the claim; for `finished`, the run that finished it. */
  callId: string;
  claimedAt: Date;
  leaseUntil: Date;
  notifiedAt: Date | null;
  finishedAt: Date | null;
  /** How many calls have claimed it: above 1 means a lease ran out at least once. */
  claims: number;
}

/** One run that recorded an outcome for an order (a failure row in completion_call_orders). */
export interface OrderRunOutcome {
  callId: string;
  startedAt: Date;
  runOutcome: CompletionCallOutcome;
  /** The per-order outcome, e.g. `NOT_NOTIFIED`, `FAILED_REQUIREMENTS`. */
  outcome: string;
  /** The stored reason(s), parsed from JSON; null when none was stored. */
  reason: unknown;
}

/** Completions and failures of the runs that started on one UTC day. */
export interface RunsPerDay {
  /** `YYYY-MM-DD`, UTC. */
  day: string;
  runs: number;
  completed: number;
  failed: number;
}

export type ReleaseOutcome =
  /** A `claimed` row whose lease had ended was deleted: the next call sends it. */
  | 'released'
  /** A `notified` row's lease was ended: the next call finishes it without notifying. */
  | 'handed-over'
  /** No ledger row, or its lease has not ended (a live call holds it), or it is finished. */
  | 'not-stale';

/** Orders still SUBMITTED that the pending pages leave out because a claim holds them. */
export interface HeldClaims {
  /** Claimed by a call whose lease has not ended (in the database's clock). */
  heldByOtherCalls: number;
  /** How long ago the oldest of those was claimed (database clock); null when none is. */
  oldestClaimAgeMs: number | null;
  /** Held for an operator (`unconfirmed`): not sent again until someone releases them. */
  heldForOperator: number;
}

/**
 * Read-mostly queries over the completion ledger and the run records, for operators: what an
 * order went through, which claims were left behind by a process that died, runs per day.
 */
export interface LedgerQueries {
  entry(orderId: OrderId): Promise<LedgerEntry | null>;
  /** Newest first, at most `limit`. */
  orderHistory(orderId: OrderId, limit: number): Promise<OrderRunOutcome[]>;
  /**
   * Claims of orders still SUBMITTED that need an operator's eye, oldest first: `claimed` or
   * `notified` ones whose lease has ended (in the database's clock), and every `unconfirmed`
   * one. (A claim on an order finished by other means is left out: nothing is left to do.)
   */
  staleClaims(limit: number): Promise<LedgerEntry[]>;
  /** What the pending pages leave out because a live claim or an operator's hold has it. */
  heldClaims(): Promise<HeldClaims>;
  /** Releases one stale claim (see `ReleaseOutcome`); a live claim is never touched. */
  releaseStaleClaim(orderId: OrderId): Promise<ReleaseOutcome>;
  /** Days (UTC) with at least one run started at or after `since`, oldest first. */
  callsPerDay(since: Date): Promise<RunsPerDay[]>;
}
