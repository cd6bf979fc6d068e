/**
 * One scheduled run: hold the single-runner lock, stream the pending orders page by page,
 * complete them in batches (a bounded number in flight), retry the ids that can still succeed
 * with backoff, and count each id's last outcome.
 *
 * Re-sending an id is always safe: the server's completion ledger skips orders another call
 * holds (CLAIMED_ELSEWHERE) and finishes acknowledged ones without notifying again. So a batch
 * whose answer was lost (timeout, dropped connection, a 5xx) is retried like any other
 * transient failure, and so is a call that timed out (CALL_TIMEOUT_MS, in the client). Memory
 * stays flat: only the ids still to retry are kept.
 *
 * The single-runner lock is renewed every third of its lease. Once no renewal has succeeded for
 * the lease minus one renewal interval (measured from when the last good request was sent),
 * the run sends nothing more: another scheduler may hold the lock by the time a batch would
 * arrive. It ends like a run past its deadline, with every id left counted and named, and
 * `lockExpired` set (the CLI exits 6).
 *
 * At the end, the orders the pending pages left out because other calls' live claims (or an
 * operator's hold) have them are counted (`scheduler.heldClaims`): the run is not done while
 * they are held, and says so (exit 3).
 *
 * A run has a deadline (RUN_DEADLINE_MS): once it passes, no batch or page is sent, calls in
 * flight are cut, no retry round starts, and the run ends with a summary that counts every id
 * it read and did not finish, by why; the CLI exits 5.
 */
import { hostname } from 'node:os';
import {
  type CompleteOrderResponse,
  classifyResponse,
  type Outcome,
  type OutcomeCounts,
  type RequirementFailure,
  type RunProgress,
  zeroCounts,
} from '@ocs/domain';
import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import type { Logger } from 'pino';
import { isCallTimeout, isServerError, type ServerClient } from './client.js';

export interface CompletionJobOptions {
  pageSize: number;
  batchSize: number;
  /** Batches in flight at once. */
  batchConcurrency: number;
  /** Rounds after the first for the ids that can still succeed. */
  retryAttempts: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  /** Lease of the single-runner lock; renewed every third of it while the run lasts. */
  lockTtlMs: number;
  /** The run ends by itself after this long, done or not. Default: none. */
  runDeadlineMs?: number;
}

export interface Progress {
  start(): void;
  /** `pending`: ids seen so far (grows while pages stream in); `settled`: ids with an outcome. */
  advance(settled: number, pending: number, summary: RunSummary): void;
  stop(): void;
}

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
type RetryableKind = Extract<
  Outcome,
  | 'not_notified'
  | 'not_updated'
  | 'claimed_elsewhere'
  | 'request_failed'
  | 'unreachable'
  | 'not_tried'
>;
type FinalKind = Extract<Outcome, 'completed' | 'not_found' | 'finished_elsewhere'>;

/** How the run is recorded: what started it, and the request it carries out. */
export interface RunTrigger {
  triggeredBy: 'cron' | 'run-once' | 'admin' | 'retry';
  /** A run requested from the admin app (or a retry), which this run carries out. */
  requestedRunId?: string | null;
}

/** The server could not be reached or refused the scheduler's token. */
export class ServerUnavailableError extends Error {
  override name = 'ServerUnavailableError';
  constructor(
    message: string,
    readonly reason: 'unreachable' | 'unauthorized',
  ) {
    super(message);
  }
}

/** The server rejected a batch as bad input (e.g. BATCH_SIZE above its MAX_IDS_PER_CALL). */
export class BatchRejectedError extends Error {
  override name = 'BatchRejectedError';
}

/** Another scheduler holds the single-runner lock. */
export class LockHeldError extends Error {
  override name = 'LockHeldError';
  constructor(
    readonly holder: string,
    readonly leaseUntil: string,
  ) {
    super(`Another scheduler (${holder}) is running; its lock lasts until ${leaseUntil}`);
  }
}

/**
 * No renewal of the single-runner lock succeeded for its lease minus one renewal interval:
 * the lock may have passed to another scheduler, so this run sent nothing more.
 */
export class LockExpiredError extends Error {
  override name = 'LockExpiredError';
  constructor(readonly sinceRenewalMs: number) {
    super(
      `The single-runner lock could not be renewed for ${Math.round(sinceRenewalMs)} ms (its lease may have ended): the run stopped sending`,
    );
  }
}

/** The run's deadline passed: what is left is reported, not sent. */
class RunDeadlineReached extends Error {
  override name = 'RunDeadlineReached';
}

