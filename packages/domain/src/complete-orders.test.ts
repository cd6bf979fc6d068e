import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  FakeNotifier,
  InMemoryCalls,
  InMemoryLedger,
  InMemoryOrderRepository,
  RecordingLogger,
} from '../test/fakes.js';
import {
  CompleteOrders,
  completeOrderResponseSchema,
  NoOrdersFoundError,
  NoOrdersSuccessfullyNotifiedError,
  NoOrdersSuccessfullyUpdatedError,
  type NotificationResult,
  type NotifyOptions,
  type Order,
  type OrderNotifier,
  type OrderRequirement,
  retryableOrderIds,
  silentLogger,
  subtractCalendarMonths,
} from './index.js';

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

const leaseMs = 60_000;

function setup(orders: Order[], notifier: OrderNotifier = new FakeNotifier()) {
  const repository = new InMemoryOrderRepository(orders);
  // One clock for this process and the (in-memory) database, unless a test skews one.
  const clock = { at: now, now: () => clock.at };
  const ledger = new InMemoryLedger(repository, clock);
  const runs = new InMemoryCalls();
  const logs = new RecordingLogger();
  let runNumber = 0;
  const useCase = new CompleteOrders({
    repository,
    ledger,
    calls: runs,
    notifier,
    requirements,
    clock,
    databaseClock: { now: async () => clock.at },
    logger: logs,
    newCallId: () => `run-${++runNumber}`,
    claimLeaseMs: leaseMs,
  });
  const execute = async (ids: number[], signal?: AbortSignal) =>
    (await useCase.execute(ids, signal ? { signal } : {})).response;
  return {
    repository,
    ledger,
    runs,
    notifier: notifier as FakeNotifier,
    clock,
    logs,
    useCase,
    execute,
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

const serverError = {
  reason: { kind: 'http-status' as const, status: 500, message: 'HTTP 500', attempts: 4 },
  maybeDelivered: false,
};
const timedOut = {
  reason: { kind: 'timeout' as const, message: 'no answer within 30000 ms', attempts: 1 },
  maybeDelivered: true,
};

describe('CompleteOrders', () => {
  it('given one old, fully delivered order, completes it: notified once, finished, recorded', async () => {
    const { repository, ledger, runs, notifier, useCase } = setup([order(1, 7, [[10, 10]])]);

    const { callId, response } = await useCase.execute([1]);

    expect(response).toEqual({
      completedOrderIds: [1],
      notFoundOrderIds: [],
      unsuccessfulOrders: [],
      unsuccessfullyNotifiedOrders: [],
      unsuccessfullyUpdatedOrders: [],
      claimedElsewhereOrders: [],
    });
    expect(notifier.received).toEqual([1]);
    expect(repository.orders.get(1)?.state).toBe('FINISHED');
    expect(ledger.stateOf(1)).toBe('finished');
    const run = runs.runs.get(callId);
    expect(run).toEqual({
      id: callId,
      runId: null,
      startedAt: now,
      requestedCount: 1,
      end: { finishedAt: expect.any(Date), outcome: 'COMPLETED', response },
    });
    // Timed from the database's time at the start, advanced by this process's monotonic clock.
    const tookMs = (run?.end?.finishedAt.getTime() ?? 0) - now.getTime();
    expect(tookMs).toBeGreaterThanOrEqual(0);
    expect(tookMs).toBeLessThan(5_000);
    expect(completeOrderResponseSchema.parse(response)).toEqual(response);
  });

  it('given a mixed batch, reports exactly the right sets and reasons', async () => {
    const { repository, notifier, execute } = setup([
      order(1, 7, [[10, 10]]), // old + delivered
      order(2, 7, [[10, 5]]), // old + partially delivered
      order(3, 1, [[10, 10]]), // recent + delivered
      order(5, 8, [[10, 10]], 'FINISHED'), // already finished
      order(6, 8, []), // no lines
      order(7, 9, [[10, 12]]), // over-delivered
    ]);

    const response = await execute([1, 2, 3, 4, 5, 6, 7]);

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
    expect(notifier.received).toEqual([1, 7]);
    expect(
      [...repository.orders.values()].filter((o) => o.state === 'FINISHED').map((o) => o.id),
    ).toEqual([1, 5, 7]);
  });

  it('reports every reason of an order failing several requirements', async () => {
    const { execute } = setup([order(1, 7, [[10, 10]]), order(2, 1, [[10, 3]], 'FINISHED')]);

    const response = await execute([1, 2]);

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

  it('given no existing order, throws NoOrdersFoundError carrying the response, and records the run', async () => {
    const { notifier, runs, useCase } = setup([order(1, 7, [[10, 10]])]);

    const error = await rejection(useCase.execute([98, 99]));

    expect(error).toBeInstanceOf(NoOrdersFoundError);
    const { code, response, callId } = error as NoOrdersFoundError;
    expect(code).toBe('ORDERS.NONE_FOUND');
    expect(response.notFoundOrderIds).toEqual([98, 99]);
    expect(runs.runs.get(callId)?.end?.outcome).toBe('ORDERS.NONE_FOUND');
    expect(notifier.received).toEqual([]);
  });

  it('when the run cannot be recorded, fails before touching any order', async () => {
    const { runs, notifier, ledger, useCase } = setup([order(1, 7, [[1, 1]])]);
    runs.failStartWith = new Error('database down');

    await expect(useCase.execute([1])).rejects.toThrow('database down');
    expect(notifier.received).toEqual([]);
    expect(ledger.rows.size).toBe(0);
  });

  it('when every notification certainly failed, releases the claims so the next call may send at once', async () => {
    const { repository, ledger, notifier, useCase, execute } = setup([
      order(1, 7, [[1, 1]]),
      order(2, 7, [[1, 1]]),
    ]);
    notifier.failures.set(1, serverError).set(2, serverError);

    const error = await rejection(useCase.execute([1, 2]));

    expect(error).toBeInstanceOf(NoOrdersSuccessfullyNotifiedError);
    expect((error as NoOrdersSuccessfullyNotifiedError).code).toBe('ORDERS.NONE_NOTIFIED');
    expect(
      (error as NoOrdersSuccessfullyNotifiedError).response.unsuccessfullyNotifiedOrders,
    ).toEqual([
      { orderId: 1, reason: serverError.reason },
      { orderId: 2, reason: serverError.reason },
    ]);
    expect(repository.orders.get(1)?.state).toBe('SUBMITTED');
    expect(ledger.rows.size).toBe(0);

    notifier.failures.clear();
    expect((await execute([1, 2])).completedOrderIds).toEqual([1, 2]);
    expect(notifier.received).toEqual([1, 2]);
  });

  it('keeps the claim of a notification that may have been delivered: no other call sends it while the lease lasts', async () => {
    const { ledger, notifier, clock, execute } = setup([
      order(1, 7, [[1, 1]]),
      order(2, 7, [[1, 1]]),
    ]);
    notifier.failures.set(2, timedOut);

    const first = await execute([1, 2]);
    expect(first.completedOrderIds).toEqual([1]);
    expect(first.unsuccessfullyNotifiedOrders).toEqual([{ orderId: 2, reason: timedOut.reason }]);
    expect(ledger.stateOf(2)).toBe('claimed');
    expect(retryableOrderIds(first)).toEqual([2]);

    notifier.failures.clear();
    const error = await rejection(execute([2]));
    expect((error as NoOrdersSuccessfullyNotifiedError).response.claimedElsewhereOrders).toEqual([
      { orderId: 2, reason: expect.objectContaining({ code: 'CLAIM.CLAIMED_ELSEWHERE' }) },
    ]);
    expect(notifier.timesReceived(2)).toBe(1);

    // The lease ended without an acknowledgement: the one window, so it is sent again.
    clock.at = new Date(now.getTime() + leaseMs);
    expect((await execute([2])).completedOrderIds).toEqual([2]);
    expect(notifier.timesReceived(2)).toBe(2);
  });

  it('when the update fails, keeps the acknowledgements: the retry finishes without notifying again', async () => {
    const { ledger, notifier, logs, useCase, execute } = setup([
      order(1, 7, [[1, 1]]),
      order(2, 7, [[1, 1]]),
    ]);
    ledger.failFinishWith = new Error('deadlock');

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
    // The driver's message (it may quote SQL) stays out of the response, and goes to the log.
    expect(JSON.stringify(response)).not.toContain('deadlock');
    expect(logs.withMessage('marking orders finished failed')).toEqual([
      { level: 'error', fields: { callId: 'run-1', err: ledger.failFinishWith, notified: 2 } },
    ]);
    expect(retryableOrderIds(response)).toEqual([1, 2]);
    expect(ledger.stateOf(1)).toBe('notified');

    // Handed over: the retry need not wait for the lease.
    ledger.failFinishWith = null;
    expect((await execute([1, 2])).completedOrderIds).toEqual([1, 2]);
    expect(notifier.received).toEqual([1, 2]);
  });

  it('while the database is briefly unreachable, keeps retrying the writes of what was sent', async () => {
    const { repository, ledger, notifier } = setup([order(1, 7, [[1, 1]])]);
    const outage = Object.assign(new Error('connection lost'), { transient: true });
    let failures = 3;
    const finish = ledger.finish.bind(ledger);
    ledger.finish = async (...args) => {
      if (failures-- > 0) throw outage;
      return finish(...args);
    };
    const retrying = new CompleteOrders({
      repository,
      ledger,
      calls: new InMemoryCalls(),
      notifier,
      requirements,
      clock: { now: () => now },
      databaseClock: { now: async () => now },
      logger: silentLogger,
      newCallId: () => 'run-outage',
      claimLeaseMs: leaseMs,
      isTransientError: (error) => (error as { transient?: boolean }).transient === true,
      ledgerWriteRetryMs: 5_000,
    });

    const { response } = await retrying.execute([1]);

    expect(response.completedOrderIds).toEqual([1]);
    expect(notifier.received).toEqual([1]);
    expect(failures).toBe(-1);
  });

  it('reports a notified order that another caller finished meanwhile as not updated', async () => {
    const { repository, ledger, execute } = setup([order(1, 7, [[1, 1]]), order(2, 7, [[1, 1]])]);
    ledger.beforeFinish = () => {
      const other = repository.orders.get(2);
      if (other) other.state = 'FINISHED';
    };

    const response = await execute([1, 2]);

    expect(response.completedOrderIds).toEqual([1]);
    expect(response.unsuccessfullyUpdatedOrders).toEqual([
      { orderId: 2, reason: expect.objectContaining({ code: 'UPDATE.NOT_SUBMITTED' }) },
    ]);
    // Someone else finished it: retrying would only meet ALREADY_FINISHED.
    expect(retryableOrderIds(response)).toEqual([]);
  });

  it('two overlapping calls for the same orders notify each order once', async () => {
    const ids = [1, 2, 3, 4];
    const { repository, notifier, execute } = setup(ids.map((id) => order(id, 7, [[1, 1]])));
    let open: () => void = () => {};
    notifier.gate = new Promise((resolve) => {
      open = resolve;
    });

    const first = execute(ids);
    await new Promise((resolve) => setImmediate(resolve));
    const second = await rejection(execute(ids));
    open();
    const completed = await first;

    expect(completed.completedOrderIds).toEqual(ids);
    expect(
      (second as NoOrdersSuccessfullyNotifiedError).response.claimedElsewhereOrders.map(
        (o) => o.orderId,
      ),
    ).toEqual(ids);
    expect(notifier.received).toEqual(ids);
    expect([...repository.orders.values()].every((o) => o.state === 'FINISHED')).toBe(true);
  });

  it('writes acknowledgements while later notifications are still in flight', async () => {
    const { ledger, notifier, execute } = setup([order(1, 7, [[1, 1]]), order(2, 7, [[1, 1]])]);
    let open: () => void = () => {};
    notifier.gate = new Promise((resolve) => {
      open = resolve;
    });

    const call = execute([1, 2]);
    await new Promise((resolve) => setImmediate(resolve));
    // A crash now would leave order 1 acknowledged: the next call finishes it unsent.
    expect(ledger.stateOf(1)).toBe('notified');
    expect(ledger.stateOf(2)).toBe('claimed');
    open();
    expect((await call).completedOrderIds).toEqual([1, 2]);
  });

  it('when aborted, sends nothing more, releases what was not sent and records the run', async () => {
    const { ledger, notifier, runs, useCase } = setup([order(1, 7, [[1, 1]])]);
    const controller = new AbortController();
    controller.abort();

    const error = await rejection(useCase.execute([1], { signal: controller.signal }));

    expect(error).toBeInstanceOf(NoOrdersSuccessfullyNotifiedError);
    expect(notifier.received).toEqual([]);
    expect(ledger.rows.size).toBe(0);
    expect([...runs.runs.values()][0]?.end?.outcome).toBe('ORDERS.NONE_NOTIFIED');
  });

  it('processes duplicate ids once', async () => {
    const { repository, notifier, execute } = setup([order(1, 7, [[1, 1]]), order(2, 7, [[1, 1]])]);

    const response = await execute([1, 2, 1, 1, 2, 3, 3]);

    expect(repository.findCalls).toEqual([[1, 2, 3]]);
    expect(notifier.received).toEqual([1, 2]);
    expect(response.completedOrderIds).toEqual([1, 2]);
    expect(response.notFoundOrderIds).toEqual([3]);
  });

  it('finishes only the orders that were acknowledged', async () => {
    const { repository, notifier, execute } = setup([
      order(1, 7, [[1, 1]]),
      order(2, 7, [[1, 1]]),
      order(3, 7, [[1, 1]]),
    ]);
    notifier.failures.set(2, serverError);

    const response = await execute([1, 2, 3]);

    expect(response.completedOrderIds).toEqual([1, 3]);
    expect(response.unsuccessfullyNotifiedOrders).toEqual([
      { orderId: 2, reason: expect.objectContaining({ kind: 'http-status' }) },
    ]);
    expect(repository.orders.get(2)?.state).toBe('SUBMITTED');
  });
});

/** A notifier that acknowledges in reverse order, and leaves out the ids it is told to. */
class ScriptedNotifier implements OrderNotifier {
  constructor(private readonly drop: readonly number[] = []) {}

  async notifyCompleted(
    orders: readonly Order[],
    options: NotifyOptions = {},
  ): Promise<NotificationResult[]> {
    const results: NotificationResult[] = [...orders]
      .reverse()
      .filter((o) => !this.drop.includes(o.id))
      .map((o) => ({ orderId: o.id, ok: true, attempts: 1 }));
    for (const result of results) options.onResult?.(result);
    return results;
  }
}

const claimedByAnotherCall = (ledger: InMemoryLedger, id: number) =>
  ledger.rows.set(id, {
    state: 'claimed',
    callId: 'other-call',
    leaseUntil: now.getTime() + leaseMs,
  });

describe('CompleteOrders: what the response, the run and the log say', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('logs one line per call with its outcome, counts and duration, and one debug line per id not completed', async () => {
    const { ledger, repository, notifier, clock, logs, execute } = setup([
      order(1, 7, [[1, 1]]),
      order(2, 7, [[1, 0]]),
      order(3, 7, [[1, 1]]),
      order(5, 7, [[1, 1]]),
      order(6, 7, [[1, 1]]),
    ]);
    notifier.failures.set(3, serverError);
    claimedByAnotherCall(ledger, 5);
    // Each step takes a known time on the fake performance clock.
    vi.useFakeTimers({ toFake: ['performance'] });
    const taking =
      <A extends unknown[], R>(ms: number, step: (...args: A) => Promise<R>) =>
      async (...args: A) => {
        vi.advanceTimersByTime(ms);
        return step(...args);
      };
    repository.findByIds = taking(10, repository.findByIds.bind(repository));
    ledger.claim = taking(20, ledger.claim.bind(ledger));
    notifier.notifyCompleted = taking(30, notifier.notifyCompleted.bind(notifier));
    ledger.finish = taking(40, ledger.finish.bind(ledger));
    ledger.beforeFinish = () => {
      clock.at = new Date(now.getTime() + 1500);
      const other = repository.orders.get(6);
      if (other) other.state = 'FINISHED';
    };

    const response = await execute([1, 2, 3, 4, 5, 6]);

    expect(response.claimedElsewhereOrders).toEqual([
      {
        orderId: 5,
        reason: {
          code: 'CLAIM.CLAIMED_ELSEWHERE',
          message: 'Another completion call holds this order; try again later',
        },
      },
    ]);
    const notSubmitted = {
      code: 'UPDATE.NOT_SUBMITTED',
      message: 'The order was no longer SUBMITTED: another call finished it',
    };
    expect(response.unsuccessfullyUpdatedOrders).toEqual([{ orderId: 6, reason: notSubmitted }]);
    expect(logs.withMessage('completion call')).toEqual([
      {
        level: 'info',
        fields: {
          callId: 'run-1',
          outcome: 'COMPLETED',
          requested: 6,
          completed: 1,
          finished_elsewhere: 1,
          not_found: 1,
          failed_requirements: 1,
          not_notified: 1,
          not_updated: 0,
          claimed_elsewhere: 1,
          // Measured by the monotonic clock from the database time read at the start: the
          // process clock's jump (1.5 s, in beforeFinish) does not count.
          durationMs: 100,
          phasesMs: { fetch: 10, claim: 20, notify: 30, finish: 40 },
        },
      },
    ]);
    expect(logs.records.filter((r) => r.level === 'debug')).toEqual([
      {
        level: 'debug',
        msg: 'order not completed',
        fields: { callId: 'run-1', orderId: 4, reason: 'not found' },
      },
      {
        level: 'debug',
        msg: 'order not completed',
        fields: { callId: 'run-1', orderId: 2, reasons: ['ORDER.NOT_FULLY_DELIVERED'] },
      },
      {
        level: 'debug',
        msg: 'order not notified',
        fields: { callId: 'run-1', orderId: 3, reason: serverError.reason },
      },
      {
        level: 'debug',
        msg: 'order notified but not updated',
        fields: { callId: 'run-1', orderId: 6, reason: notSubmitted },
      },
      {
        level: 'debug',
        msg: 'order claimed by another call',
        fields: { callId: 'run-1', orderId: 5 },
      },
    ]);
  });

  it('sorts the completed ids, whatever order the acknowledgements arrive in', async () => {
    const { execute } = setup(
      [order(3, 7, [[1, 1]]), order(1, 7, [[1, 1]]), order(2, 7, [[1, 1]])],
      new ScriptedNotifier(),
    );

    expect((await execute([2, 3, 1])).completedOrderIds).toEqual([1, 2, 3]);
  });

  it('given no ids, answers NoOrdersFoundError without asking the database', async () => {
    const { runs, logs, useCase } = setup([order(1, 7, [[1, 1]])]);

    const error = await rejection(useCase.execute([]));

    expect(error).toBeInstanceOf(NoOrdersFoundError);
    expect((error as Error).message).toBe('None of the requested orders exists');
    expect([...runs.runs.values()]).toEqual([
      expect.objectContaining({
        requestedCount: 0,
        end: expect.objectContaining({ outcome: 'ORDERS.NONE_FOUND' }),
      }),
    ]);
    expect(logs.withMessage('none of the requested orders exists')).toEqual([
      { level: 'error', fields: { callId: 'run-1', requested: 0 } },
    ]);
  });

  it('when no order passes the requirements, claims nothing and says so', async () => {
    const { ledger, logs, useCase } = setup([order(1, 1, [[1, 1]])]);

    const error = await rejection(useCase.execute([1]));

    expect(error).toBeInstanceOf(NoOrdersSuccessfullyNotifiedError);
    expect((error as Error).message).toBe('No order passed the requirements, so none was notified');
    const { response } = error as NoOrdersSuccessfullyNotifiedError;
    expect(response.claimedElsewhereOrders).toEqual([]);
    expect(response.unsuccessfullyNotifiedOrders).toEqual([]);
    expect(ledger.rows.size).toBe(0);
    expect(logs.withMessage('No order passed the requirements, so none was notified')).toEqual([
      {
        level: 'error',
        fields: { callId: 'run-1', eligible: 0, failedRequirements: 1, claimedElsewhere: 0 },
      },
    ]);
  });

  it('when every eligible order is claimed by another call, says so and notifies none', async () => {
    const { ledger, notifier, useCase } = setup([order(1, 7, [[1, 1]]), order(2, 7, [[1, 1]])]);
    claimedByAnotherCall(ledger, 1);
    claimedByAnotherCall(ledger, 2);

    const error = await rejection(useCase.execute([1, 2]));

    expect((error as Error).message).toBe(
      'Every eligible order is being completed by another call',
    );
    const { response } = error as NoOrdersSuccessfullyNotifiedError;
    expect(response.unsuccessfullyNotifiedOrders).toEqual([]);
    expect(response.claimedElsewhereOrders.map((o) => o.orderId)).toEqual([1, 2]);
    expect(notifier.received).toEqual([]);
  });

  it('when some are claimed elsewhere and the rest fail to notify: "No order could be notified"', async () => {
    const { ledger, notifier, useCase } = setup([order(1, 7, [[1, 1]]), order(2, 7, [[1, 1]])]);
    claimedByAnotherCall(ledger, 1);
    notifier.failures.set(2, serverError);

    const error = await rejection(useCase.execute([1, 2]));

    expect((error as Error).message).toBe('No order could be notified');
  });

  it('when every notified order was finished by another call meanwhile: NoOrdersSuccessfullyUpdatedError', async () => {
    const { repository, ledger, logs, useCase } = setup([
      order(1, 7, [[1, 1]]),
      order(2, 7, [[1, 1]]),
    ]);
    ledger.beforeFinish = () => {
      for (const o of repository.orders.values()) o.state = 'FINISHED';
    };

    const error = await rejection(useCase.execute([1, 2]));

    expect(error).toBeInstanceOf(NoOrdersSuccessfullyUpdatedError);
    expect((error as Error).message).toBe('No notified order could be updated');
    expect(
      (error as NoOrdersSuccessfullyUpdatedError).response.unsuccessfullyUpdatedOrders,
    ).toEqual([
      { orderId: 1, reason: expect.objectContaining({ code: 'UPDATE.NOT_SUBMITTED' }) },
      { orderId: 2, reason: expect.objectContaining({ code: 'UPDATE.NOT_SUBMITTED' }) },
    ]);
    expect(logs.withMessage('no notified order was updated')).toEqual([
      { level: 'error', fields: { callId: 'run-1', notified: 2 } },
    ]);
  });

  it('when the update and the hand-over both fail, still answers with the notified orders', async () => {
    const { ledger, logs, useCase } = setup([order(1, 7, [[1, 1]])]);
    const deadlock = new Error('deadlock');
    const gone = new Error('connection gone');
    ledger.failFinishWith = deadlock;
    ledger.handOver = async () => {
      throw gone;
    };

    const error = await rejection(useCase.execute([1]));

    expect(error).toBeInstanceOf(NoOrdersSuccessfullyUpdatedError);
    expect((error as Error).message).toBe('The notified orders could not be updated');
    expect(ledger.stateOf(1)).toBe('notified');
    // Without isTransientError nothing is retried, and the driver's own error is what is logged.
    expect(logs.withMessage('marking orders finished failed')).toEqual([
      { level: 'error', fields: { callId: 'run-1', err: deadlock, notified: 1 } },
    ]);
    expect(logs.withMessage('could not hand over the notified orders')).toEqual([
      { level: 'warn', fields: { callId: 'run-1', err: gone } },
    ]);
  });

  it('reports an order the notifier gave no result for as not sent, and releases its claim', async () => {
    const { ledger, execute } = setup(
      [order(1, 7, [[1, 1]]), order(2, 7, [[1, 1]])],
      new ScriptedNotifier([2]),
    );

    const response = await execute([1, 2]);

    expect(response.completedOrderIds).toEqual([1]);
    expect(response.unsuccessfullyNotifiedOrders).toEqual([
      {
        orderId: 2,
        reason: { kind: 'rejected', message: 'the notifier returned no result', attempts: 0 },
      },
    ]);
    expect(ledger.stateOf(2)).toBeUndefined();
  });

  it('when acknowledgements cannot be written, stops sending at once and still finishes what was acknowledged', async () => {
    const { ledger, notifier, logs, execute } = setup([
      order(1, 7, [[1, 1]]),
      order(2, 7, [[1, 1]]),
      order(3, 7, [[1, 1]]),
    ]);
    const failure = new Error('ledger write failed');
    ledger.markNotified = async () => {
      throw failure;
    };

    const response = await execute([1, 2, 3]);

    // Order 1's acknowledgement failed to be written before order 2 was sent: nothing more went.
    expect(notifier.received).toEqual([1]);
    expect(response.completedOrderIds).toEqual([1]);
    expect(ledger.stateOf(1)).toBe('finished');
    expect(response.unsuccessfullyNotifiedOrders.map((o) => [o.orderId, o.reason.kind])).toEqual([
      [2, 'cancelled'],
      [3, 'cancelled'],
    ]);
    // Never sent, so given back at once: the next call sends them without waiting for a lease.
    expect(ledger.stateOf(2)).toBeUndefined();
    expect(
      logs.withMessage('acknowledgements cannot be recorded: stopped sending notifications'),
    ).toEqual([{ level: 'error', fields: { callId: 'run-1', err: failure, unwritten: 1 } }]);
    expect(
      logs.withMessage('could not record acknowledged notifications; finishing them is tried next'),
    ).toEqual([{ level: 'warn', fields: { callId: 'run-1', err: failure, unrecorded: 1 } }]);
  });

  it('waits for the acknowledgements to be written before finishing', async () => {
    const { ledger, execute } = setup([order(1, 7, [[1, 1]])]);
    const written: string[] = [];
    const markNotified = ledger.markNotified.bind(ledger);
    ledger.markNotified = async (...args) => {
      await new Promise((resolve) => setImmediate(resolve));
      await markNotified(...args);
      written.push(`notified ${ledger.stateOf(1)}`);
    };
    const finish = ledger.finish.bind(ledger);
    ledger.finish = async (...args) => {
      written.push(`finish after ${ledger.stateOf(1)}`);
      return finish(...args);
    };

    await execute([1]);

    expect(written).toEqual(['notified notified', 'finish after notified']);
  });

  it('a claim only of orders already notified: finishes them without notifying again', async () => {
    const { ledger, notifier, execute } = setup([order(1, 7, [[1, 1]])]);
    ledger.rows.set(1, { state: 'notified', callId: 'crashed-call', leaseUntil: 0 });

    const response = await execute([1]);

    expect(response.completedOrderIds).toEqual([1]);
    expect(response.unsuccessfullyNotifiedOrders).toEqual([]);
    expect(notifier.received).toEqual([]);
  });

  it('an unexpected failure is recorded as FAILED, logged, and rethrown', async () => {
    const { repository, runs, logs, useCase } = setup([order(1, 7, [[1, 1]])]);
    const failure = new Error('connection reset');
    repository.findByIds = async () => {
      throw failure;
    };

    await expect(useCase.execute([1])).rejects.toBe(failure);

    expect(runs.runs.get('run-1')?.end?.outcome).toBe('FAILED');
    expect(logs.withMessage('completion run failed unexpectedly')).toEqual([
      { level: 'error', fields: { callId: 'run-1', err: failure } },
    ]);
    expect(logs.withMessage('completion call')[0]?.fields.outcome).toBe('FAILED');
  });

  it('when the end of the run cannot be recorded, the response stands and the failure is logged', async () => {
    const { runs, logs, execute } = setup([order(1, 7, [[1, 1]])]);
    const failure = new Error('audit table locked');
    runs.complete = async () => {
      throw failure;
    };

    expect((await execute([1])).completedOrderIds).toEqual([1]);
    expect(logs.withMessage('could not record the end of the completion run')).toEqual([
      { level: 'error', fields: { callId: 'run-1', err: failure } },
    ]);
  });
});

describe('CompleteOrders: riding out a database outage (fake clock)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** The use case with finish failing as "unreachable" for the first `outageMs`. */
  function withOutage(outageMs: number, ledgerWriteRetryMs: number) {
    vi.useFakeTimers();
    const started = Date.now();
    const repository = new InMemoryOrderRepository([order(1, 7, [[1, 1]])]);
    const ledger = new InMemoryLedger(repository);
    const logs = new RecordingLogger();
    const outage = Object.assign(new Error('connection lost'), { transient: true });
    const finish = ledger.finish.bind(ledger);
    ledger.finish = async (...args) => {
      if (Date.now() - started < outageMs) throw outage;
      return finish(...args);
    };
    const useCase = new CompleteOrders({
      repository,
      ledger,
      calls: new InMemoryCalls(),
      notifier: new FakeNotifier(),
      requirements,
      clock: { now: () => now },
      databaseClock: { now: async () => now },
      logger: logs,
      newCallId: () => 'run-outage',
      claimLeaseMs: leaseMs,
      isTransientError: (error) => (error as { transient?: boolean }).transient === true,
      ledgerWriteRetryMs,
    });
    let settled: { response?: unknown; error?: unknown } | null = null;
    useCase.execute([1]).then(
      ({ response }) => {
        settled = { response };
      },
      (error: unknown) => {
        settled = { error };
      },
    );
    return { logs, outage, settled: () => settled };
  }

  it('retries after 100, 200, 400 ms: an outage of 700 ms within a 700 ms budget is ridden out', async () => {
    const { logs, settled } = withOutage(700, 700);

    await vi.advanceTimersByTimeAsync(699);
    expect(settled()).toBeNull();
    await vi.advanceTimersByTimeAsync(1);

    expect(settled()).toEqual({ response: expect.objectContaining({ completedOrderIds: [1] }) });
    expect(
      logs
        .withMessage('database unreachable; retrying a ledger write')
        .map((r) => r.fields.retryInMs),
    ).toEqual([100, 200, 400]);
  });

  it('gives up when the next retry would end past the budget', async () => {
    const { outage, logs, settled } = withOutage(10_000, 699);

    await vi.advanceTimersByTimeAsync(300);

    expect(settled()).toEqual({ error: expect.any(NoOrdersSuccessfullyUpdatedError) });
    expect(logs.withMessage('marking orders finished failed')[0]?.fields.err).toBe(outage);
  });

  it('doubles the wait up to 5 s', async () => {
    const { logs, settled } = withOutage(30_000, 60_000);

    // Attempts at 0, 0.1, 0.3, 0.7, 1.5, 3.1, 6.3, 11.3, 16.3, 21.3, 26.3 and 31.3 s.
    await vi.advanceTimersByTimeAsync(31_299);
    expect(settled()).toBeNull();
    await vi.advanceTimersByTimeAsync(1);

    expect(settled()).toEqual({ response: expect.objectContaining({ completedOrderIds: [1] }) });
    expect(
      logs
        .withMessage('database unreachable; retrying a ledger write')
        .map((r) => r.fields.retryInMs),
    ).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000, 5000]);
  });
});
