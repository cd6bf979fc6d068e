/**
 * The completion use case: record the run, fetch, check requirements, claim, notify, mark
 * finished, respond (DESIGN.md §1). It depends only on the ports, so every adapter can be
 * swapped. The ledger makes every step safe to repeat: a crash at any line leaves a state
 * from which the next call continues without notifying anyone twice (see the ledger port).
 */
import { AcknowledgementWriter, UnwrittenAcknowledgements } from './acknowledgement-writer.js';
import {
  type CompleteOrderResponse,
  emptyCompleteOrderResponse,
  type RequirementFailure,
} from './complete-order-response.js';
import { type CompletionCallOutcome, countsOf } from './completion-call.js';
import {
  isCompletionError,
  NoOrdersFoundError,
  NoOrdersSuccessfullyNotifiedError,
  NoOrdersSuccessfullyUpdatedError,
} from './errors.js';
import type { Order, OrderId } from './order.js';
import { type Clock, type DatabaseClock, databaseTimeline } from './ports/clock.port.js';
import type { CompletionCallRepository } from './ports/completion-call-repository.port.js';
import type { CompletionLedger } from './ports/completion-ledger.port.js';
import type { Logger } from './ports/logger.port.js';
import type { OrderCompletionResult } from './ports/order-completion.port.js';
import type { NotificationResult, OrderNotifier } from './ports/order-notifier.port.js';
import type { OrderRepository } from './ports/order-repository.port.js';
import type { OrderRequirement } from './ports/order-requirement.port.js';

export interface CompleteOrdersDependencies {
  repository: Pick<OrderRepository, 'findByIds'>;
  ledger: CompletionLedger;
  calls: Pick<CompletionCallRepository, 'start' | 'complete'>;
  notifier: OrderNotifier;
  requirements: readonly OrderRequirement[];
  /** This process's clock: the requirements' "now" (the six-month rule), nothing else. */
  clock: Clock;
  /** The database's clock, in which each call's run record is timed (see `DatabaseClock`). */
  databaseClock: DatabaseClock;
  logger: Logger;
  /** A new run id, sortable by time (UUIDv7 or ULID). */
  newCallId: () => string;
  /**
   * How long a call's claims keep other calls away. Must be well above the longest call:
   * when it ends, another call may send the claimed orders' notifications again.
   */
  claimLeaseMs: number;
  /**
   * Whether an error means the database is briefly unreachable (a dropped or killed
   * connection), as opposed to a statement that failed. Writes that record notifications
   * already sent are retried on such errors for up to `ledgerWriteRetryMs`: this process is
   * the only one that knows about them, so giving up would mean sending them again.
   */
  isTransientError?: (error: unknown) => boolean;
  /** Default 60,000 ms; keep it well below `claimLeaseMs`. */
  ledgerWriteRetryMs?: number;
  /**
   * Acknowledgements that may wait unwritten, over all calls of this use case, before sending
   * pauses (default 1,000). With the notifier's requests in flight it bounds what a crash or an
   * unreachable database can leave sent but not recorded: at most this plus the orders of the
   * requests in flight. The server sets it to the orders of one window of requests in flight.
   */
  maxUnrecordedAcknowledgements?: number;
  /**
   * Hold orders whose notification may have been delivered without an answer for an
   * operator, instead of sending them again when the lease ends. For a notification service
   * without idempotency keys (the original `legacy` API).
   */
  holdUnconfirmed?: boolean;
}

export interface CompleteOrdersOptions {
  /**
   * Aborting stops new notifications and cuts those in flight (shutdown); what was acknowledged
   * is still finished and recorded.
   */
  signal?: AbortSignal;
  /**
   * Aborting stops new notifications but lets those in flight end and be recorded (a call's
   * deadline): a request cut in flight may have been delivered and would be sent again.
   */
  stopSending?: AbortSignal;
  /** The scheduler run this call belongs to (recorded with the call). */
  runId?: string | null;
}

/** Milliseconds spent in each step of a call, logged with its run. */
interface PhaseTimes {
  fetch?: number;
  claim?: number;
  notify?: number;
  finish?: number;
}

/** What a completed call answers; the same shape the `OrderCompletion` port promises. */
export type CompletionResult = OrderCompletionResult;

export class CompleteOrders {
  readonly #deps: CompleteOrdersDependencies;
  /** Shared by every call: they share the notifier's requests in flight too. */
  readonly #unwritten: UnwrittenAcknowledgements;