/** How a run that ended is stored: done, or with orders a later run must still do. */
function statusOf(s: RunSummary): 'finished' | 'finished_with_orders_left' {
  const held = (s.heldByOtherCalls ?? 0) + (s.heldForOperator ?? 0);
  return s.leftUndone > 0 || s.morePending || held > 0 ? 'finished_with_orders_left' : 'finished';
}

/** What the stored run says besides its counts. */
function notesOf(s: RunSummary): string[] {
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

/** Why a run stops sending but still ends with a summary of what it left. */
function endsTheRun(error: unknown): boolean {
  return error instanceof RunDeadlineReached || error instanceof LockExpiredError;
}

function connectionRefused(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as NodeJS.ErrnoException).code === 'ECONNREFUSED') return true;
  }
  return false;
}

/** Releasing the lock at a run's end waits at most this long; its lease ends by itself. */
const releaseTimeoutMs = 5000;

/** Counts of one run; `retryable` holds the ids still to try with their last outcome. */
class Tally {
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
}

export class CompletionJob {
  readonly #holder = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
  /** Set when a renewal finds another scheduler holds the lock: no new batch is sent. */
  #lockLost: LockHeldError | LockExpiredError | null = null;
  /** performance.now() when the last lock request that succeeded was sent. */
  #lockRenewedAt = 0;
  /** Aborted when the run's deadline passes: pages and batches in flight are cut. */
  #deadline: AbortSignal = new AbortController().signal;
  /** The stored run (`runs.begin`), its parent when it is a retry, and what it expects. */
  #runId: string | null = null;
  #retryOf: string | null = null;
  #expected: number | null = null;
  #tally: Tally | null = null;
  /** The latest progress not yet sent, and the report in flight (at most one). */
  #unsent: RunProgress | null = null;
  #reporting: Promise<void> | null = null;
  #reportFailed = false;

  constructor(
    private readonly client: ServerClient,
    private readonly options: CompletionJobOptions,
    private readonly progress: Progress,
    private readonly logger: Logger,
  ) {}

  /** Who this scheduler is: its lock holder name and its name in `scheduler.heartbeat`. */
  get instance(): string {
    return this.#holder;
  }

  async run(trigger: RunTrigger = { triggeredBy: 'run-once' }): Promise<RunSummary> {
    const started = Date.now();
    this.#lockLost = null;
    this.#runId = null;
    this.#retryOf = null;
    this.#expected = null;
    this.#tally = null;
    this.#reportFailed = false;
    const deadline = new AbortController();
    this.#deadline = deadline.signal;
    const { runDeadlineMs } = this.options;
    const deadlineTimer =
      runDeadlineMs === undefined
        ? undefined
        : setTimeout(() => {
            this.logger.error(
              { runDeadlineMs },
              'the run reached its deadline (RUN_DEADLINE_MS): stopping; what is left is in the summary',
            );
            deadline.abort(
              new RunDeadlineReached(`the run's deadline of ${runDeadlineMs} ms passed`),
            );
          }, runDeadlineMs);
    try {
      return await this.#runLocked(started, trigger);
    } finally {
      clearTimeout(deadlineTimer);
    }
  }

