import { describe, expect, it } from 'vitest';
import {
  callOutcomes,
  classifyResponse,
  countOutcomes,
  isRetryable,
  outcomeLabel,
  outcomes,
  outcomeTable,
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
