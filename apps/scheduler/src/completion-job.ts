/**
 * One scheduled run: page through the pending orders, complete them in batches, retry the
 * ids that can still succeed (not notified, not updated, request failed) with backoff, and
 * summarise.
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
  /** Ids whose batch request failed outright (network, 5xx) after every round. */
  requestFailed: number;
  rounds: number;
  durationMs: number;
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

class RetryableIdsRemain extends Error {}

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
    const summary: RunSummary = {
      pending: pending.length,
      completed: 0,
      notFound: 0,
      failedRequirementOrders: 0,
      failedRequirements: {},
      notNotified: 0,
      notUpdated: 0,
      requestFailed: 0,
      rounds: 0,
      durationMs: 0,
    };
    this.progress.start(pending.length);
    let remaining = pending;
    let settled = 0;

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
        summary.rounds += 1;
        const round = await this.completeRound(remaining);
        summary.completed += round.completed;
        summary.notFound += round.notFound;
        summary.failedRequirementOrders += round.failedRequirementOrders;
        for (const [code, n] of Object.entries(round.failedRequirements)) {
          summary.failedRequirements[code] = (summary.failedRequirements[code] ?? 0) + n;
        }
        settled += remaining.length - round.retryable.length;
        summary.notNotified = round.notNotified;
        summary.notUpdated = round.notUpdated;
        summary.requestFailed = round.requestFailed;
        this.progress.advance(settled, summary);
        remaining = round.retryable;
        if (remaining.length > 0) throw new RetryableIdsRemain();
      });
    } catch (error) {
      if (!(error instanceof RetryableIdsRemain)) throw error;
    } finally {
      this.progress.stop();
    }
    summary.durationMs = Date.now() - started;
    return summary;
  }

  private async pendingIds(): Promise<number[]> {
    const ids: number[] = [];
    let cursor: number | null = null;
    do {
      const page = await this.call(() =>
        this.client.orders.pendingCompletion.query({ cursor, limit: this.options.pageSize }),
      );
      ids.push(...page.ids);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return ids;
  }

  private async completeRound(ids: number[]) {
    const round = {
      completed: 0,
      notFound: 0,
      failedRequirementOrders: 0,
      failedRequirements: {} as Record<string, number>,
      notNotified: 0,
      notUpdated: 0,
      requestFailed: 0,
      retryable: [] as number[],
    };
    for (let i = 0; i < ids.length; i += this.options.batchSize) {
      const batch = ids.slice(i, i + this.options.batchSize);
      const response = await this.completeBatch(batch);
      if (!response) {
        round.requestFailed += batch.length;
        round.retryable.push(...batch);
        continue;
      }
      round.completed += response.completedOrderIds.length;
      round.notFound += response.notFoundOrderIds.length;
      round.failedRequirementOrders += response.unsuccessfulOrders.length;
      for (const { reasons } of response.unsuccessfulOrders) {
        for (const { code } of reasons) {
          round.failedRequirements[code] = (round.failedRequirements[code] ?? 0) + 1;
        }
      }
      round.notNotified += response.unsuccessfullyNotifiedOrders.length;
      round.notUpdated += response.unsuccessfullyUpdatedOrders.length;
      round.retryable.push(...retryableOrderIds(response));
      for (const { orderId, reason } of response.unsuccessfullyNotifiedOrders) {
        this.logger.debug({ orderId, reason }, 'order not notified');
      }
      for (const { orderId, reason } of response.unsuccessfullyUpdatedOrders) {
        this.logger.debug({ orderId, reason }, 'order not updated');
      }
    }
    return round;
  }

  /** The batch's response, also when the server answered 400 with one; null when the request failed. */
  private async completeBatch(orderIds: number[]): Promise<CompleteOrderResponse | null> {
    try {
      return await this.call(() => this.client.orders.complete.mutate({ orderIds }));
    } catch (error) {
      if (isServerError(error) && error.data?.completion) return error.data.completion.response;
      // A wrong token will not fix itself; an unreachable server may come back next round.
      if (error instanceof ServerUnavailableError && error.reason === 'unauthorized') throw error;
      this.logger.warn({ err: error, ids: orderIds.length }, 'completion request failed');
      return null;
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
        if (!error.data && error.cause instanceof TypeError) {
          throw new ServerUnavailableError(
            `Cannot reach the server: ${error.cause.message}`,
            'unreachable',
          );
        }
      }
      throw error;
    }
  }
}
