/**
 * Faults a fleet meets that a single process never shows: a replica whose clock is off, and a
 * database that stops recording acknowledgements while notifications are going out.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  FakeNotifier,
  InMemoryCalls,
  InMemoryLedger,
  InMemoryOrderRepository,
  RecordingLogger,
} from '../test/fakes.js';
import {
  CompleteOrders,
  type CompleteOrdersDependencies,
  NoOrdersSuccessfullyUpdatedError,
  type Order,
  retryableOrderIds,
} from './index.js';

const databaseNow = new Date('2026-11-27T12:00:00.000Z');
const leaseMs = 60_000;
const order = (id: number): Order => ({
  id,
  orderDate: new Date('2025-01-01T00:00:00.000Z'),
  state: 'SUBMITTED',
  lines: [{ id, productId: 1, orderedQuantity: 1, deliveredQuantity: 1 }],
});

/** One replica: its own process clock, the database's clock shared with every replica. */
function replica(
  ids: number[],
  processClockOffsetMs: number,
  extra: Partial<CompleteOrdersDependencies> = {},
) {
  const repository = new InMemoryOrderRepository(ids.map(order));
  const database = { at: databaseNow, now: () => database.at };
  const ledger = new InMemoryLedger(repository, database);
  const notifier = new FakeNotifier();
  const logs = new RecordingLogger();
  let run = 0;
  const useCase = new CompleteOrders({
    repository,
    ledger,
    calls: new InMemoryCalls(),
    notifier,
    requirements: [],
    clock: { now: () => new Date(database.at.getTime() + processClockOffsetMs) },
    databaseClock: { now: async () => database.at },
    logger: logs,
    newCallId: () => `run-${++run}`,
    claimLeaseMs: leaseMs,
    ...extra,
  });
  return { repository, ledger, notifier, logs, useCase, database };
}

/** Makes the ledger's acknowledgement writes hang (a partition) until the returned release. */
function hangAcknowledgements(ledger: InMemoryLedger): () => void {
  let release = () => {};
  const hanging = new Promise<void>((resolve) => {
    release = resolve;
  });
  const markNotified = ledger.markNotified.bind(ledger);
  ledger.markNotified = async (callId, ids) => {
    await hanging;
    return markNotified(callId, ids);
  };
  return release;
}

describe('a replica whose clock is off', () => {
  for (const offsetMs of [15 * 60_000, -15 * 60_000, 2 * 3_600_000, -2 * 3_600_000]) {
    it(`never takes over a live claim (its clock ${offsetMs / 60_000} min off)`, async () => {
      const { ledger, notifier, useCase } = replica([1, 2], offsetMs);
      // Another replica claimed order 1 a second ago, in the database's clock.
      ledger.rows.set(1, {
        state: 'claimed',
        callId: 'other-replica',
        leaseUntil: databaseNow.getTime() + leaseMs - 1000,
      });

      const { response } = await useCase.execute([1, 2]);

      expect(response.claimedElsewhereOrders.map((o) => o.orderId)).toEqual([1]);
      expect(notifier.received).toEqual([2]);
      expect(ledger.rows.get(1)?.callId).toBe('other-replica');
    });
  }

  it('takes a claim over once its lease has ended in the database clock, not its own', async () => {
    const { ledger, notifier, useCase, database } = replica([1], -2 * 3_600_000);
    ledger.rows.set(1, {
      state: 'claimed',
      callId: 'dead-replica',
      leaseUntil: databaseNow.getTime() + 1000,
    });
    database.at = new Date(databaseNow.getTime() + 1000);

    const { response } = await useCase.execute([1]);

    expect(response.completedOrderIds).toEqual([1]);
    expect(notifier.received).toEqual([1]);
  });
});

describe('a database that cannot record acknowledgements', () => {
  it('pauses sending while the acknowledgements not yet written reach the bound', async () => {
    const { ledger, notifier, useCase } = replica([1, 2, 3, 4, 5, 6], 0, {
      maxUnrecordedAcknowledgements: 2,
    });
    // The first write hangs (a partition) until released.
    const release = hangAcknowledgements(ledger);

    const call = useCase.execute([1, 2, 3, 4, 5, 6]);
    // The third order is waiting on the use case's back-pressure.
    await vi.waitFor(() => expect(notifier.sendsAsked).toBe(3));

    // Order 1 is being written, order 2 waits to be: no third request while both are unwritten.
    expect(notifier.received).toEqual([1, 2]);
    release();
    const { response } = await call;
    expect(response.completedOrderIds).toEqual([1, 2, 3, 4, 5, 6]);
    expect(notifier.received).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('counts the bound over every call of the process: two calls wait on the same unwritten ones', async () => {
    const { ledger, notifier, useCase } = replica([1, 2, 3, 4, 5, 6], 0, {
      maxUnrecordedAcknowledgements: 2,
    });
    const release = hangAcknowledgements(ledger);

    const calls = [useCase.execute([1, 2, 3]), useCase.execute([4, 5, 6])];
    // Each call's second order is waiting on the back-pressure.
    await vi.waitFor(() => expect(notifier.sendsAsked).toBe(4));

    // One acknowledgement unwritten per call: the process's bound of 2 is reached.
    expect(notifier.received).toHaveLength(2);
    release();
    const responses = await Promise.all(calls);
    expect(responses.flatMap((r) => r.response.completedOrderIds).sort()).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
  });

  it("a call's deadline (stopSending) stops new requests and still finishes what was acknowledged", async () => {
    const { ledger, notifier, useCase } = replica([1, 2, 3], 0);
    const deadline = new AbortController();
    const markNotified = ledger.markNotified.bind(ledger);
    ledger.markNotified = async (callId, ids) => {
      deadline.abort();
      return markNotified(callId, ids);
    };

    const { response } = await useCase.execute([1, 2, 3], { stopSending: deadline.signal });

    expect(notifier.received).toEqual([1]);
    expect(response.completedOrderIds).toEqual([1]);
    expect(response.unsuccessfullyNotifiedOrders.map((o) => [o.orderId, o.reason.kind])).toEqual([
      [2, 'cancelled'],
      [3, 'cancelled'],
    ]);
  });

  it('reports acknowledged orders that neither the acknowledgement nor the finish could record', async () => {
    const outage = Object.assign(new Error('connect ECONNREFUSED'), { transient: true });
    const { ledger, notifier, logs, useCase } = replica([1, 2, 3, 4], 0, {
      isTransientError: (error) => (error as { transient?: boolean }).transient === true,
      ledgerWriteRetryMs: 150,
    });
    ledger.markNotified = async () => {
      throw outage;
    };
    ledger.failFinishWith = outage;

    const error = await useCase.execute([1, 2, 3, 4]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(NoOrdersSuccessfullyUpdatedError);
    const { response } = error as NoOrdersSuccessfullyUpdatedError;
    // Sending stopped at the first failed write: one order went out, unrecorded.
    expect(notifier.received).toEqual([1]);
    expect(response.unsuccessfullyUpdatedOrders).toEqual([
      { orderId: 1, reason: expect.objectContaining({ code: 'UPDATE.UNRECORDED' }) },
    ]);
    expect(response.unsuccessfullyNotifiedOrders.map((o) => o.orderId)).toEqual([2, 3, 4]);
    // Every one of them is for a later call to complete.
    expect(retryableOrderIds(response).sort()).toEqual([1, 2, 3, 4]);
    expect(
      logs.withMessage(
        'notifications acknowledged but never recorded: a call after their claims end sends them again',
      ),
    ).toEqual([{ level: 'error', fields: { callId: 'run-1', unrecorded: 1, exampleIds: [1] } }]);
  });
});
