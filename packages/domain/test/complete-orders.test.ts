import { describe, expect, it } from 'vitest';
import {
  CompleteOrders,
  completeOrderResponseSchema,
  NoOrdersFoundError,
  NoOrdersSuccessfullyNotifiedError,
  NoOrdersSuccessfullyUpdatedError,
  type Order,
  type OrderRequirement,
  retryableOrderIds,
  silentLogger,
  subtractCalendarMonths,
} from '../src/index.js';
import { InMemoryOrderRepository, RecordingNotifier } from './fakes.js';

const now = new Date('2026-11-27T12:00:00.000Z');
const monthsAgo = (months: number) => subtractCalendarMonths(now, months);

// Small stand-ins for the real requirements (those live in @ocs/requirements and have
// their own tests); the use case only needs to see pass/fail and reasons.
const notFinished: OrderRequirement = {
  name: 'order-not-finished',
  check: (o) =>
    o.state === 'SUBMITTED'
      ? null
      : { requirement: 'order-not-finished', code: 'ORDER.ALREADY_FINISHED', message: 'finished' },
};
const delivered: OrderRequirement = {
  name: 'fully-delivered',
  check: (o) =>
    o.lines.length > 0 &&
    o.lines.every((l) => l.deliveredQuantity !== null && l.deliveredQuantity >= l.orderedQuantity)
      ? null
      : { requirement: 'fully-delivered', code: 'ORDER.NOT_FULLY_DELIVERED', message: 'short' },
};
const oldEnough: OrderRequirement = {
  name: 'order-age',
  check: (o, { now: at }) =>
    o.orderDate.getTime() <= subtractCalendarMonths(at, 6).getTime()
      ? null
      : { requirement: 'order-age', code: 'ORDER.TOO_RECENT', message: 'recent' },
};
const requirements = [notFinished, delivered, oldEnough];

const order = (
  id: number,
  ageMonths: number,
  lines: [number, number | null][],
  state: Order['state'] = 'SUBMITTED',
): Order => ({
  id,
  orderDate: monthsAgo(ageMonths),
  state,
  lines: lines.map(([orderedQuantity, deliveredQuantity], i) => ({
    id: id * 10 + i,
    productId: i + 1,
    orderedQuantity,
    deliveredQuantity,
  })),
});

