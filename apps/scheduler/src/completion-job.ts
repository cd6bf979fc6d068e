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
 *
 * This file is the order of the steps; the parts live beside it: the lock (`run-lock.ts`), the
 * deadline (`run-deadline.ts`), the stored run (`run-record.ts`), the counts (`run-tally.ts`)
 * and what each failure means (`run-errors.ts`).
 */
import { type CompleteOrderResponse, classifyResponse, type RequirementFailure } from '@ocs/domain';
import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import type { Logger } from 'pino';
import { isCallTimeout, type ServerClient } from './client.js';
import { RunDeadline } from './run-deadline.js';
import {
  batchFailure,
  callServer,
  endsTheRun,
  RunDeadlineReached,
  unreachableError,
} from './run-errors.js';
import { RunLock, releaseTimeoutMs } from './run-lock.js';
import { notesOf, RunRecord, type RunTrigger, statusOf } from './run-record.js';
import { type RunSummary, Tally } from './run-tally.js';

export {
  BatchRejectedError,
  LockExpiredError,
  LockHeldError,
  ServerUnavailableError,
} from './run-errors.js';
export type { RunTrigger } from './run-record.js';
export type { RunSummary } from './run-tally.js';

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

export class CompletionJob {
  readonly #lock: RunLock;
  /** The run in progress: its deadline, its stored record and its counts. */
  #deadline: RunDeadline;
  #record: RunRecord;
  #tally: Tally | null = null;

  constructor(
    private readonly client: ServerClient,
    private readonly options: CompletionJobOptions,
    private readonly progress: Progress,
    private readonly logger: Logger,
  ) {
    this.#lock = new RunLock(client, options, logger);
    this.#deadline = new RunDeadline(undefined, logger);
    this.#record = new RunRecord(client, this.#lock.holder, logger);
  }

  /** Who this scheduler is: its lock holder name and its name in `scheduler.heartbeat`. */
  get instance(): string {
    return this.#lock.holder;
  }

  async run(trigger: RunTrigger = { triggeredBy: 'run-once' }): Promise<RunSummary> {
    const started = Date.now();
    this.#record = new RunRecord(this.client, this.#lock.holder, this.logger);
    this.#tally = null;
    this.#deadline = new RunDeadline(this.options.runDeadlineMs, this.logger);
    try {
      return await this.#runLocked(started, trigger);
    } finally {
      this.#deadline.clear();
    }
  }

  async #runLocked(started: number, trigger: RunTrigger): Promise<RunSummary> {
    // The first acquisition counts against the run's deadline; renewals only their own.
    await this.#lock.take(this.#deadline);
    const stopRenewing = this.#lock.keepRenewed();
    // Recording the run's end and releasing the lock go together, within one short wait: a
    // partitioned server must not hold the run's exit for each in turn.
    let ending: Promise<void> = Promise.resolve();
    try {
      await this.#record.begin(trigger, this.#deadline.signal);
      let summary: RunSummary;
      try {
        summary = await this.#run(started);
      } catch (error) {
        // The server keeps 1,000 characters of it.
        const message = error instanceof Error ? error.message : String(error);
        ending = this.#record.end(this.#tally, 'failed', message.slice(0, 1000));
        throw error;
      }
      ending = this.#record.end(this.#tally, statusOf(summary), null, notesOf(summary));
      return summary;
    } finally {
      stopRenewing();
      await Promise.all([ending, this.#lock.release()]);
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
        if (!(await this.#deadline.sleep(delayMs))) break;
        rounds += 1;
        await this.#completeAll([...tally.retryable.keys()], tally, started, rounds);
      }
    } catch (error) {
      if (!endsTheRun(error)) throw error;
    } finally {
      this.progress.stop();
    }
    tally.lockExpired = this.#lock.expired;
    if (this.#deadline.passed) tally.deadlineExceeded = true;
    else if (!tally.lockExpired) await this.#countHeld(tally);
    if (tally.retryable.size > 0) {
      this.logger.warn(
        { leftUndone: tally.retryable.size, undoneIds: tally.undoneIds() },
        'ids left undone by this run (the next run retries them)',
      );
    }
    return tally.summary(rounds, started, this.#record.id);
  }

  /** Before anything is sent: the lock is still ours and the deadline has not passed. */
  #throwIfCannotSend() {
    this.#lock.throwIfGone();
    this.#deadline.throwIfPassed();
  }

  /** A batch answered: the progress shown and reported. */
  #advance(tally: Tally, started: number, round: number) {
    this.progress.advance(
      tally.settled,
      tally.pending,
      tally.summary(round, started, this.#record.id),
    );
    this.#record.report(tally);
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
      this.#throwIfCannotSend();
      const batch: Promise<void> = this.#completeBatch(ids, tally)
        .then(
          () => this.#advance(tally, started, 1),
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
      this.#throwIfCannotSend();
      await this.#completeBatch(ids.slice(i, i + this.options.batchSize), tally);
      this.#advance(tally, started, round);
    }
  }

  async #page(cursor: number | null) {
    const signal = this.#deadline.signal;
    try {
      const retryOf = this.#record.retryOf;
      const runId = this.#record.id;
      // A retry works on its parent's retryable failures; any other run on the pending orders.
      return await callServer(() =>
        retryOf && runId
          ? this.client.runs.retryIds.query(
              { id: runId, cursor, limit: this.options.pageSize },
              { signal },
            )
          : this.client.orders.pendingCompletion.query(
              { cursor, limit: this.options.pageSize },
              { signal },
            ),
      );
    } catch (error) {
      if (this.#deadline.passed) throw new RunDeadlineReached('the run deadline passed');
      throw unreachableError(error) ?? error;
    }
  }

  /** Counts what other calls' claims hold, for the summary; unknown when the server cannot say. */
  async #countHeld(tally: Tally) {
    try {
      const held = await callServer(() =>
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
  async #completeBatch(orderIds: number[], tally: Tally) {
    let response: CompleteOrderResponse;
    try {
      response = await callServer(() =>
        this.client.orders.complete.mutate(
          { orderIds, ...(this.#record.id ? { runId: this.#record.id } : {}) },
          { signal: this.#deadline.signal },
        ),
      );
    } catch (error) {
      const failure = batchFailure(error);
      if ('lost' in failure) {
        // A call that timed out or that the run's deadline cut is a lost answer too.
        const kind = failure.lost;
        const cut = this.#deadline.passed;
        const why = cut ? 'cut by the run deadline' : isCallTimeout(error) ? 'timed out' : 'failed';
        this.logger.warn(
          { err: error, ids: orderIds.length, kind, why },
          cut
            ? 'completion request cut by the run deadline; the next run retries the ids'
            : `completion request ${why}; the ids are retried`,
        );
        for (const id of orderIds) tally.settle(id, kind);
        return;
      }
      response = failure.response;
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
}
