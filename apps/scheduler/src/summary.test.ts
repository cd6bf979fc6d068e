/** The run summary as printed at the end of a run. */
import { describe, expect, it } from 'vitest';
import { twoRounds, withCounts } from '../test/summaries.js';
import type { RunSummary } from './completion-job.js';
import { formatSummary } from './summary.js';

const base: RunSummary = withCounts({
  pending: 12,
  completed: 5,
  notFound: 1,
  failedRequirementOrders: 3,
  failedRequirements: {
    'ORDER.TOO_RECENT': 2,
    'ORDER.NOT_FULLY_DELIVERED': 1,
    'ORDER.NO_LINES': 1,
  },
  finishedElsewhere: 2,
  notNotified: 1,
  notUpdated: 0,
  claimedElsewhere: 2,
  requestFailed: 3,
  unreachable: 4,
  leftUndone: 10,
  notTried: 0,
  deadlineExceeded: false,
  morePending: false,
  lockExpired: false,
  heldByOtherCalls: 7,
  oldestClaimAgeMs: 12_340,
  heldForOperator: 0,
  rounds: 4,
  durationMs: 61_250,
});

describe('formatSummary', () => {
  it('prints every count, the requirement codes in order, the duration and the rounds', () => {
    expect(formatSummary(base)).toBe(
      [
        'Run summary (61.3 s, 4 rounds)',
        '  pending orders:             12',
        '  completed:                  5',
        '  finished by another call:   2',
        '  not found:                  1',
        '  requirements not met:       3 orders, by reason:',
        '    ORDER.NO_LINES: 1',
        '    ORDER.NOT_FULLY_DELIVERED: 1',
        '    ORDER.TOO_RECENT: 2',
        '  left undone:                10 (retried by the next run), of which:',
        '    not notified:             1',
        '    not updated:              0',
        '    claimed by another call:  2',
        '    request failed:           3',
        '    server unreachable:       4',
        '    not tried:                0',
        '  held by other calls:        7 (oldest claim 12.3 s old; retried by the next run)',
      ].join('\n'),
    );
  });

  it('says when the run stopped sending because its lock could not be renewed', () => {
    expect(formatSummary({ ...base, lockExpired: true, morePending: true })).toContain(
      '  stopped sending: the single-runner lock could not be renewed within its lease; more pending orders were not read',
    );
  });

  it('says when the held count is unknown, and lists orders held for an operator', () => {
    const text = formatSummary({ ...base, heldByOtherCalls: null, heldForOperator: 2 });
    expect(text).toContain('  held by other calls:        unknown (the server could not say)');
    expect(text).toContain('  held for an operator:       2 (release them in the admin app)');
  });

  it('says "1 round", and lists no codes when nothing failed a requirement', () => {
    const text = formatSummary(
      withCounts({
        ...base,
        failedRequirementOrders: 0,
        failedRequirements: {},
        rounds: 1,
        durationMs: 40,
      }),
    );

    expect(text.split('\n').slice(0, 1)).toEqual(['Run summary (0.0 s, 1 round)']);
    expect(text).toContain(
      '  requirements not met:       0 orders, by reason:\n  left undone:                10',
    );
  });

  it('says when the run deadline stopped the run, and whether pages were left unread', () => {
    const stopped = formatSummary(withCounts({ ...base, notTried: 2, deadlineExceeded: true }));
    expect(stopped).toContain('    not tried:                2');
    expect(stopped.split('\n').at(-1)).toBe('  stopped by the run deadline (RUN_DEADLINE_MS)');
    expect(
      formatSummary({ ...base, deadlineExceeded: true, morePending: true })
        .split('\n')
        .at(-1),
    ).toBe('  stopped by the run deadline (RUN_DEADLINE_MS); more pending orders were not read');
  });
});

describe('formatSummary of a run of two rounds', () => {
  it('lists completed and failed counts by reason', () => {
    const text = formatSummary(twoRounds);
    expect(text).toContain('completed:                  3');
    expect(text).toContain('requirements not met:       2 orders');
    expect(text).toContain('ORDER.NOT_FULLY_DELIVERED: 1');
    expect(text).toContain('ORDER.TOO_RECENT: 2');
    expect(text).toContain('not notified:             1');
    expect(text).toContain('left undone:                1');
    expect(text).toContain('1.2 s, 2 rounds');
  });
});
