/** Test fixtures: a summary's `counts` from its flat fields (which the job derives the other way). */
import type { OutcomeCounts } from '@ocs/domain';
import type { RunSummary } from '../src/completion-job.js';

type Flat = Omit<RunSummary, 'counts' | 'runId'>;

export function withCounts<T extends Flat>(s: T): T & Pick<RunSummary, 'counts' | 'runId'> {
  const counts: OutcomeCounts = {
    completed: s.completed,
    finished_elsewhere: s.finishedElsewhere,
    not_found: s.notFound,
    failed_requirements: s.failedRequirementOrders,
    not_notified: s.notNotified,
    not_updated: s.notUpdated,
    claimed_elsewhere: s.claimedElsewhere,
    request_failed: s.requestFailed,
    unreachable: s.unreachable,
    not_tried: s.notTried,
  };
  return { runId: null, ...s, counts };
}

/** A run of two rounds with something of each kind: completed, failed requirements, left undone. */
export const twoRounds: RunSummary = withCounts({
  pending: 7,
  completed: 3,
  notFound: 1,
  failedRequirementOrders: 2,
  failedRequirements: { 'ORDER.TOO_RECENT': 2, 'ORDER.NOT_FULLY_DELIVERED': 1 },
  finishedElsewhere: 0,
  notNotified: 1,
  notUpdated: 0,
  claimedElsewhere: 0,
  requestFailed: 0,
  unreachable: 0,
  leftUndone: 1,
  notTried: 0,
  deadlineExceeded: false,
  morePending: false,
  lockExpired: false,
  heldByOtherCalls: 0,
  oldestClaimAgeMs: null,
  heldForOperator: 0,
  rounds: 2,
  durationMs: 1234,
});