  constructor(deps: CompleteOrdersDependencies) {
    this.#deps = deps;
    this.#unwritten = new UnwrittenAcknowledgements(deps.maxUnrecordedAcknowledgements ?? 1000);
  }

  /**
   * Completes every ready order among `orderIds` and reports every id's outcome. Throws one
   * of the three completion errors (with the partial response) when nothing could be
   * completed. The call is recorded as a run from its first line to its last.
   */
  async execute(
    orderIds: readonly OrderId[],
    options: CompleteOrdersOptions = {},
  ): Promise<CompletionResult> {
    const { calls, logger } = this.#deps;
    const ids = [...new Set(orderIds)];
    const callId = this.#deps.newCallId();
    // The run is timed in the database's clock (read once, then measured here), so "still
    // running after a whole lease" is judged in one clock whatever this replica's says.
    const databaseNow = await databaseTimeline(this.#deps.databaseClock);
    const startedAt = databaseNow();
    await calls.start({
      id: callId,
      runId: options.runId ?? null,
      startedAt,
      requestedCount: ids.length,
    });

    const response = emptyCompleteOrderResponse();
    const phases: PhaseTimes = {};
    let outcome: Exclude<CompletionCallOutcome, 'RUNNING'> = 'COMPLETED';
    try {
      await this.#complete(callId, ids, response, options, phases);
      return { callId, response };
    } catch (error) {
      if (isCompletionError(error)) {
        outcome = error.code;
        throw error;
      }
      outcome = 'FAILED';
      logger.error({ callId, err: error }, 'completion run failed unexpectedly');
      throw error;
    } finally {
      const finishedAt = databaseNow();
      logFailures(logger, callId, response);
      logger.info(
        {
          callId,
          outcome,
          requested: ids.length,
          ...countsOf(response),
          durationMs: finishedAt.getTime() - startedAt.getTime(),
          phasesMs: phases,
        },
        'completion call',
      );
      try {
        await this.#durably(() => calls.complete(callId, { finishedAt, outcome, response }));
      } catch (error) {
        // The orders' outcome stands; the run stays RUNNING in the audit, which is visible.
        logger.error({ callId, err: error }, 'could not record the end of the completion run');
      }
    }
  }

  async #complete(
    callId: string,
    ids: OrderId[],
    response: CompleteOrderResponse,
    options: CompleteOrdersOptions,
    phases: PhaseTimes,
  ): Promise<void> {
    const { repository, ledger, requirements, clock, logger } = this.#deps;
    let mark = performance.now();
    const lap = (phase: keyof PhaseTimes) => {
      const at = performance.now();
      phases[phase] = Math.round(at - mark);
      mark = at;
    };

    // 1. Fetch
    const orders = ids.length === 0 ? [] : await repository.findByIds(ids);
    lap('fetch');
    const found = new Set(orders.map((o) => o.id));
    response.notFoundOrderIds = ids.filter((id) => !found.has(id));
    if (orders.length === 0) {
      logger.error({ callId, requested: ids.length }, 'none of the requested orders exists');
      throw new NoOrdersFoundError('None of the requested orders exists', response, callId);
    }

    // 2. Check requirements: every requirement, so an order reports every reason.
    const now = clock.now();
    const context = { now };
    const eligible: Order[] = [];
    for (const order of orders) {
      const reasons: RequirementFailure[] = [];
      for (const requirement of requirements) {
        const reason = requirement.check(order, context);
        if (reason !== null) reasons.push(reason);
      }
      if (reasons.length > 0) response.unsuccessfulOrders.push({ orderId: order.id, reasons });
      else eligible.push(order);
    }

    // 3. Claim: from here on no other call touches these orders until the lease ends.
    const claim =
      eligible.length === 0
        ? { toNotify: [], alreadyNotified: [], claimedElsewhere: [] }
        : await ledger.claim({
            callId,
            orderIds: eligible.map((o) => o.id),
            leaseMs: this.#deps.claimLeaseMs,
          });
    lap('claim');
    response.claimedElsewhereOrders = claim.claimedElsewhere.map((orderId) => ({
      orderId,
      reason: {
        code: 'CLAIM.CLAIMED_ELSEWHERE' as const,
        message: 'Another completion call holds this order; try again later',
      },
    }));

    // 4. Notify, writing acknowledgements as they arrive.
    const notifiedIds = [...claim.alreadyNotified];
    const toNotify = new Set(claim.toNotify);
    const { failed, unrecorded } = await this.#notify(
      callId,
      eligible.filter((o) => toNotify.has(o.id)),
      notifiedIds,
      options,
    );
    const hold = this.#deps.holdUnconfirmed === true;
    response.unsuccessfullyNotifiedOrders = failed.map(({ orderId, reason, maybeDelivered }) => ({
      orderId,
      reason:
        hold && maybeDelivered
          ? {
              ...reason,
              message: `${reason.message}; it may have been delivered, so it is held for an operator`,
            }
          : reason,
    }));
    // Neither write is needed for safety: a claim not released waits for its lease, one not
    // held is sent again after it (the documented window). So a failure does not end the call,
    // which still has acknowledged orders to finish and every outcome to report.
    const released = failed.filter((r) => !r.maybeDelivered).map((r) => r.orderId);
    const held = hold ? failed.filter((r) => r.maybeDelivered).map((r) => r.orderId) : [];
    await this.#bestEffort(callId, released, 'release the claims of orders never sent', () =>
      ledger.release(callId, released),
    );
    await this.#bestEffort(callId, held, 'hold orders that may have been delivered', () =>
      ledger.hold(callId, held),
    );
    lap('notify');
    if (notifiedIds.length === 0) {
      const message =
        eligible.length === 0
          ? 'No order passed the requirements, so none was notified'
          : claim.claimedElsewhere.length === eligible.length
            ? 'Every eligible order is being completed by another call'
            : 'No order could be notified';
      logger.error(
        {
          callId,
          eligible: eligible.length,
          failedRequirements: response.unsuccessfulOrders.length,
          claimedElsewhere: claim.claimedElsewhere.length,
        },
        message,
      );
      throw new NoOrdersSuccessfullyNotifiedError(message, response, callId);
    }

    // 5. Finish: only what was acknowledged, ORDERS and ledger in one transaction.
    let updatedIds: OrderId[];
    try {
      ({ updatedIds } = await this.#durably(() => ledger.finish(callId, notifiedIds)));
    } catch (error) {
      // The driver's message may quote the SQL and every id: it goes to the log only.
      const rolledBack = {
        code: 'UPDATE.FAILED' as const,
        message:
          'The update was rolled back; the order is still SUBMITTED and its notification is recorded, so a retry finishes it without notifying again',
      };
      const notRecorded = {
        code: 'UPDATE.UNRECORDED' as const,
        message:
          'The notification service acknowledged it, but the database could not record that nor the update; it is still SUBMITTED and a call after its claim ends notifies it again',
      };
      const lost = new Set(unrecorded);
      response.unsuccessfullyUpdatedOrders = notifiedIds.map((orderId) => ({
        orderId,
        reason: lost.has(orderId) ? notRecorded : rolledBack,
      }));
      logger.error(
        {
          callId,
          err: error,
          notified: notifiedIds.length,
          ...(lost.size > 0 ? { unrecorded: lost.size } : {}),
        },
        'marking orders finished failed',
      );
      if (lost.size > 0) {
        logger.error(
          { callId, unrecorded: lost.size, exampleIds: [...lost].slice(0, 20) },
          'notifications acknowledged but never recorded: a call after their claims end sends them again',
        );
      }
      try {
        await this.#durably(() => ledger.handOver(callId, notifiedIds));
      } catch (handOverError) {
        // Then they wait for the lease to end; still finished without a second notification.
        logger.warn({ callId, err: handOverError }, 'could not hand over the notified orders');
      }
      throw new NoOrdersSuccessfullyUpdatedError(
        'The notified orders could not be updated',
        response,
        callId,
      );
    }
    lap('finish');
    const updated = new Set(updatedIds);
    response.completedOrderIds = notifiedIds.filter((id) => updated.has(id)).sort((a, b) => a - b);
    response.unsuccessfullyUpdatedOrders = notifiedIds
      .filter((id) => !updated.has(id))
      .map((orderId) => ({
        orderId,
        reason: {
          code: 'UPDATE.NOT_SUBMITTED' as const,
          message: 'The order was no longer SUBMITTED: another call finished it',
        },
      }));
    if (response.completedOrderIds.length === 0) {
      logger.error({ callId, notified: notifiedIds.length }, 'no notified order was updated');
      throw new NoOrdersSuccessfullyUpdatedError(
        'No notified order could be updated',
        response,
        callId,
      );
    }
  }

  /** A ledger write the call can do without: retried, and only logged if it still fails. */
  async #bestEffort(
    callId: string,
    ids: OrderId[],
    what: string,
    write: () => Promise<void>,
  ): Promise<void> {
    if (ids.length === 0) return;
    try {
      await this.#durably(write);
    } catch (error) {
      this.#deps.logger.warn({ callId, err: error, orders: ids.length }, `could not ${what}`);
    }
  }

  /**
   * Runs `write`, retrying with backoff while the database is briefly unreachable. `onFailure`
   * hears of every failed attempt at once, before any retry.
   */
  async #durably<T>(write: () => Promise<T>, onFailure?: (error: unknown) => void): Promise<T> {
    const { isTransientError, ledgerWriteRetryMs = 60_000, logger } = this.#deps;
    const deadline = Date.now() + ledgerWriteRetryMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        return await write();
      } catch (error) {
        onFailure?.(error);
        if (!isTransientError?.(error) || Date.now() + delay > deadline) throw error;
        logger.warn(
          { err: error, retryInMs: delay },
          'database unreachable; retrying a ledger write',
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * Notifies `orders`, pushing acknowledged ids into `notifiedIds`; returns the failures and
   * the acknowledged ids whose record could not be written.
   *
   * Nothing is sent that cannot be recorded: the first failed acknowledgement write stops new
   * requests at once (not after the write retry), and sending waits while too many
   * acknowledgements are unwritten (a write hanging on a partition). So what a crash or a lost
   * database leaves sent but unrecorded is bounded by the requests in flight, not the claim.
   */
  async #notify(
    callId: string,
    orders: Order[],
    notifiedIds: OrderId[],
    options: CompleteOrdersOptions,
  ): Promise<{ failed: Extract<NotificationResult, { ok: false }>[]; unrecorded: OrderId[] }> {
    if (orders.length === 0) return { failed: [], unrecorded: [] };
    const { ledger, notifier, logger } = this.#deps;
    // Stops new requests only: those in flight go on, so their answers can still be finished.
    const unrecordable = new AbortController();
    const stopSending = (error: unknown) => {
      if (unrecordable.signal.aborted) return;
      unrecordable.abort();
      logger.error(
        { callId, err: error, unwritten: acknowledgements.unwritten },
        'acknowledgements cannot be recorded: stopped sending notifications',
      );
    };
    const stopped = options.stopSending
      ? AbortSignal.any([unrecordable.signal, options.stopSending])
      : unrecordable.signal;
    const acknowledgements = new AcknowledgementWriter(
      (ids) => this.#durably(() => ledger.markNotified(callId, ids), stopSending),
      { unwritten: this.#unwritten },
    );
    const settled = new Set<OrderId>();
    const failed: Extract<NotificationResult, { ok: false }>[] = [];
    const accept = (result: NotificationResult) => {
      if (settled.has(result.orderId)) return;
      settled.add(result.orderId);
      if (result.ok) {
        notifiedIds.push(result.orderId);
        acknowledgements.add(result.orderId);
      } else {
        failed.push(result);
      }
    };
    try {
      const results = await notifier.notifyCompleted(orders, {
        signal: options.signal,
        onResult: accept,
        beforeSend: async () => {
          await acknowledgements.room(stopped);
          return !stopped.aborted;
        },
      });
      for (const result of results) accept(result);
      for (const order of orders) {
        // A notifier that returns no result for an order: never sent, as far as we know.
        accept({
          orderId: order.id,
          ok: false,
          maybeDelivered: false,
          reason: { kind: 'rejected', message: 'the notifier returned no result', attempts: 0 },
        });
      }
    } finally {
      try {
        await acknowledgements.flush();
      } catch (error) {
        logger.warn(
          { callId, err: error, unrecorded: acknowledgements.unrecorded.length },
          'could not record acknowledged notifications; finishing them is tried next',
        );
      }
    }
    return { failed, unrecorded: [...acknowledgements.unrecorded] };
  }
}

/** One debug line per id that did not complete, so an operator can grep an order's fate. */
function logFailures(logger: Logger, callId: string, response: CompleteOrderResponse): void {
  for (const orderId of response.notFoundOrderIds) {
    logger.debug({ callId, orderId, reason: 'not found' }, 'order not completed');
  }
  for (const { orderId, reasons } of response.unsuccessfulOrders) {
    logger.debug({ callId, orderId, reasons: reasons.map((r) => r.code) }, 'order not completed');
  }
  for (const { orderId, reason } of response.unsuccessfullyNotifiedOrders) {
    logger.debug({ callId, orderId, reason }, 'order not notified');
  }
  for (const { orderId, reason } of response.unsuccessfullyUpdatedOrders) {
    logger.debug({ callId, orderId, reason }, 'order notified but not updated');
  }
  for (const { orderId } of response.claimedElsewhereOrders) {
    logger.debug({ callId, orderId }, 'order claimed by another call');
  }
}
