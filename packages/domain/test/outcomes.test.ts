import { describe, expect, it } from 'vitest';
import {
  type CallOutcome,
  type CompleteOrderResponse,
  callOutcomes,
  classifyResponse,
  countOutcomes,
  emptyCompleteOrderResponse,
  isRetryable,
  outcomeLabel,
  outcomes,
  outcomeTable,
} from '../src/index.js';

/** A response with one id of the given call outcome (id 1). */
export function responseWith(outcome: CallOutcome): CompleteOrderResponse {
  const r = emptyCompleteOrderResponse();
  switch (outcome) {
    case 'completed':
      r.completedOrderIds.push(1);
      break;
    case 'finished_elsewhere':
      r.unsuccessfullyUpdatedOrders.push({
        orderId: 1,
        reason: { code: 'UPDATE.NOT_SUBMITTED', message: 'finished by another call' },
      });
      break;
    case 'not_found':
      r.notFoundOrderIds.push(1);
      break;
    case 'failed_requirements':
      r.unsuccessfulOrders.push({
        orderId: 1,
        reasons: [{ requirement: 'order-age', code: 'ORDER.TOO_RECENT', message: 'too recent' }],
      });
      break;
    case 'not_notified':
      r.unsuccessfullyNotifiedOrders.push({
        orderId: 1,
        reason: { kind: 'http-status', status: 503, message: '503', attempts: 3 },
      });
      break;
    case 'not_updated':
      r.unsuccessfullyUpdatedOrders.push({
        orderId: 1,
        reason: { code: 'UPDATE.FAILED', message: 'rolled back' },
      });
      break;
    case 'claimed_elsewhere':
      r.claimedElsewhereOrders.push({
        orderId: 1,
        reason: { code: 'CLAIM.CLAIMED_ELSEWHERE', message: 'held' },
      });
      break;
  }
  return r;
}

describe('the outcome table', () => {
  it('names every outcome once, with a label, and the response field where one list holds it', () => {
    expect(outcomes).toEqual([
      'completed',
      'finished_elsewhere',
      'not_found',
      'failed_requirements',
      'not_notified',
      'not_updated',
      'claimed_elsewhere',
      'request_failed',
      'unreachable',
      'not_tried',
    ]);
    expect(new Set(outcomes.map(outcomeLabel)).size).toBe(outcomes.length);
    expect(outcomeTable.failed_requirements.responseField).toBe('unsuccessfulOrders');
    expect(outcomes.filter(isRetryable)).toEqual([
      'not_notified',
      'not_updated',
      'claimed_elsewhere',
      'request_failed',
      'unreachable',
      'not_tried',
    ]);
  });

  it.each(callOutcomes)(
    'classifies a response entry as %s and counts it there alone',
    (outcome) => {
      const response = responseWith(outcome);
      const [only, ...rest] = classifyResponse(response);
      expect(rest).toEqual([]);
      expect(only?.outcome).toBe(outcome);
      const counts = countOutcomes(response);
      expect(counts[outcome]).toBe(1);
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(1);
    },
  );

  it('groups failures by a reason code', () => {
    expect(classifyResponse(responseWith('not_notified'))[0]?.reasonCode).toBe('NOTIFY.HTTP_503');
    expect(classifyResponse(responseWith('failed_requirements'))[0]?.reasonCode).toBe(
      'ORDER.TOO_RECENT',
    );
  });
});