function setup(orders: Order[]) {
  const repository = new InMemoryOrderRepository(orders);
  const notifier = new RecordingNotifier();
  const useCase = new CompleteOrders({
    repository,
    notifier,
    requirements,
    clock: { now: () => now },
    logger: silentLogger,
  });
  return { repository, notifier, useCase };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('CompleteOrders', () => {
  it('given one old, fully delivered order, completes it: notified once, marked finished', async () => {
    const { repository, notifier, useCase } = setup([order(1, 7, [[10, 10]])]);

    const response = await useCase.execute([1]);

    expect(response).toEqual({
      completedOrderIds: [1],
      notFoundOrderIds: [],
      unsuccessfulOrders: [],
      unsuccessfullyNotifiedOrders: [],
      unsuccessfullyUpdatedOrders: [],
    });
    expect(notifier.notified).toEqual([1]);
    expect(repository.orders.get(1)?.state).toBe('FINISHED');
    expect(completeOrderResponseSchema.parse(response)).toEqual(response);
  });

  it('given a mixed batch, reports exactly the right sets and reasons', async () => {
    const { repository, notifier, useCase } = setup([
      order(1, 7, [[10, 10]]), // old + delivered
      order(2, 7, [[10, 5]]), // old + partially delivered
      order(3, 1, [[10, 10]]), // recent + delivered
      order(5, 8, [[10, 10]], 'FINISHED'), // already finished
      order(6, 8, []), // no lines
      order(7, 9, [[10, 12]]), // over-delivered
    ]);

    const response = await useCase.execute([1, 2, 3, 4, 5, 6, 7]);

    expect(response.completedOrderIds).toEqual([1, 7]);
    expect(response.notFoundOrderIds).toEqual([4]);
    expect(response.unsuccessfulOrders).toEqual([
      { orderId: 2, reasons: [expect.objectContaining({ code: 'ORDER.NOT_FULLY_DELIVERED' })] },
      { orderId: 3, reasons: [expect.objectContaining({ code: 'ORDER.TOO_RECENT' })] },
      { orderId: 5, reasons: [expect.objectContaining({ code: 'ORDER.ALREADY_FINISHED' })] },
      { orderId: 6, reasons: [expect.objectContaining({ requirement: 'fully-delivered' })] },
    ]);
    expect(response.unsuccessfullyNotifiedOrders).toEqual([]);
    expect(response.unsuccessfullyUpdatedOrders).toEqual([]);
    expect(notifier.notified).toEqual([1, 7]);
    expect(repository.markFinishedCalls).toEqual([[1, 7]]);
  });

  it('reports every reason of an order failing several requirements', async () => {
    const { useCase } = setup([order(1, 7, [[10, 10]]), order(2, 1, [[10, 3]], 'FINISHED')]);

    const response = await useCase.execute([1, 2]);

    expect(response.unsuccessfulOrders).toEqual([
      {
        orderId: 2,
        reasons: [
          expect.objectContaining({ requirement: 'order-not-finished' }),
          expect.objectContaining({ requirement: 'fully-delivered' }),
          expect.objectContaining({ requirement: 'order-age' }),
        ],
      },
    ]);
  });

  it('given no existing order, throws NoOrdersFoundError carrying the response', async () => {
    const { notifier, useCase } = setup([order(1, 7, [[10, 10]])]);

    const error = await rejection(useCase.execute([98, 99]));

    expect(error).toBeInstanceOf(NoOrdersFoundError);
    expect((error as NoOrdersFoundError).code).toBe('ORDERS.NONE_FOUND');
    expect((error as NoOrdersFoundError).response.notFoundOrderIds).toEqual([98, 99]);
    expect(notifier.calls).toEqual([]);
  });

  it('when every notification fails, throws NoOrdersSuccessfullyNotifiedError and updates nothing', async () => {
    const { repository, notifier, useCase } = setup([order(1, 7, [[1, 1]]), order(2, 7, [[1, 1]])]);
    const reason = { kind: 'http-status' as const, status: 500, message: 'HTTP 500', attempts: 4 };
    notifier.failures.set(1, reason).set(2, reason);

    const error = await rejection(useCase.execute([1, 2]));

    expect(error).toBeInstanceOf(NoOrdersSuccessfullyNotifiedError);
    expect((error as NoOrdersSuccessfullyNotifiedError).code).toBe('ORDERS.NONE_NOTIFIED');
    expect(
      (error as NoOrdersSuccessfullyNotifiedError).response.unsuccessfullyNotifiedOrders,
    ).toEqual([
      { orderId: 1, reason },
      { orderId: 2, reason },
    ]);
    expect(repository.markFinishedCalls).toEqual([]);
    expect(repository.orders.get(1)?.state).toBe('SUBMITTED');
  });

  it('when no order passes the requirements, notifies nobody and throws NoOrdersSuccessfullyNotifiedError', async () => {
    const { notifier, useCase } = setup([order(1, 1, [[1, 1]])]);

    const error = await rejection(useCase.execute([1]));

    expect(error).toBeInstanceOf(NoOrdersSuccessfullyNotifiedError);
    expect((error as NoOrdersSuccessfullyNotifiedError).response.unsuccessfulOrders).toHaveLength(
      1,
    );
    expect(notifier.calls).toEqual([]);
  });

  it('when the update fails, throws NoOrdersSuccessfullyUpdatedError listing the notified orders', async () => {
    const { repository, useCase } = setup([order(1, 7, [[1, 1]]), order(2, 7, [[1, 1]])]);
    repository.failMarkFinishedWith = new Error('deadlock');

    const error = await rejection(useCase.execute([1, 2]));

    expect(error).toBeInstanceOf(NoOrdersSuccessfullyUpdatedError);
    const { response } = error as NoOrdersSuccessfullyUpdatedError;
    expect((error as NoOrdersSuccessfullyUpdatedError).code).toBe('ORDERS.NONE_UPDATED');
    expect(response.completedOrderIds).toEqual([]);
    const reason = { code: 'UPDATE.FAILED', message: expect.stringContaining('rolled back') };
    expect(response.unsuccessfullyUpdatedOrders).toEqual([
      { orderId: 1, reason },
      { orderId: 2, reason },
    ]);
    // The driver's message (it may quote SQL) stays out of the response.
    expect(JSON.stringify(response)).not.toContain('deadlock');
    expect(retryableOrderIds(response)).toEqual([1, 2]);
  });

  it('reports a notified order that another caller finished meanwhile as not updated', async () => {
    const { repository, useCase } = setup([order(1, 7, [[1, 1]]), order(2, 7, [[1, 1]])]);
    const markFinished = repository.markFinished.bind(repository);
    repository.markFinished = async (ids, at) => {
      const other = repository.orders.get(2);
      if (other) other.state = 'FINISHED';
      return markFinished(ids, at);
    };

    const response = await useCase.execute([1, 2]);

    expect(response.completedOrderIds).toEqual([1]);
    expect(response.unsuccessfullyUpdatedOrders).toEqual([
      { orderId: 2, reason: expect.objectContaining({ code: 'UPDATE.NOT_SUBMITTED' }) },
    ]);
    // Someone else finished it: retrying would only meet ALREADY_FINISHED.
    expect(retryableOrderIds(response)).toEqual([]);
  });

  it('processes duplicate ids once', async () => {
    const { repository, notifier, useCase } = setup([order(1, 7, [[1, 1]]), order(2, 7, [[1, 1]])]);

    const response = await useCase.execute([1, 2, 1, 1, 2, 3, 3]);

    expect(repository.findCalls).toEqual([[1, 2, 3]]);
    expect(notifier.notified).toEqual([1, 2]);
    expect(response.completedOrderIds).toEqual([1, 2]);
    expect(response.notFoundOrderIds).toEqual([3]);
  });

  it('hands the update only the ids that were notified', async () => {
    const { repository, notifier, useCase } = setup([
      order(1, 7, [[1, 1]]),
      order(2, 7, [[1, 1]]),
      order(3, 7, [[1, 1]]),
    ]);
    notifier.failures.set(2, { kind: 'timeout', message: 'timed out after 5000 ms', attempts: 4 });

    const response = await useCase.execute([1, 2, 3]);

    expect(repository.markFinishedCalls).toEqual([[1, 3]]);
    expect(response.completedOrderIds).toEqual([1, 3]);
    expect(response.unsuccessfullyNotifiedOrders).toEqual([
      { orderId: 2, reason: expect.objectContaining({ kind: 'timeout' }) },
    ]);
    expect(repository.orders.get(2)?.state).toBe('SUBMITTED');
  });
});
