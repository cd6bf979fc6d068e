import type {
  FailureGroup,
  RunEnd,
  RunProgress,
  RunRequest,
  RunTrigger,
  SchedulerInstance,
  SchedulerReport,
  SchedulerRun,
} from '../scheduler-run.js';

export interface SchedulerRunPage {
  runs: SchedulerRun[];
  /** Pass as `before` to get older runs; null when there are none. */
  nextCursor: string | null;
}

/** A group of a run's failures: an outcome, and optionally one reason code of it. */
export interface FailureSelector {
  outcome?: string | null;
  reasonCode?: string | null;
}

/**
 * Scheduler runs and the schedulers themselves. A run still `running` whose holder no longer
 * holds the single-runner lock (its lease ended, in the database's clock) reads as `abandoned`.
 */
export interface SchedulerRunRepository {
  /** A run asked for from the admin app: `requested` until a scheduler takes it. */
  request(request: RunRequest): Promise<SchedulerRun>;
  /**
   * The holder of the lock starts a run: the requested one (if still requested) or a new one.
   * Runs still `running` are marked abandoned (one run at a time holds the lock). Null: the
   * request was gone.
   */
  begin(input: {
    holder: string;
    triggeredBy: RunTrigger;
    requestedRunId?: string | null;
  }): Promise<SchedulerRun | null>;
  /** Progress of a running run; false when the run is not this holder's (or has ended). */
  report(id: string, holder: string, progress: RunProgress): Promise<boolean>;
  end(id: string, holder: string, end: RunEnd): Promise<boolean>;
  findById(id: string): Promise<SchedulerRun | null>;
  /** Newest first. */
  list(query: { before?: string | undefined; limit: number }): Promise<SchedulerRunPage>;
  /** The retries requested of a run, newest first. */
  retriesOf(runId: string): Promise<SchedulerRun[]>;
  /** A requested run no scheduler has taken yet ends as failed (cancelled); false otherwise. */
  cancel(id: string): Promise<boolean>;
  /** The oldest run waiting for a scheduler. */
  nextRequested(): Promise<SchedulerRun | null>;
  heartbeat(report: SchedulerReport): Promise<void>;
  /** Schedulers that reported within the last day, newest heartbeat first. */
  instances(): Promise<SchedulerInstance[]>;
  /** The failures a run ended with (each order's last outcome in the run), grouped. */
  failureGroups(runId: string): Promise<FailureGroup[]>;
  /** Failures of every run since `since`, grouped: what keeps failing, since when. */
  failureGroupsSince(since: Date): Promise<FailureGroup[]>;
  /** Ids of a run's retryable failures still SUBMITTED, ascending, after `afterId`. */
  retryIds(
    runId: string,
    selector: FailureSelector,
    page: { afterId?: number | undefined; limit: number },
  ): Promise<{ ids: number[]; nextCursor: number | null }>;
}
