import { describe, expect, it } from 'vitest';
import {
  commandOf,
  expectedDocument,
  markdownTable,
  type ResultFile,
  runsTable,
  type SavedResult,
  tableBegin,
  tableEnd,
  withTable,
} from './results-table.js';

const settings = {
  ns: [10_000],
  latencyMs: 20,
  protocol: 'v1',
  originalN: 2000,
  skipOriginal: true,
  skipFloor: false,
  compiled: true,
  sqlProxy: false,
};

const result = (overrides: Partial<SavedResult>): SavedResult => ({
  scenario: 'ours',
  protocol: 'v1',
  n: 10_000,
  seconds: 0.6,
  server: { peakRssMb: 154.2 },
  scheduler: { peakRssMb: 100.6 },
  sql: null,
  globalStatus: { questions: 82 },
  notifier: { requests: 71 },
  checks: { passed: true },
  ...overrides,
});

describe('docs/benchmarks.md', () => {
  it('given the runs under bench/results, holds the tables they generate (pnpm bench:table)', () => {
    const { current, expected } = expectedDocument();
    expect(current, 'stale: run pnpm bench:table').toBe(expected);
  });
});

describe('runsTable', () => {
  it('given a run of ours and its floor, shows the date, the command, the ratio and counts', () => {
    const file: ResultFile = {
      link: '../bench/results/x.json',
      run: {
        date: '2026-11-28T12:32:59.132Z',
        settings,
        results: [
          result({}),
          result({ scenario: 'floor', protocol: null, seconds: 0.055, server: null }),
        ],
      },
    };
    const row = runsTable([file]).split('\n')[2] ?? '';
    expect(row).toContain('[2026-11-28 12:32 UTC](../bench/results/x.json)');
    expect(row).toContain('`pnpm bench --n 10000 --skip-original`');
    expect(row).toContain('0.60 s');
    expect(row).toContain('0.06 s');
    expect(row).toContain('11x');
    expect(row).toContain('154 / 101 MB');
    expect(row).toContain('~82');
    expect(row).toContain('pass');
  });

  it('when a check failed, says FAIL, and counts exact statements when the proxy counted them', () => {
    const file: ResultFile = {
      link: 'x.json',
      run: {
        date: '2026-11-28T07:52:36.141Z',
        settings: { ...settings, skipFloor: true, sqlProxy: true },
        results: [result({ checks: { passed: false }, sql: { statements: 1210 } })],
      },
    };
    const row = runsTable([file]).split('\n')[2] ?? '';
    expect(row).toContain('FAIL');
    expect(row).toContain('1,210');
    expect(row).not.toContain('~');
  });
});

describe('commandOf', () => {
  it('names only the flags whose settings differ from the defaults', () => {
    expect(commandOf({ ...settings, ns: [10_000, 100_000], skipOriginal: false })).toBe(
      '`pnpm bench`',
    );
    expect(
      commandOf({
        ...settings,
        protocol: 'legacy',
        latencyMs: 2,
        compiled: false,
        serverEnv: { NOTIFIER_CONCURRENCY: '32' },
      }),
    ).toBe(
      '`pnpm bench --n 10000 --latency-ms 2 --protocol legacy --skip-original --source --server-env NOTIFIER_CONCURRENCY=32`',
    );
  });
});

describe('markdownTable', () => {
  it('pads every column to its widest cell, right-aligned columns on the left', () => {
    expect(markdownTable(['a', 'b'], ['left', 'right'], [['long text', '1']])).toBe(
      ['| a         |   b |', '| --------- | --: |', '| long text |   1 |'].join('\n'),
    );
  });
});

describe('withTable', () => {
  it('replaces only what lies between the markers, and refuses a document without them', () => {
    const document = `before\n${tableBegin}\nold\n${tableEnd}\nafter\n`;
    expect(withTable(document, `${tableBegin}\nnew\n${tableEnd}`)).toBe(
      `before\n${tableBegin}\nnew\n${tableEnd}\nafter\n`,
    );
    expect(() => withTable('no markers', 'x')).toThrow(/bench-table:begin/);
  });
});
