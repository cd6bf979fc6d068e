/**
 * Without idempotency keys (the original `legacy` API), a notification that may have been
 * delivered without an answer is held for an operator instead of being sent again.
 */
import { describe, expect, it } from 'vitest';
import {
  FakeNotifier,
  InMemoryCalls,
  InMemoryLedger,
  InMemoryOrderRepository,
} from '../test/fakes.js';
import { CompleteOrders, type Order, silentLogger } from './index.js';

const now = new Date('2026-11-27T12:00:00.000Z');
const leaseMs = 60_000;
const order = (id: number): Order => ({
  id,
  orderDate: new Date('2025-01-01T00:00:00.000Z'),
  state: 'SUBMITTED',
  lines: [{ id, productId: 1, orderedQuantity: 1, deliveredQuantity: 1 }],
});
const timedOut = {
  reason: { kind: 'timeout' as const, message: 'no answer within 30000 ms', attempts: 1 },
  maybeDelivered: true,
};

function setup(holdUnconfirmed: boolean) {
  const repository = new InMemoryOrderRepository([order(1), order(2)]);
  const clock = { at: now, now: () => clock.at };
  const ledger = new InMemoryLedger(repository, clock);
  const notifier = new FakeNotifier();
  let run = 0;
  const useCase = new CompleteOrders({
    repository,
    ledger,
    calls: new InMemoryCalls(),
    notifier,
    requirements: [],
    clock,
    databaseClock: { now: async () => clock.at },
    logger: silentLogger,
    newCallId: () => `run-${++run}`,
    claimLeaseMs: leaseMs,
    holdUnconfirmed,
  });
  return { repository, ledger, notifier, clock, useCase };
}

describe('notifications that may have been delivered', () => {
  it('are held for an operator: never sent again on their own, not even after the lease', async () => {
    const { ledger, notifier, clock, useCase } = setup(true);
    notifier.failures.set(2, timedOut);

    const { response } = await useCase.execute([1, 2]);

    expect(response.completedOrderIds).toEqual([1]);
    expect(response.unsuccessfullyNotifiedOrders).toEqual([
      {
        orderId: 2,
        reason: expect.objectContaining({
          kind: 'timeout',
          message: expect.stringContaining('held for an operator'),
        }),
      },
    ]);
    expect(ledger.stateOf(2)).toBe('unconfirmed');

    notifier.failures.clear();
    clock.at = new Date(now.getTime() + 10 * leaseMs);
    const later = await useCase.execute([2]).catch((error: { response: unknown }) => error);
    expect(
      (later as { response: { claimedElsewhereOrders: unknown[] } }).response
        .claimedElsewhereOrders,
    ).toEqual([
      { orderId: 2, reason: expect.objectContaining({ code: 'CLAIM.CLAIMED_ELSEWHERE' }) },
    ]);
    expect(notifier.timesReceived(2)).toBe(1);
  });

  it('with idempotency keys they are sent again once the lease ends (the service drops repeats)', async () => {
    const { ledger, notifier, clock, useCase } = setup(false);
    notifier.failures.set(2, timedOut);

    await useCase.execute([1, 2]);
    expect(ledger.stateOf(2)).toBe('claimed');

    notifier.failures.clear();
    clock.at = new Date(now.getTime() + leaseMs);
    const { response } = await useCase.execute([2]);
    expect(response.completedOrderIds).toEqual([2]);
    expect(notifier.timesReceived(2)).toBe(2);
  });
});
