import { describe, expect, it } from 'vitest';
import {
  type CompleteOrderResponse,
  callOutcomes,
  classifyResponse,
  countOutcomes,
  emptyCompleteOrderResponse,
  isRetryable,
  notificationReasonCode,
  outcomeLabel,
  outcomes,
  outcomeTable,
  retryableOutcomes,
  zeroCounts,
} from './index.js';
import { responseWith } from './testing/index.js';

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

describe('classifyResponse, entry by entry', () => {
  const reason = (code: string) => ({ requirement: 'r', code, message: code });

  it('given only ORDER.ALREADY_FINISHED, then the order finished elsewhere; with another reason, its requirements failed, grouped by every distinct code in order', () => {
    const response = {
      ...emptyCompleteOrderResponse(),
      unsuccessfulOrders: [
        { orderId: 1, reasons: [reason('ORDER.ALREADY_FINISHED')] },
        {
          orderId: 2,
          reasons: [
            reason('ORDER.TOO_RECENT'),
            reason('ORDER.ALREADY_FINISHED'),
            reason('ORDER.TOO_RECENT'),
          ],
        },
        { orderId: 3, reasons: [reason('ORDER.TOO_RECENT')] },
      ],
    };
    expect(
      classifyResponse(response).map(({ orderId, outcome, reasonCode }) => ({
        orderId,
        outcome,
        reasonCode,
      })),
    ).toEqual([
      { orderId: 1, outcome: 'finished_elsewhere', reasonCode: 'ORDER.ALREADY_FINISHED' },
      {
        orderId: 2,
        outcome: 'failed_requirements',
        reasonCode: 'ORDER.ALREADY_FINISHED + ORDER.TOO_RECENT',
      },
      { orderId: 3, outcome: 'failed_requirements', reasonCode: 'ORDER.TOO_RECENT' },
    ]);
  });

  it('given not-found and completed ids, then only the not-found ones carry a reason code', () => {
    const response = {
      ...emptyCompleteOrderResponse(),
      completedOrderIds: [1],
      notFoundOrderIds: [2],
    };
    expect(classifyResponse(response)).toEqual([
      { orderId: 1, outcome: 'completed', reason: null, reasonCode: null },
      { orderId: 2, outcome: 'not_found', reason: null, reasonCode: 'NOT_FOUND' },
    ]);
  });

  it('given an answer from a server without claimedElsewhereOrders, then the other ids are classified as usual', () => {
    const { claimedElsewhereOrders: _left, ...old } = {
      ...emptyCompleteOrderResponse(),
      completedOrderIds: [5],
    };
    expect(classifyResponse(old as CompleteOrderResponse).map((o) => o.outcome)).toEqual([
      'completed',
    ]);
  });
});

describe('notificationReasonCode', () => {
  it('names an HTTP failure by its status, every other kind by its name in capitals', () => {
    expect(notificationReasonCode('http-status', 503)).toBe('NOTIFY.HTTP_503');
    expect(notificationReasonCode('http-status')).toBe('NOTIFY.HTTP_STATUS');
    expect(notificationReasonCode('timeout', 503)).toBe('NOTIFY.TIMEOUT');
    expect(notificationReasonCode('circuit-open')).toBe('NOTIFY.CIRCUIT_OPEN');
  });
});

describe('the derived lists', () => {
  it('lists the retryable outcomes in table order, and zero counts for every outcome', () => {
    expect(retryableOutcomes).toEqual(outcomes.filter(isRetryable));
    expect(retryableOutcomes.length).toBeGreaterThan(0);
    expect(retryableOutcomes.length).toBeLessThan(outcomes.length);
    const zero = zeroCounts();
    expect(Object.keys(zero)).toEqual([...outcomes]);
    expect(Object.values(zero).every((n) => n === 0)).toBe(true);
  });
});
