/**
 * What a run shows while it works: a bar on a terminal, a log line per period otherwise.
 * Assertions are on the text printed (the bar on a stand-in terminal, the log as pino writes
 * it); the period runs on a fake Date.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withCounts } from '../test/summaries.js';
import type { RunSummary } from './completion-job.js';
import { createProgress } from './progress.js';

afterEach(() => {
  vi.useRealTimers();
});

const summary = (completed: number, leftUndone = 0, rounds = 1): RunSummary =>
  withCounts({
    pending: 0,
    completed,
    notFound: 0,
    failedRequirementOrders: 0,
    failedRequirements: {},
    finishedElsewhere: 0,
    notNotified: 0,
    notUpdated: 0,
    claimedElsewhere: 0,
    requestFailed: 0,
    unreachable: 0,
    leftUndone,
    notTried: 0,
    deadlineExceeded: false,
    morePending: false,
    lockExpired: false,
    heldByOtherCalls: 0,
    oldestClaimAgeMs: null,
    heldForOperator: 0,
    rounds,
    durationMs: 0,
  });

/** A pino logger whose lines the test reads back. */
function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      const { level, msg, settled, pendingSoFar, completed, leftToRetry, round } = JSON.parse(
        String(chunk),
      );
      // toEqual ignores the fields a line does not have (undefined here).
      lines.push({ level, msg, settled, pendingSoFar, completed, leftToRetry, round });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const flushed = () => new Promise((resolve) => setImmediate(resolve));

describe('progress without a terminal: log lines', () => {
  it('logs the start, the first batch at once, then at most one line per period, nothing at stop', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { logger, lines } = capturedLog();
    const progress = createProgress(logger, false, 5000);

    progress.start();
    progress.advance(10, 100, summary(8, 2));
    vi.setSystemTime(Date.now() + 4999);
    progress.advance(20, 100, summary(16, 4));
    vi.setSystemTime(Date.now() + 1);
    progress.advance(30, 150, summary(25, 5, 2));
    progress.stop();
    await flushed();

    expect(lines).toEqual([
      { level: 30, msg: 'run started' },
      {
        level: 30,
        msg: 'progress',
        settled: 10,
        pendingSoFar: 100,
        completed: 8,
        leftToRetry: 2,
        round: 1,
      },
      {
        level: 30,
        msg: 'progress',
        settled: 30,
        pendingSoFar: 150,
        completed: 25,
        leftToRetry: 5,
        round: 2,
      },
    ]);
  });

  it('logs every 5 s by default, and the first line of a new run at once', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { logger, lines } = capturedLog();
    const progress = createProgress(logger, false);

    progress.start();
    progress.advance(1, 10, summary(1));
    vi.setSystemTime(Date.now() + 4999);
    progress.advance(2, 10, summary(2));
    progress.start();
    progress.advance(3, 10, summary(3));
    await flushed();

    expect(lines.map((line) => [line.msg, line.settled])).toEqual([
      ['run started', undefined],
      ['progress', 1],
      ['run started', undefined],
      ['progress', 3],
    ]);
  });
});

describe('progress by default', () => {
  it('logs lines when stdout is not a terminal', async () => {
    const stdout = process.stdout as NodeJS.WriteStream & { isTTY: boolean };
    const saved = stdout.isTTY;
    const { logger, lines } = capturedLog();
    try {
      Object.assign(stdout, { isTTY: false });
      const progress = createProgress(logger);
      progress.start();
      progress.advance(1, 2, summary(1));
      progress.stop();
    } finally {
      Object.assign(stdout, { isTTY: saved });
    }
    await flushed();

    expect(lines.map((line) => line.msg)).toEqual(['run started', 'progress']);
  });
});

describe('progress on a terminal: a bar', () => {
  it('draws settled of pending, completed and the rate', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const stderr = process.stderr as NodeJS.WriteStream & { isTTY: boolean };
    const saved = { isTTY: stderr.isTTY, write: stderr.write, columns: stderr.columns };
    let text = '';
    let atStart = '';
    try {
      Object.assign(stderr, {
        isTTY: true,
        columns: 200,
        write: (chunk: string | Uint8Array) => {
          text += String(chunk);
          return true;
        },
      });
      const progress = createProgress(pino({ level: 'silent' }), true);

      progress.start();
      atStart = text;
      vi.setSystemTime(Date.now() + 2000);
      progress.advance(30, 70, summary(24));
      progress.stop();
    } finally {
      Object.assign(stderr, saved);
    }
    expect(atStart).toContain('0/0 settled | 0 completed | 0/s');

    // Strip the cursor control sequences: what is left is what the operator reads.
    const esc = String.fromCharCode(27);
    const shown = text.replace(new RegExp(`${esc}(\\[[0-9;?]*[A-Za-z]|[78])`, 'g'), '');
    expect(shown).toMatch(/completing [█░]+ 30\/70 settled \| 24 completed \| 15\/s \| eta \d+s/);
  });

  it('is what createProgress gives on a terminal by default', () => {
    const stderr = process.stderr as NodeJS.WriteStream & { isTTY: boolean };
    const stdout = process.stdout as NodeJS.WriteStream & { isTTY: boolean };
    const saved = { stdoutTTY: stdout.isTTY, stderrTTY: stderr.isTTY, write: stderr.write };
    let text = '';
    try {
      Object.assign(stdout, { isTTY: true });
      Object.assign(stderr, {
        isTTY: true,
        write: (chunk: string | Uint8Array) => {
          text += String(chunk);
          return true;
        },
      });
      const progress = createProgress(pino({ level: 'silent' }));
      progress.start();
      progress.advance(1, 2, summary(1));
      progress.stop();
    } finally {
      Object.assign(stdout, { isTTY: saved.stdoutTTY });
      Object.assign(stderr, { isTTY: saved.stderrTTY, write: saved.write });
    }

    expect(text).toContain('1/2 settled | 1 completed');
  });
});
