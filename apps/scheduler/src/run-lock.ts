/**
 * The single-runner lock (`scheduler.acquireLock`): taken before the first page, renewed every
 * third of its lease while the run lasts, released at the end.
 *
 * Once no renewal has succeeded for the lease minus one renewal interval (measured from when
 * the last good request was sent, so a slow answer cannot stretch it), the run sends nothing
 * more: another scheduler may hold the lock by the time a batch would arrive.
 */
import { hostname } from 'node:os';
import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import type { Logger } from 'pino';
import type { ServerClient } from './client.js';
import type { RunDeadline } from './run-deadline.js';
import {
  callServer,
  isRetryableServerError,
  LockExpiredError,
  LockHeldError,
  ServerUnavailableError,
  unreachableError,
} from './run-errors.js';

export interface RunLockOptions {
  /** Lease of the lock; renewed every third of it (at least every second). */
  lockTtlMs: number;
  /** Retries of the first request while the server answers with a retryable 5xx. */
  retryAttempts: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  /** Named in the error when the first request gets no answer before the run's deadline. */
  runDeadlineMs?: number;
}

/** Releasing the lock at a run's end waits at most this long; its lease ends by itself. */
export const releaseTimeoutMs = 5000;

export class RunLock {
  /** Who holds it: this scheduler's name in the lock and in `scheduler.heartbeat`. */
  readonly holder = `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
  /** Set when a renewal finds another scheduler holds the lock: no new batch is sent. */
  #lost: LockHeldError | LockExpiredError | null = null;
  /** performance.now() when the last lock request that succeeded was sent. */
  #renewedAt = 0;

  constructor(
    private readonly client: ServerClient,
    private readonly options: RunLockOptions,
    private readonly logger: Logger,
  ) {}

  /** This run stopped sending because no renewal succeeded in time. */
  get expired(): boolean {
    return this.#lost instanceof LockExpiredError;
  }

  get #renewEveryMs(): number {
    return Math.max(1000, Math.floor(this.options.lockTtlMs / 3));
  }

  /**
   * The first lock request, tried again (with backoff, within the run's deadline) while the
   * server answers with a retryable 5xx: a database node lost a moment ago, a replica
   * restarting. Anything else ends the run as before.
   */
  async take(deadline: RunDeadline): Promise<void> {
    this.#lost = null;
    let backoff: IBackoff<unknown> | undefined = new ExponentialBackoff({
      initialDelay: this.options.retryInitialDelayMs,
      maxDelay: this.options.retryMaxDelayMs,
    }).next();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#acquire(deadline.signal);
        return;
      } catch (error) {
        if (!isRetryableServerError(error) || attempt > this.options.retryAttempts || !backoff) {
          throw error;
        }
        const delayMs = backoff.duration;
        backoff = backoff.next(undefined);
        this.logger.warn(
          { err: error, attempt, delayMs: Math.round(delayMs) },
          'the lock request failed with a retryable server error; trying again',
        );
        if (!(await deadline.sleep(delayMs))) throw error;
      }
    }
  }

  /** Renews the lock every third of its lease (renewals count against no deadline); returns stop. */
  keepRenewed(): () => void {
    const renew = setInterval(() => {
      this.#acquire().catch((error: unknown) => {
        // Another scheduler holds it now: this run sends no further batch.
        if (error instanceof LockHeldError) this.#lost = error;
        this.logger.error({ err: error }, 'could not renew the single-runner lock');
      });
    }, this.#renewEveryMs);
    renew.unref();
    return () => clearInterval(renew);
  }

  /** Before anything is sent: the lock is still ours, as far as this run can know. */
  throwIfGone() {
    if (this.#lost) throw this.#lost;
    const since = performance.now() - this.#renewedAt;
    if (since >= this.options.lockTtlMs - this.#renewEveryMs) {
      const expired = new LockExpiredError(since);
      this.logger.error({ sinceRenewalMs: Math.round(since) }, expired.message);
      this.#lost = expired;
      throw expired;
    }
  }

  /** Short: the lease ends by itself, and a run past its deadline must not wait long. */
  release(): Promise<void> {
    return callServer(() =>
      this.client.scheduler.releaseLock.mutate(
        { holder: this.holder },
        { signal: AbortSignal.timeout(releaseTimeoutMs) },
      ),
    ).then(
      () => undefined,
      (error: unknown) =>
        this.logger.warn({ err: error }, 'could not release the lock; it ends with its lease'),
    );
  }

  async #acquire(signal?: AbortSignal) {
    let lease: Awaited<ReturnType<ServerClient['scheduler']['acquireLock']['mutate']>>;
    const sentAt = performance.now();
    try {
      lease = await callServer(() =>
        this.client.scheduler.acquireLock.mutate(
          { holder: this.holder, ttlMs: this.options.lockTtlMs },
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
      throw unreachableError(error) ?? error;
    }
    if (!lease.acquired) throw new LockHeldError(lease.holder, String(lease.leaseUntil));
    this.#renewedAt = Math.max(this.#renewedAt, sentAt);
  }
}
