/**
 * The completion use case: fetch, check requirements, notify, mark finished, respond
 * (DESIGN.md §1). It depends only on the ports, so every adapter can be swapped.
 */
import {
  type CompleteOrderResponse,
  emptyCompleteOrderResponse,
  type RequirementFailure,
} from './complete-order-response.js';
import {
  NoOrdersFoundError,
  NoOrdersSuccessfullyNotifiedError,
  NoOrdersSuccessfullyUpdatedError,
} from './errors.js';
import type { Order, OrderId } from './order.js';
import type { Clock } from './ports/clock.port.js';
import type { Logger } from './ports/logger.port.js';
import type { OrderNotifier } from './ports/order-notifier.port.js';
import type { OrderRepository } from './ports/order-repository.port.js';
import type { OrderRequirement } from './ports/order-requirement.port.js';

export interface CompleteOrdersDependencies {
  repository: OrderRepository;
  notifier: OrderNotifier;
  requirements: readonly OrderRequirement[];
  clock: Clock;
  logger: Logger;
}

export interface CompleteOrdersOptions {
  signal?: AbortSignal;
}

export class CompleteOrders {
  readonly #deps: CompleteOrdersDependencies;

  constructor(deps: CompleteOrdersDependencies) {
    this.#deps = deps;
  }

  /**
   * Completes every ready order among `orderIds` and reports every id's outcome.
   * Throws one of the three completion errors (with the partial response) when nothing
   * could be completed.
   */
  async execute(
    orderIds: readonly OrderId[],
    options: CompleteOrdersOptions = {},
  ): Promise<CompleteOrderResponse> {
    const { repository, notifier, requirements, clock, logger } = this.#deps;
    const ids = [...new Set(orderIds)];
    const response = emptyCompleteOrderResponse();

    // 1. Fetch
    const orders = await repository.findByIds(ids);
    const found = new Set(orders.map((o) => o.id));
    response.notFoundOrderIds = ids.filter((id) => !found.has(id));
    if (orders.length === 0) {
      logger.error({ requested: ids.length }, 'none of the requested orders exists');
      throw new NoOrdersFoundError('None of the requested orders exists', response);
    }

    // 2. Check requirements: every requirement, so an order reports every reason.
    const context = { now: clock.now() };
    const eligible: Order[] = [];
    for (const order of orders) {
      const reasons = requirements
        .map((requirement) => requirement.check(order, context))
        .filter((reason): reason is RequirementFailure => reason !== null);
      if (reasons.length > 0) response.unsuccessfulOrders.push({ orderId: order.id, reasons });
      else eligible.push(order);
    }

    // 3. Notify
    const notifiedIds: OrderId[] = [];
    if (eligible.length > 0) {
      const results = await notifier.notifyCompleted(eligible, options);
      const resultById = new Map(results.map((r) => [r.orderId, r]));
      for (const order of eligible) {
        const result = resultById.get(order.id);
        if (result?.ok) notifiedIds.push(order.id);
        else
          response.unsuccessfullyNotifiedOrders.push({
            orderId: order.id,
            reason: result
              ? result.reason
              : { kind: 'rejected', message: 'the notifier returned no result', attempts: 0 },
          });
      }
    }
    if (notifiedIds.length === 0) {
      const message =
        eligible.length === 0
          ? 'No order passed the requirements, so none was notified'
          : 'No order could be notified';
      logger.error(
        { eligible: eligible.length, failedRequirements: response.unsuccessfulOrders.length },
        message,
      );
      throw new NoOrdersSuccessfullyNotifiedError(message, response);
    }

    // 4. Update: only what was notified, in one all-or-nothing call.
    let updatedIds: OrderId[];
    try {
      ({ updatedIds } = await repository.markFinished(notifiedIds, context.now));
    } catch (error) {
      // The driver's message may quote the SQL and every id: it goes to the log only.
      const reason = {
        code: 'UPDATE.FAILED' as const,
        message: 'The update was rolled back; the order is still SUBMITTED',
      };
      response.unsuccessfullyUpdatedOrders = notifiedIds.map((orderId) => ({ orderId, reason }));
      logger.error({ err: error, notified: notifiedIds.length }, 'marking orders finished failed');
      throw new NoOrdersSuccessfullyUpdatedError(
        'The notified orders could not be updated',
        response,
      );
    }
    const updated = new Set(updatedIds);
    response.completedOrderIds = notifiedIds.filter((id) => updated.has(id));
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
      logger.error({ notified: notifiedIds.length }, 'no notified order was updated');
      throw new NoOrdersSuccessfullyUpdatedError('No notified order could be updated', response);
    }

    // 5. Respond
    return response;
  }
}