  /**
   * The first lock request, tried again (with backoff, within the run's deadline) while the
   * server answers with a retryable 5xx: a database node lost a moment ago, a replica
   * restarting. Anything else ends the run as before.
   */
  async #takeLock(): Promise<void> {
    let backoff: IBackoff<unknown> | undefined = new ExponentialBackoff({
      initialDelay: this.options.retryInitialDelayMs,
      maxDelay: this.options.retryMaxDelayMs,
    }).next();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#acquireLock(this.#deadline);
        return;
      } catch (error) {
        const retryable =
          isServerError(error) &&
          (error.data?.httpStatus ?? 0) >= 500 &&
          (error.data as { retryable?: unknown } | undefined)?.retryable === true;
        if (!retryable || attempt > this.options.retryAttempts || !backoff) throw error;
        const delayMs = backoff.duration;
        backoff = backoff.next(undefined);
        this.logger.warn(
          { err: error, attempt, delayMs: Math.round(delayMs) },
          'the lock request failed with a retryable server error; trying again',
        );
        if (!(await this.#sleep(delayMs))) throw error;
      }
    }
  }

  async #runLocked(started: number, trigger: RunTrigger): Promise<RunSummary> {
    // The first acquisition counts against the run's deadline; renewals only their own.
    await this.#takeLock();
    const renew = setInterval(() => {
      this.#acquireLock().catch((error: unknown) => {
        // Another scheduler holds it now: this run sends no further batch.
        if (error instanceof LockHeldError) this.#lockLost = error;
        this.logger.error({ err: error }, 'could not renew the single-runner lock');
      });
    }, this.#renewEveryMs);
    renew.unref();
    // Recording the run's end and releasing the lock go together, within one short wait: a
    // partitioned server must not hold the run's exit for each in turn.
    let ending: Promise<void> = Promise.resolve();
    try {
      await this.#beginRun(trigger);
      let summary: RunSummary;
      try {
        summary = await this.#run(started);
      } catch (error) {
        // The server keeps 1,000 characters of it.
        const message = error instanceof Error ? error.message : String(error);
        ending = this.#endRun('failed', message.slice(0, 1000));
        throw error;
      }
      ending = this.#endRun(statusOf(summary), null, notesOf(summary));
      return summary;
    } finally {
      clearInterval(renew);
      const release = this.call(() =>
        // Short: the lease ends by itself, and a run past its deadline must not wait long.
        this.client.scheduler.releaseLock.mutate(
          { holder: this.#holder },
          { signal: AbortSignal.timeout(releaseTimeoutMs) },
        ),
      ).catch((error: unknown) =>
        this.logger.warn({ err: error }, 'could not release the lock; it ends with its lease'),
      );
      await Promise.all([ending, release]);
    }
  }

  /**
   * Records the run (`runs.begin`): the requested one it carries out, or a new one. A server
   * that cannot record it does not stop a scheduled run; a retry needs its record (its ids).
   */
  async #beginRun(trigger: RunTrigger) {
    try {
      const run = await this.call(() =>
        this.client.runs.begin.mutate(
          {
            holder: this.#holder,
            triggeredBy: trigger.triggeredBy,
            requestedRunId: trigger.requestedRunId ?? null,
          },
          // As short as the release: a server that does not answer leaves the run unrecorded,
          // not waiting.
          { signal: AbortSignal.any([this.#deadline, AbortSignal.timeout(releaseTimeoutMs)]) },
        ),
      );
      this.#runId = run.id;
      this.#retryOf = run.retryOf;
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
  #report(tally: Tally) {
    if (!this.#runId) return;
    this.#unsent = { ...tally.progress(), expected: this.#expected };
    if (this.#reporting) return;
    const id = this.#runId;
    this.#reporting = (async () => {
      while (this.#unsent) {
        const progress = this.#unsent;
        this.#unsent = null;
        try {
          await this.client.runs.report.mutate(
            { id, holder: this.#holder, progress },
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

  async #endRun(
    status: 'finished' | 'finished_with_orders_left' | 'failed',
    error: string | null,
    notes: string[] = [],
  ) {
    if (!this.#runId) return;
    // Not waiting for a report in flight: one that arrives after the end changes nothing (the
    // server takes reports of running runs only).
    const tally = this.#tally ?? new Tally();
    const progress = tally.progress();
    try {
      await this.call(() =>
        this.client.runs.end.mutate(
          {
            id: this.#runId as string,
            holder: this.#holder,
            end: { ...progress, expected: tally.pending, status, error, notes },
          },
          { signal: AbortSignal.timeout(releaseTimeoutMs) },
        ),
      );
    } catch (endError) {
      this.logger.warn(
        { err: endError, runId: this.#runId },
        'could not record the end of the run; it shows as abandoned once its lock ends',
      );
    }
  }

  async #run(started: number): Promise<RunSummary> {
    const tally = new Tally();
    this.#tally = tally;
    let rounds = 1;
    this.progress.start();
    try {
      await this.#firstRound(tally, started);
      // Retry rounds with exponential backoff (cockatiel's delays do not listen to a signal,
      // so the loop is ours): the deadline ends the wait and the rounds at once.
      let backoff: IBackoff<unknown> | undefined = new ExponentialBackoff({
        initialDelay: this.options.retryInitialDelayMs,
        maxDelay: this.options.retryMaxDelayMs,
      }).next();
      for (
        let attempt = 1;
        attempt <= this.options.retryAttempts && tally.retryable.size > 0 && backoff;
        attempt++
      ) {
        const delayMs = backoff.duration;
        backoff = backoff.next(undefined);
        this.logger.info(
          { ids: tally.retryable.size, delayMs: Math.round(delayMs) },
          'retrying ids',
        );
        if (!(await this.#sleep(delayMs))) break;
        rounds += 1;
        await this.#completeAll([...tally.retryable.keys()], tally, started, rounds);
      }
    } catch (error) {
      if (!endsTheRun(error)) throw error;
    } finally {
      this.progress.stop();
    }
    tally.lockExpired = this.#lockLost instanceof LockExpiredError;
    if (this.#deadline.aborted) tally.deadlineExceeded = true;
    else if (!tally.lockExpired) await this.#countHeld(tally);
    if (tally.retryable.size > 0) {
      // Every id the run could not complete, by why, so none is left undone in silence.
      const undone: Partial<Record<RetryableKind, number[]>> = {};
      for (const [id, kind] of [...tally.retryable].sort(([a], [b]) => a - b)) {
        const ids = undone[kind] ?? [];
        ids.push(id);
        undone[kind] = ids;
      }
      this.logger.warn(
        { leftUndone: tally.retryable.size, undoneIds: undone },
        'ids left undone by this run (the next run retries them)',
      );
    }
    return tally.summary(rounds, started, this.#runId);
  }

  /** Waits `ms`; false when the run's deadline came first. */
  #sleep(ms: number): Promise<boolean> {
    const signal = this.#deadline;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', stop);
        resolve(true);
      }, ms);
      const stop = () => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', stop, { once: true });
    });
  }

  #throwIfPastDeadline() {
    if (this.#deadline.aborted) throw new RunDeadlineReached('the run deadline passed');
  }

  get #renewEveryMs(): number {
    return Math.max(1000, Math.floor(this.options.lockTtlMs / 3));
  }

  /** Before anything is sent: the lock is still ours, as far as this run can know. */
  #throwIfLockGone() {
    if (this.#lockLost) throw this.#lockLost;
    // Measured from the last good request's sending, so a slow answer cannot stretch it.
    const since = performance.now() - this.#lockRenewedAt;
    if (since >= this.options.lockTtlMs - this.#renewEveryMs) {
      const expired = new LockExpiredError(since);
      this.logger.error({ sinceRenewalMs: Math.round(since) }, expired.message);
      this.#lockLost = expired;
      throw expired;
    }
  }

  /** Streams pending ids and completes them, `batchConcurrency` batches at a time. */
  async #firstRound(tally: Tally, started: number) {
    let cursor: number | null = null;
    let nextPage = this.#page(cursor);
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | null = null;
    let buffer: number[] = [];
    const launch = async (ids: number[]) => {
      while (inFlight.size >= this.options.batchConcurrency) await Promise.race(inFlight);
      if (failure) throw failure.error;
      this.#throwIfLockGone();
      this.#throwIfPastDeadline();
      const batch: Promise<void> = this.completeBatch(ids, tally)
        .then(
          () => {
            this.progress.advance(
              tally.settled,
              tally.pending,
              tally.summary(1, started, this.#runId),
            );
            this.#report(tally);
          },
          (error: unknown) => {
            failure ??= { error }; // a fatal answer (e.g. a refused token) ends the run
          },
        )
        .finally(() => inFlight.delete(batch));
      inFlight.add(batch);
    };
    try {
      do {
        const page = await nextPage;
        cursor = page.nextCursor;
        // Fetch the next page while this one's batches are in flight.
        if (cursor !== null) nextPage = this.#page(cursor);
        tally.pending += page.ids.length;
        buffer.push(...page.ids);
        while (buffer.length >= this.options.batchSize) {
          await launch(buffer.slice(0, this.options.batchSize));
          buffer = buffer.slice(this.options.batchSize);
        }
      } while (cursor !== null);
      if (buffer.length > 0) await launch(buffer);
    } catch (error) {
      if (!endsTheRun(error)) {
        await Promise.allSettled(inFlight);
        throw error;
      }
      // Read but never sent: reported, and retried by the next run.
      for (const id of buffer) tally.settle(id, 'not_tried');
      tally.morePending = cursor !== null;
      nextPage.catch(() => undefined);
    }
    await Promise.all(inFlight);
    if (failure) throw (failure as { error: unknown }).error;
  }

  async #completeAll(ids: number[], tally: Tally, started: number, round: number) {
    for (let i = 0; i < ids.length; i += this.options.batchSize) {
      this.#throwIfLockGone();
      this.#throwIfPastDeadline();
      await this.completeBatch(ids.slice(i, i + this.options.batchSize), tally);
      this.progress.advance(
        tally.settled,
        tally.pending,
        tally.summary(round, started, this.#runId),
      );
      this.#report(tally);
    }
  }

  async #page(cursor: number | null) {
    try {
      const retryOf = this.#retryOf;
      const runId = this.#runId;
      // A retry works on its parent's retryable failures; any other run on the pending orders.
      return await this.call(() =>
        retryOf && runId
          ? this.client.runs.retryIds.query(
              { id: runId, cursor, limit: this.options.pageSize },
              { signal: this.#deadline },
            )
          : this.client.orders.pendingCompletion.query(
              { cursor, limit: this.options.pageSize },
              { signal: this.#deadline },
            ),
      );
    } catch (error) {
      if (this.#deadline.aborted) throw new RunDeadlineReached('the run deadline passed');
      // No answer at all (as opposed to an error response): the server is not there.
      if (isServerError(error) && !error.data) {
        throw new ServerUnavailableError(
          `Cannot reach the server: ${error.message}`,
          'unreachable',
        );
      }
      throw error;
    }
  }

  async #acquireLock(signal?: AbortSignal) {
    let lease: Awaited<ReturnType<ServerClient['scheduler']['acquireLock']['mutate']>>;
    const sentAt = performance.now();
    try {
      lease = await this.call(() =>
        this.client.scheduler.acquireLock.mutate(
          { holder: this.#holder, ttlMs: this.options.lockTtlMs },
          { signal },
        ),
      );
    } catch (error) {
      if (signal?.aborted) {
        throw new ServerUnavailableError(
          `Cannot reach the server: no answer to the lock request before the run's deadline of ${this.options.runDeadlineMs} ms passed (RUN_DEADLINE_MS)`,
          'unreachable',
        );
      }
      if (isServerError(error) && !error.data) {
        throw new ServerUnavailableError(
          `Cannot reach the server: ${error.message}`,
          'unreachable',
        );
      }
      throw error;
    }
    if (!lease.acquired) throw new LockHeldError(lease.holder, String(lease.leaseUntil));
    this.#lockRenewedAt = Math.max(this.#lockRenewedAt, sentAt);
  }

  /** Counts what other calls' claims hold, for the summary; unknown when the server cannot say. */
  async #countHeld(tally: Tally) {
    try {
      const held = await this.call(() =>
        this.client.scheduler.heldClaims.query(undefined, {
          signal: AbortSignal.timeout(releaseTimeoutMs),
        }),
      );
      tally.held = held;
      if (held.heldByOtherCalls > 0 || held.heldForOperator > 0) {
        this.logger.warn(
          held,
          'orders held by other calls (or for an operator) were left out of this run',
        );
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'could not count the orders held by other calls');
    }
  }

  /** Records each id's outcome; the server's 400 with a response is an outcome too. */
  private async completeBatch(orderIds: number[], tally: Tally) {
    let response: CompleteOrderResponse;
    try {
      response = await this.call(() =>
        this.client.orders.complete.mutate(
          { orderIds, ...(this.#runId ? { runId: this.#runId } : {}) },
          { signal: this.#deadline },
        ),
      );
    } catch (error) {
      if (isServerError(error) && error.data?.completion) {
        response = error.data.completion.response;
      } else if (error instanceof ServerUnavailableError && error.reason === 'unauthorized') {
        throw error; // a wrong token will not fix itself
      } else if (isServerError(error) && error.data?.code === 'BAD_REQUEST') {
        throw new BatchRejectedError(`The server rejected a batch: ${error.message}`);
      } else {
        // Safe to send again: the ledger keeps every order notified once. A call that timed
        // out or that the run's deadline cut is a lost answer too.
        const kind = connectionRefused(error) ? 'unreachable' : 'request_failed';
        const why = this.#deadline.aborted
          ? 'cut by the run deadline'
          : isCallTimeout(error)
            ? 'timed out'
            : 'failed';
        this.logger.warn(
          { err: error, ids: orderIds.length, kind, why },
          this.#deadline.aborted
            ? 'completion request cut by the run deadline; the next run retries the ids'
            : `completion request ${why}; the ids are retried`,
        );
        for (const id of orderIds) tally.settle(id, kind);
        return;
      }
    }
    for (const { orderId, outcome, reason } of classifyResponse(response)) {
      if (outcome === 'failed_requirements') {
        tally.failRequirements(
          orderId,
          (reason as RequirementFailure[]).map((r) => r.code),
        );
      } else {
        tally.settle(orderId, outcome);
        if (outcome !== 'completed')
          this.logger.debug({ orderId, outcome, reason }, 'order not completed by this call');
      }
    }
  }

  /** Turns "cannot reach the server" and auth failures into one error the CLI exits on. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (isServerError(error)) {
        const code = error.data?.code;
        if (code === 'UNAUTHORIZED' || code === 'FORBIDDEN') {
          throw new ServerUnavailableError(
            `The server refused the scheduler's token: ${error.message}`,
            'unauthorized',
          );
        }
      }
      throw error;
    }
  }
}
