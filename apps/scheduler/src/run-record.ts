/**
 * The run as the server stores it (`runs.begin`, `runs.report`, `runs.end`): recorded at the
 * start, its progress sent as it goes, its end with a status and notes. A server that cannot
 * record it slows nothing down: reports are one at a time and every request is short.
 */
import type { RunProgress } from '@ocs/domain';
import type { Logger } from 'pino';
import type { ServerClient } from './client.js';
import { callServer, ServerUnavailableError } from './run-errors.js';
import { releaseTimeoutMs } from './run-lock.js';
import { type RunSummary, Tally } from './run-tally.js';

/** How the run is recorded: what started it, and the request it carries out. */
export interface RunTrigger {
  triggeredBy: 'cron' | 'run-once' | 'admin' | 'retry';
  /** A run requested from the admin app (or a retry), which this run carries out. */
  requestedRunId?: string | null;
}

/** How a run that ended is stored: done, or with orders a later run must still do. */
export function statusOf(s: RunSummary): 'finished' | 'finished_with_orders_left' {
  const held = (s.heldByOtherCalls ?? 0) + (s.heldForOperator ?? 0);
  return s.leftUndone > 0 || s.morePending || held > 0 ? 'finished_with_orders_left' : 'finished';
}

/** What the stored run says besides its counts. */
export function notesOf(s: RunSummary): string[] {
  const notes: string[] = [];
  if (s.deadlineExceeded) notes.push('Stopped by the run deadline (RUN_DEADLINE_MS).');
  if (s.lockExpired) notes.push('Stopped sending: the single-runner lock could not be renewed.');
  if (s.morePending) notes.push('More pending orders were not read.');
  if (s.heldByOtherCalls) {
    notes.push(
      `${s.heldByOtherCalls} orders were held by other calls' claims (retried by the next run).`,
    );
  }
  if (s.heldForOperator) {
    notes.push(
      `${s.heldForOperator} orders are held for an operator (release them on the claims page).`,
    );
  }
  return notes;
}

export class RunRecord {
  /** The stored run; null when the server could not record it. */
  id: string | null = null;
  /** The run this one retries (its ids are the parent's retryable failures). */
  retryOf: string | null = null;
  #expected: number | null = null;
  /** The latest progress not yet sent, and the report in flight (at most one). */
  #unsent: RunProgress | null = null;
  #reporting: Promise<void> | null = null;
  #reportFailed = false;

  constructor(
    private readonly client: ServerClient,
    private readonly holder: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Records the run: the requested one it carries out, or a new one. A server that cannot
   * record it does not stop a scheduled run; a retry needs its record (its ids).
   */
  async begin(trigger: RunTrigger, deadline: AbortSignal) {
    try {
      const run = await callServer(() =>
        this.client.runs.begin.mutate(
          {
            holder: this.holder,
            triggeredBy: trigger.triggeredBy,
            requestedRunId: trigger.requestedRunId ?? null,
          },
          // As short as the release: a server that does not answer leaves the run unrecorded,
          // not waiting.
          { signal: AbortSignal.any([deadline, AbortSignal.timeout(releaseTimeoutMs)]) },
        ),
      );
      this.id = run.id;
      this.retryOf = run.retryOf;
      this.#expected = run.expected;
      this.logger.info(
        {
          runId: run.id,
          triggeredBy: run.triggeredBy,
          retryOf: run.retryOf,
          expected: run.expected,
        },
        'run started',
      );
    } catch (error) {
      if (trigger.requestedRunId || error instanceof ServerUnavailableError) throw error;
      this.logger.warn({ err: error }, 'could not record the run; it goes on unrecorded');
    }
  }

  /** Sends the latest progress, one report at a time; a lost report is only a late screen. */
  report(tally: Tally) {
    if (!this.id) return;
    this.#unsent = { ...tally.progress(), expected: this.#expected };
    if (this.#reporting) return;
    const id = this.id;
    this.#reporting = (async () => {
      while (this.#unsent) {
        const progress = this.#unsent;
        this.#unsent = null;
        try {
          await this.client.runs.report.mutate(
            { id, holder: this.holder, progress },
            { signal: AbortSignal.timeout(releaseTimeoutMs) },
          );
        } catch (error) {
          if (!this.#reportFailed) {
            this.logger.warn({ err: error, runId: id }, "could not report the run's progress");
          }
          this.#reportFailed = true;
        }
      }
      this.#reporting = null;
    })();
  }

  /** `tally`: null when the run failed before counting anything. */
  async end(
    tally: Tally | null,
    status: 'finished' | 'finished_with_orders_left' | 'failed',
    error: string | null,
    notes: string[] = [],
  ) {
    if (!this.id) return;
    // Not waiting for a report in flight: one that arrives after the end changes nothing (the
    // server takes reports of running runs only).
    const counted = tally ?? new Tally();
    const progress = counted.progress();
    try {
      await callServer(() =>
        this.client.runs.end.mutate(
          {
            id: this.id as string,
            holder: this.holder,
            end: { ...progress, expected: counted.pending, status, error, notes },
          },
          { signal: AbortSignal.timeout(releaseTimeoutMs) },
        ),
      );
    } catch (endError) {
      this.logger.warn(
        { err: endError, runId: this.id },
        'could not record the end of the run; it shows as abandoned once its lock ends',
      );
    }
  }
}
