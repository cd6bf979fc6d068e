/**
 * Runs the use case for one call and records it as a completion run, for both the tRPC
 * procedure and the original's POST /orders route.
 */
import {
  type Clock,
  type CompleteOrderResponse,
  type CompleteOrders,
  type CompletionRun,
  type CompletionRunOutcome,
  type CompletionRunRepository,
  emptyCompleteOrderResponse,
  isCompletionError,
  type Logger,
  type OrderId,
} from '@ocs/domain';
import { v7 as uuidv7 } from 'uuid';

export interface CompletionResult {
  runId: string;
  response: CompleteOrderResponse;
}

export class CompletionService {
  constructor(
    private readonly completeOrders: CompleteOrders,
    private readonly runs: CompletionRunRepository,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Resolves with the response, or rejects with the use case's error after recording it. */
  async complete(orderIds: readonly OrderId[]): Promise<CompletionResult> {
    // UUIDv7: ordered by creation time, so runs page newest-first by id.
    const runId = uuidv7();
    const startedAt = this.clock.now();
    const requestedCount = new Set(orderIds).size;
    let outcome: CompletionRunOutcome = 'COMPLETED';
    let response: CompleteOrderResponse | null = null;
    try {
      response = await this.completeOrders.execute(orderIds);
      return { runId, response };
    } catch (error) {
      if (isCompletionError(error)) {
        outcome = error.code;
        response = error.response;
      } else {
        outcome = 'FAILED';
        this.logger.error({ runId, err: error }, 'completion run failed unexpectedly');
      }
      throw error;
    } finally {
      const finishedAt = this.clock.now();
      const recorded = response ?? emptyCompleteOrderResponse();
      await this.record({
        id: runId,
        startedAt,
        finishedAt,
        requestedCount,
        outcome,
        completedCount: recorded.completedOrderIds.length,
        failedCount: requestedCount - recorded.completedOrderIds.length,
        response: recorded,
      });
    }
  }

  private async record(run: CompletionRun) {
    const { response } = run;
    this.logger.info(
      {
        runId: run.id,
        outcome: run.outcome,
        requested: run.requestedCount,
        completed: run.completedCount,
        notFound: response.notFoundOrderIds.length,
        failedRequirements: response.unsuccessfulOrders.length,
        notNotified: response.unsuccessfullyNotifiedOrders.length,
        notUpdated: response.unsuccessfullyUpdatedOrders.length,
        durationMs: run.finishedAt.getTime() - run.startedAt.getTime(),
      },
      'completion run',
    );
    for (const orderId of response.notFoundOrderIds) {
      this.logger.debug({ runId: run.id, orderId, reason: 'not found' }, 'order not completed');
    }
    for (const { orderId, reasons } of response.unsuccessfulOrders) {
      this.logger.debug(
        { runId: run.id, orderId, reasons: reasons.map((r) => r.code) },
        'order not completed',
      );
    }
    for (const { orderId, reason } of response.unsuccessfullyNotifiedOrders) {
      this.logger.debug({ runId: run.id, orderId, reason }, 'order not notified');
    }
    for (const { orderId, reason } of response.unsuccessfullyUpdatedOrders) {
      this.logger.debug({ runId: run.id, orderId, reason }, 'order notified but not updated');
    }
    try {
      await this.runs.save(run);
    } catch (error) {
      // The orders' outcome stands; losing the audit row must not turn it into a failure.
      this.logger.error({ runId: run.id, err: error }, 'could not record the completion run');
    }
  }
}
