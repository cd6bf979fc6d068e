/**
 * One scheduled run: page through the pending orders, complete them in batches, retry the
 * ids that can still succeed with backoff, and summarise each id's last outcome.
 *
 * Never sends an id twice when the first request's outcome is unknown (a timeout or a
 * dropped connection after the request left): the server may still be notifying it. Those
 * ids are left for the next run. Ids whose request never reached the server (connection
 * refused) are safe to retry.
 */
import { type CompleteOrderResponse, retryableOrderIds } from '@ocs/domain';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import type { Logger } from 'pino';
import { isServerError, type ServerClient } from './client.js';

export interface CompletionJobOptions {
  pageSize: number;
  batchSize: number;
  /** Rounds after the first for the ids that can still succeed. */
  retryAttempts: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
}

export interface Progress {
  start(total: number): void;
  advance(done: number, summary: RunSummary): void;
  stop(): void;
}

export interface RunSummary {
  pending: number;
  completed: number;
  notFound: number;
  /** Orders that failed at least one requirement (they stay pending until their data changes). */
  failedRequirementOrders: number;
  /** Requirement failures by code, e.g. `{ 'ORDER.TOO_RECENT': 3 }`. */
  failedRequirements: Record<string, number>;
  notNotified: number;
  notUpdated: number;
  /** Ids whose request never reached the server, after every round. */
  unreachable: number;
  /** Ids whose request failed after it was sent (timeout, 5xx): left for the next run. */
  outcomeUnknown: number;
  rounds: number;
  durationMs: number;
}

type Outcome =
  | { kind: 'completed' | 'notFound' | 'notNotified' | 'notUpdated' | 'unreachable' | 'unknown' }
  | { kind: 'failedRequirements'; codes: string[] };

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

class RetryableIdsRemain extends Error {}

function connectionRefused(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as NodeJS.ErrnoException).code === 'ECONNREFUSED') return true;
  }
  return false;
}

export class CompletionJob {
  constructor(
    private readonly client: ServerClient,
    private readonly options: CompletionJobOptions,
    private readonly progress: Progress,
    private readonly logger: Logger,
  ) {}

  async run(): Promise<RunSummary> {
    const started = Date.now();
    const pending = await this.pendingIds();
    const outcomes = new Map<number, Outcome>();
    let rounds = 0;
    this.progress.start(pending.length);
    let remaining = pending;

    const policy = retry(
      handleWhen((e) => e instanceof RetryableIdsRemain),
      {
        maxAttempts: this.options.retryAttempts,
        backoff: new ExponentialBackoff({
          initialDelay: this.options.retryInitialDelayMs,
          maxDelay: this.options.retryMaxDelayMs,
        }),
      },
    );
    policy.onRetry(({ delay }) =>
      this.logger.info({ ids: remaining.length, delayMs: Math.round(delay) }, 'retrying ids'),
    );

    try {
      await policy.execute(async () => {
        rounds += 1;
        for (let i = 0; i < remaining.length; i += this.options.batchSize) {
          await this.completeBatch(remaining.slice(i, i + this.options.batchSize), outcomes);
        }
        remaining = remaining.filter((id) => {
          const kind = outcomes.get(id)?.kind;
          return kind === 'notNotified' || kind === 'notUpdated' || kind === 'unreachable';
        });
        this.progress.advance(
          pending.length - remaining.length,
          summarise(pending, outcomes, rounds, started),
        );
        if (remaining.length > 0) throw new RetryableIdsRemain();
      });
    } catch (error) {
      if (!(error instanceof RetryableIdsRemain)) throw error;
    } finally {
      this.progress.stop();
    }
    return summarise(pending, outcomes, rounds, started);
  }

  private async pendingIds(): Promise<number[]> {
    const ids: number[] = [];
    let cursor: number | null = null;
    try {
      do {
        const page = await this.call(() =>
          this.client.orders.pendingCompletion.query({ cursor, limit: this.options.pageSize }),
        );
        ids.push(...page.ids);
        cursor = page.nextCursor;
      } while (cursor !== null);
    } catch (error) {
      // No answer at all (as opposed to an error response): the server is not there.
      if (isServerError(error) && !error.data) {
        throw new ServerUnavailableError(
          `Cannot reach the server: ${error.message}`,
          'unreachable',
        );
      }
      throw error;
    }
    return ids;
  }

  /** Records each id's outcome; the server's 400 with a response is an outcome too. */
  private async completeBatch(orderIds: number[], outcomes: Map<number, Outcome>) {
    let response: CompleteOrderResponse;
    try {
      response = await this.call(() => this.client.orders.complete.mutate({ orderIds }));
    } catch (error) {
      if (isServerError(error) && error.data?.completion) {
        response = error.data.completion.response;
      } else if (error instanceof ServerUnavailableError && error.reason === 'unauthorized') {
        throw error; // a wrong token will not fix itself
      } else if (isServerError(error) && error.data?.code === 'BAD_REQUEST') {
        throw new BatchRejectedError(`The server rejected a batch: ${error.message}`);
      } else {
        const kind = connectionRefused(error) ? 'unreachable' : 'unknown';
        this.logger.warn({ err: error, ids: orderIds.length, kind }, 'completion request failed');
        for (const id of orderIds) outcomes.set(id, { kind });
        return;
      }
    }
    for (const id of response.completedOrderIds) outcomes.set(id, { kind: 'completed' });
    for (const id of response.notFoundOrderIds) outcomes.set(id, { kind: 'notFound' });
    for (const { orderId, reasons } of response.unsuccessfulOrders) {
      outcomes.set(orderId, { kind: 'failedRequirements', codes: reasons.map((r) => r.code) });
    }
    for (const { orderId, reason } of response.unsuccessfullyNotifiedOrders) {
      outcomes.set(orderId, { kind: 'notNotified' });
      this.logger.debug({ orderId, reason }, 'order not notified');
    }
    const retryable = new Set(retryableOrderIds(response));
    for (const { orderId, reason } of response.unsuccessfullyUpdatedOrders) {
      // An order another caller finished is done, not a failure to retry.
      outcomes.set(orderId, { kind: retryable.has(orderId) ? 'notUpdated' : 'completed' });
      this.logger.debug({ orderId, reason }, 'order not updated by this run');
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

function summarise(
  pending: number[],
  outcomes: Map<number, Outcome>,
  rounds: number,
  started: number,
): RunSummary {
  const summary: RunSummary = {
    pending: pending.length,
    completed: 0,
    notFound: 0,
    failedRequirementOrders: 0,
    failedRequirements: {},
    notNotified: 0,
    notUpdated: 0,
    unreachable: 0,
    outcomeUnknown: 0,
    rounds,
    durationMs: Date.now() - started,
  };
  for (const outcome of outcomes.values()) {
    switch (outcome.kind) {
      case 'failedRequirements':
        summary.failedRequirementOrders += 1;
        for (const code of outcome.codes) {
          summary.failedRequirements[code] = (summary.failedRequirements[code] ?? 0) + 1;
        }
        break;
      case 'unknown':
        summary.outcomeUnknown += 1;
        break;
      default:
        summary[outcome.kind] += 1;
    }
  }
  return summary;
}
