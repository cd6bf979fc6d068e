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
