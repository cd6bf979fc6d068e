/**
 * Fixtures for the tests of packages that use @ocs/domain: a response per outcome, so each
 * place that counts outcomes can be checked against the one table.
 */
import {
  type CompleteOrderResponse,
  emptyCompleteOrderResponse,
} from '../complete-order-response.js';
import type { CallOutcome } from '../outcomes.js';

/** A response with one id of the given call outcome (`orderId`, default 1). */
export function responseWith(outcome: CallOutcome, orderId = 1): CompleteOrderResponse {
  const r = emptyCompleteOrderResponse();
  switch (outcome) {
    case 'completed':
      r.completedOrderIds.push(orderId);
      break;
    case 'finished_elsewhere':
      r.unsuccessfullyUpdatedOrders.push({
        orderId,
        reason: { code: 'UPDATE.NOT_SUBMITTED', message: 'finished by another call' },
      });
      break;
    case 'not_found':
      r.notFoundOrderIds.push(orderId);
      break;
    case 'failed_requirements':
      r.unsuccessfulOrders.push({
        orderId,
        reasons: [{ requirement: 'order-age', code: 'ORDER.TOO_RECENT', message: 'too recent' }],
      });
      break;
    case 'not_notified':
      r.unsuccessfullyNotifiedOrders.push({
        orderId,
        reason: { kind: 'http-status', status: 503, message: '503', attempts: 3 },
      });
      break;
    case 'not_updated':
      r.unsuccessfullyUpdatedOrders.push({
        orderId,
        reason: { code: 'UPDATE.FAILED', message: 'rolled back' },
      });
      break;
    case 'claimed_elsewhere':
      r.claimedElsewhereOrders.push({
        orderId,
        reason: { code: 'CLAIM.CLAIMED_ELSEWHERE', message: 'held' },
      });
      break;
  }
  return r;
}
