import {
  emptyCompleteOrderResponse,
  NoOrdersSuccessfullyUpdatedError,
  type OrderCompletion,
} from '@ocs/domain';
import { describe, expect, it } from 'vitest';
import { ServerMetrics } from './metrics.js';

describe('ServerMetrics', () => {
  it('counts notifications acknowledged but never recorded', async () => {
    const metrics = new ServerMetrics();
    const unrecorded = { code: 'UPDATE.UNRECORDED' as const, message: 'lost' };
    const rolledBack = { code: 'UPDATE.FAILED' as const, message: 'rolled back' };
    const response = {
      ...emptyCompleteOrderResponse(),
      unsuccessfullyUpdatedOrders: [
        { orderId: 1, reason: unrecorded },
        { orderId: 2, reason: unrecorded },
        { orderId: 3, reason: rolledBack },
      ],
    };
    const completion: OrderCompletion = {
      complete: async () => {
        throw new NoOrdersSuccessfullyUpdatedError('not updated', response, 'run-1');
      },
    };

    await expect(metrics.meterCompletion(completion).complete([1, 2, 3])).rejects.toThrow();

    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^ocs_notifications_unrecorded_total 2$/m);
    expect(text).toMatch(/^ocs_completion_orders_total\{outcome="not_updated"\} 3$/m);
  });

  it('counts every outcome of a call, claimed elsewhere included', async () => {
    const metrics = new ServerMetrics();
    const response = {
      ...emptyCompleteOrderResponse(),
      completedOrderIds: [1, 2],
      notFoundOrderIds: [3],
      claimedElsewhereOrders: [
        { orderId: 4, reason: { code: 'CLAIM.CLAIMED_ELSEWHERE' as const, message: 'held' } },
        { orderId: 5, reason: { code: 'CLAIM.CLAIMED_ELSEWHERE' as const, message: 'held' } },
      ],
    };
    const completion: OrderCompletion = { complete: async () => ({ response, callId: 'run-2' }) };

    await metrics.meterCompletion(completion).complete([1, 2, 3, 4, 5]);

    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^ocs_completion_orders_total\{outcome="completed"\} 2$/m);
    expect(text).toMatch(/^ocs_completion_orders_total\{outcome="not_found"\} 1$/m);
    expect(text).toMatch(/^ocs_completion_orders_total\{outcome="claimed_elsewhere"\} 2$/m);
  });
});
