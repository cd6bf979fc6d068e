/**
 * The tally of one run: every id's last outcome (by the keys of @ocs/domain's outcome table),
 * the ids still worth retrying, and the summary and progress made from them.
 */

import type { Outcome } from '@ocs/domain';
import { type OutcomeCounts, type RunProgress, zeroCounts } from '@ocs/domain';

export interface RunSummary {
  /** The stored run (`runs.*`); null when the server could not record it. */
  runId: string | null;
  /** Every id's last outcome in this run, by the keys of @ocs/domain's outcome table. */
  counts: OutcomeCounts;
  pending: number;
  completed: number;
  notFound: number;
  /** Orders that failed at least one requirement (they stay pending until their data changes). */
  failedRequirementOrders: number;
  /** Requirement failures by code, e.g. `{ 'ORDER.TOO_RECENT': 3 }`. */
  failedRequirements: Record<string, number>;
  /** Finished by another call meanwhile: done, but not by this run. */
  finishedElsewhere: number;
  notNotified: number;
  notUpdated: number;
  /** Held by another call (or a crashed one, until its lease ends). */
  claimedElsewhere: number;
  // The flat counts above and below are `counts` again, under the names the summary's JSON
  // has always had (read by scripts); `counts` is the one vocabulary.
  /** The request failed after it was sent (5xx, timeout, dropped connection). */
  requestFailed: number;
  /** The request never reached the server. */
  unreachable: number;
  /** Read from the pending pages but never sent: the run's deadline came first. */
  notTried: number;
  /** Ids that could still succeed but were left undone after every round. */
  leftUndone: number;
  /** The run stopped at RUN_DEADLINE_MS rather than after its rounds. */
  deadlineExceeded: boolean;
  /** Pending pages were left unread (the deadline came first): more ids may be pending. */
  morePending: boolean;
  /**
   * The run stopped sending because no lock renewal had succeeded for the lease minus one
   * renewal interval (`LockExpiredError`): another scheduler may hold the lock.
   */
  lockExpired: boolean;
  /**
   * SUBMITTED orders left out of the pending pages at the run's end because another call's
   * claim holds them (its lease has not ended): not done yet. Null when the server could not
   * say (an older server, or the question failed).
   */
  heldByOtherCalls: number | null;
  /** Age of the oldest of those claims, in the database's clock. */
  oldestClaimAgeMs: number | null;
  /** SUBMITTED orders held for an operator (`unconfirmed`): not sent until released. */
  heldForOperator: number | null;
  rounds: number;
  durationMs: number;
}

/** An outcome a later call may still change (the retryable ones of the outcome table). */
export type RetryableKind = Extract<
  Outcome,
  | 'not_notified'
  | 'not_updated'
  | 'claimed_elsewhere'
  | 'request_failed'
  | 'unreachable'
  | 'not_tried'
>;
export type FinalKind = Extract<Outcome, 'completed' | 'not_found' | 'finished_elsewhere'>;

/** Counts of one run; `retryable` holds the ids still to try with their last outcome. */
export class Tally {
  readonly final: Record<FinalKind, number> = { completed: 0, not_found: 0, finished_elsewhere: 0 };
  failedRequirementOrders = 0;
  readonly failedRequirements: Record<string, number> = {};
  readonly retryable = new Map<number, RetryableKind>();
  pending = 0;
  settled = 0;
  deadlineExceeded = false;
  morePending = false;
  lockExpired = false;

  settle(id: number, kind: FinalKind | RetryableKind) {
    const wasRetryable = this.retryable.delete(id);
    if (!wasRetryable) this.settled += 1;
    if (kind === 'completed' || kind === 'not_found' || kind === 'finished_elsewhere') {
      this.final[kind] += 1;
    } else {
      this.retryable.set(id, kind);
    }
  }

  failRequirements(id: number, codes: string[]) {
    if (!this.retryable.delete(id)) this.settled += 1;
    this.failedRequirementOrders += 1;
    for (const code of codes)
      this.failedRequirements[code] = (this.failedRequirements[code] ?? 0) + 1;
  }

  held: {
    heldByOtherCalls: number | null;
    oldestClaimAgeMs: number | null;
    heldForOperator: number | null;
  } = {
    heldByOtherCalls: null,
    oldestClaimAgeMs: null,
    heldForOperator: null,
  };

  counts(): OutcomeCounts {
    const counts = zeroCounts();
    for (const [kind, n] of Object.entries(this.final)) counts[kind as FinalKind] = n;
    counts.failed_requirements = this.failedRequirementOrders;
    for (const kind of this.retryable.values()) counts[kind] += 1;
    return counts;
  }

  progress(): RunProgress {
    return {
      expected: null,
      pending: this.pending,
      settled: this.settled,
      counts: this.counts(),
      failedRequirements: { ...this.failedRequirements },
    };
  }

  summary(rounds: number, started: number, runId: string | null): RunSummary {
    const counts = this.counts();
    return {
      runId,
      counts,
      pending: this.pending,
      completed: counts.completed,
      notFound: counts.not_found,
      failedRequirementOrders: counts.failed_requirements,
      failedRequirements: { ...this.failedRequirements },
      finishedElsewhere: counts.finished_elsewhere,
      notNotified: counts.not_notified,
      notUpdated: counts.not_updated,
      claimedElsewhere: counts.claimed_elsewhere,
      requestFailed: counts.request_failed,
      unreachable: counts.unreachable,
      notTried: counts.not_tried,
      leftUndone: this.retryable.size,
      deadlineExceeded: this.deadlineExceeded,
      morePending: this.morePending,
      lockExpired: this.lockExpired,
      ...this.held,
      rounds,
      durationMs: Date.now() - started,
    };
  }

  /** Every id the run could not complete, by why, so none is left undone in silence. */
  undoneIds(): Partial<Record<RetryableKind, number[]>> {
    const undone: Partial<Record<RetryableKind, number[]>> = {};
    for (const [id, kind] of [...this.retryable].sort(([a], [b]) => a - b)) {
      const ids = undone[kind] ?? [];
      ids.push(id);
      undone[kind] = ids;
    }
    return undone;
  }
}
