import { describe, expect, it } from 'vitest';
import {
  outcomes,
  runProgressSchema,
  runTriggerSchema,
  schedulerLockName,
  schedulerReportSchema,
  schedulerRunSchema,
} from './index.js';

describe('a scheduler run', () => {
  it('is run under the lock named scheduler, from one of four triggers', () => {
    expect(schedulerLockName).toBe('scheduler');
    expect(runTriggerSchema.options).toEqual(['cron', 'run-once', 'admin', 'retry']);
  });

  it('given a progress report with only what is known, then it fills the defaults and keeps the counts', () => {
    const progress = runProgressSchema.parse({ pending: 4, settled: 2, counts: { completed: 2 } });
    expect(progress).toEqual({
      expected: null,
      pending: 4,
      settled: 2,
      counts: { ...Object.fromEntries(outcomes.map((o) => [o, 0])), completed: 2 },
      failedRequirements: {},
    });
    expect(runProgressSchema.safeParse({ settled: 2, counts: {} }).success).toBe(false);
  });

  it('given a stored run, then its id is not empty and its notes default to none', () => {
    const run = {
      pending: 0,
      settled: 0,
      counts: {},
      id: 'run-2026-12-07',
      triggeredBy: 'cron',
      status: 'running',
      requestedAt: new Date(0),
      startedAt: null,
      finishedAt: null,
      updatedAt: new Date(0),
      holder: null,
      retryOf: null,
      retryOutcome: null,
      retryReason: null,
      error: null,
    };
    const parsed = schedulerRunSchema.parse(run);
    expect(parsed.notes).toEqual([]);
    expect(parsed.id).toBe('run-2026-12-07');
    expect(parsed.triggeredBy).toBe('cron');
    expect(schedulerRunSchema.safeParse({ ...run, id: '' }).success).toBe(false);
  });
});

describe("a scheduler's report of itself", () => {
  const report = {
    instance: 'host-1:4242',
    mode: 'daemon',
    cron: '0 2 * * *',
    timezone: 'Europe/Berlin',
    nextRunAt: null,
    heartbeatEveryMs: 10_000,
  };
  const accepts = (change: Record<string, unknown>) =>
    schedulerReportSchema.safeParse({ ...report, ...change }).success;

  it('given values at their bounds, then it accepts them; one past, it refuses', () => {
    expect(schedulerReportSchema.parse(report)).toEqual(report);
    expect(accepts({ instance: 'x'.repeat(128) })).toBe(true);
    expect(accepts({ instance: 'x'.repeat(129) })).toBe(false);
    expect(accepts({ instance: '' })).toBe(false);
    expect(accepts({ mode: 'run-once', cron: null, timezone: null })).toBe(true);
    expect(accepts({ mode: 'cron' })).toBe(false);
    expect(accepts({ cron: 'x'.repeat(128), timezone: 'x'.repeat(64) })).toBe(true);
    expect(accepts({ cron: 'x'.repeat(129) })).toBe(false);
    expect(accepts({ timezone: 'x'.repeat(65) })).toBe(false);
    expect(accepts({ heartbeatEveryMs: 100 })).toBe(true);
    expect(accepts({ heartbeatEveryMs: 99 })).toBe(false);
    expect(accepts({ heartbeatEveryMs: 3_600_000 })).toBe(true);
    expect(accepts({ heartbeatEveryMs: 3_600_001 })).toBe(false);
  });
});
