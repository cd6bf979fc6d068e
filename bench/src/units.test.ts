import { subtractCalendarMonths } from '@ocs/domain';
import { describe, expect, it } from 'vitest';
import { countLabel, renderChart } from './chart.js';
import { summariseProfile, whereOf } from './profile-summary.js';
import { parseRunSummary } from './scenarios/ours.js';

describe('renderChart', () => {
  it('draws every series with its points and a legend', () => {
    const svg = renderChart(
      [
        {
          label: 'ours',
          color: '#00f',
          points: [
            { n: 10_000, seconds: 2 },
            { n: 100_000, seconds: 15 },
          ],
        },
        { label: 'orig <x>', color: '#f00', points: [{ n: 2000, seconds: 30 }], extrapolate: true },
      ],
      { title: 'T' },
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('<polyline');
    expect(svg).toContain('stroke-dasharray');
    expect(svg).toContain('orig &lt;x&gt;');
    expect(svg.match(/<circle/g)?.length).toBe(3 + 2);
    expect(countLabel(1_000_000)).toBe('1M');
    expect(countLabel(10_000)).toBe('10k');
  });
});

describe('summariseProfile', () => {
  it('sums self time by function and by package, idle excluded', () => {
    const frame = (functionName: string, url = '') => ({
      functionName,
      url,
      lineNumber: 0,
      columnNumber: 0,
    });
    const summary = summariseProfile({
      nodes: [
        { id: 1, callFrame: frame('(root)') },
        { id: 2, callFrame: frame('(idle)') },
        {
          id: 3,
          callFrame: frame('build', 'file:///r/node_modules/.pnpm/x/node_modules/drizzle-orm/q.js'),
        },
        { id: 4, callFrame: frame('(garbage collector)') },
      ],
      startTime: 0,
      endTime: 4000,
      samples: [2, 3, 3, 4],
      timeDeltas: [0, 1000, 1000, 1000],
    });
    expect(summary.byWhere.map((w) => w.name)).toEqual(['drizzle-orm', '(garbage collector)']);
    expect(summary.functions[0]?.percent).toBeCloseTo(66.7, 1);
    expect(whereOf(frame('f', 'node:internal/streams/readable'))).toBe('node: streams, net');
    expect(whereOf(frame('f', 'node:internal/deps/undici/undici'))).toBe('node: fetch (undici)');
    expect(whereOf(frame('f', 'file:///r/packages/db/src/a.ts'))).toBe('packages/db');
  });
});

describe('helpers', () => {
  it('reads the run summary from the scheduler log', () => {
    const log =
      'noise\n{"level":30,"summary":{"durationMs":1234,"completed":5},"msg":"run finished"}\n';
    expect(parseRunSummary(log)).toEqual({ durationMs: 1234, completed: 5 });
    expect(parseRunSummary('nothing')).toBeNull();
  });
  it('counts calendar months with the day clamped (the domain helper the floor uses)', () => {
    expect(subtractCalendarMonths(new Date('2026-08-31T10:00:00Z'), 6).toISOString()).toBe(
      '2026-02-28T10:00:00.000Z',
    );
  });
});
