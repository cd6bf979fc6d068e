/** The stored run: its status and notes, and `runs.begin` / `report` / `end` over a fake client. */
import { zeroCounts } from '@ocs/domain';
import { TRPCClientError } from '@trpc/client';
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withCounts } from '../test/summaries.js';
import type { ServerClient } from './client.js';
import { ServerUnavailableError } from './run-errors.js';
import { releaseTimeoutMs } from './run-lock.js';
import { notesOf, RunRecord, statusOf } from './run-record.js';
import { type RunSummary, Tally } from './run-tally.js';

/** A run that did everything: nothing left, nothing held, no note. */
const done: RunSummary = withCounts({
  pending: 3,
  completed: 3,
  notFound: 0,
  failedRequirementOrders: 0,
  failedRequirements: {},
  finishedElsewhere: 0,
  notNotified: 0,
  notUpdated: 0,
  claimedElsewhere: 0,
  requestFailed: 0,
  unreachable: 0,
  leftUndone: 0,
  notTried: 0,
  deadlineExceeded: false,
  morePending: false,
  lockExpired: false,
  heldByOtherCalls: 0,
  oldestClaimAgeMs: null,
  heldForOperator: 0,
  rounds: 1,
  durationMs: 10,
});

describe('statusOf', () => {
  it('given nothing left, pending or held, the run finished', () => {
    expect(statusOf(done)).toBe('finished');
    expect(statusOf({ ...done, heldByOtherCalls: null, heldForOperator: null })).toBe('finished');
  });

  it('given any order left undone, unread or held, the run finished with orders left', () => {
    expect(statusOf({ ...done, leftUndone: 1 })).toBe('finished_with_orders_left');
    expect(statusOf({ ...done, morePending: true })).toBe('finished_with_orders_left');
    expect(statusOf({ ...done, heldByOtherCalls: 2 })).toBe('finished_with_orders_left');
    expect(statusOf({ ...done, heldForOperator: 1 })).toBe('finished_with_orders_left');
  });

  it('counts held orders of either kind when the other count is unknown', () => {
    expect(statusOf({ ...done, heldByOtherCalls: 2, heldForOperator: null })).toBe(
      'finished_with_orders_left',
    );
    expect(statusOf({ ...done, heldByOtherCalls: null, heldForOperator: 3 })).toBe(
      'finished_with_orders_left',
    );
  });
});

describe('notesOf', () => {
  it('given a run that stopped for nothing and left nothing held, has no note', () => {
    expect(notesOf(done)).toEqual([]);
    expect(notesOf({ ...done, heldByOtherCalls: null, heldForOperator: null })).toEqual([]);
  });

  it('names every reason the run left orders, in order, with the held counts', () => {
    expect(
      notesOf({
        ...done,
        deadlineExceeded: true,
        lockExpired: true,
        morePending: true,
        heldByOtherCalls: 4,
        heldForOperator: 2,
      }),
    ).toEqual([
      'Stopped by the run deadline (RUN_DEADLINE_MS).',
      'Stopped sending: the single-runner lock could not be renewed.',
      'More pending orders were not read.',
      "4 orders were held by other calls' claims (retried by the next run).",
      '2 orders are held for an operator (release them on the claims page).',
    ]);
  });

  it('notes each reason on its own', () => {
    expect(notesOf({ ...done, deadlineExceeded: true })).toEqual([
      'Stopped by the run deadline (RUN_DEADLINE_MS).',
    ]);
    expect(notesOf({ ...done, lockExpired: true })).toEqual([
      'Stopped sending: the single-runner lock could not be renewed.',
    ]);
    expect(notesOf({ ...done, morePending: true })).toEqual(['More pending orders were not read.']);
    expect(notesOf({ ...done, heldByOtherCalls: 1 })).toEqual([
      "1 orders were held by other calls' claims (retried by the next run).",
    ]);
    expect(notesOf({ ...done, heldForOperator: 7 })).toEqual([
      '7 orders are held for an operator (release them on the claims page).',
    ]);
  });
});

/** A promise the test settles itself. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets the report loop run on: every promise callback queued so far, and theirs. */
const settle = () => new Promise(setImmediate);

/** `runs.begin` / `report` / `end` as mocks recording their calls. */
function fakeClient() {
  const begin = vi.fn();
  const report = vi.fn();
  const end = vi.fn();
  const client = {
    runs: { begin: { mutate: begin }, report: { mutate: report }, end: { mutate: end } },
  } as unknown as ServerClient;
  return { client, begin, report, end };
}

function fakeLogger() {
  const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };
  return { logger, log: logger as unknown as Logger };
}

/** The server's answer to `runs.begin`. */
const started = { id: 'run-1', triggeredBy: 'retry', retryOf: 'run-0', expected: 42 };

/** A tally with something counted: 5 read, 2 settled (one completed, one left to retry). */
function counted() {
  const tally = new Tally();
  tally.pending = 5;
  tally.settle(1, 'completed');
  tally.settle(2, 'request_failed');
  return tally;
}

/** A refused token as the tRPC client throws it (`callServer` makes it a ServerUnavailableError). */
const unauthorized = () =>
  TRPCClientError.from({
    error: { code: -32001, message: 'Unknown token', data: { code: 'UNAUTHORIZED' } },
  });

/** Every `AbortSignal.timeout(ms)` the code asks for: its ms, and a controller to fire it. */
let timeouts: { ms: number; controller: AbortController }[];

beforeEach(() => {
  timeouts = [];
  vi.spyOn(AbortSignal, 'timeout').mockImplementation((ms) => {
    const controller = new AbortController();
    timeouts.push({ ms, controller });
    return controller.signal;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** A record whose `runs.begin` succeeded with `started`. */
async function begun() {
  const fake = fakeClient();
  const { logger, log } = fakeLogger();
  fake.begin.mockResolvedValue(started);
  const record = new RunRecord(fake.client, 'host:1:abc', log);
  await record.begin(
    { triggeredBy: 'retry', requestedRunId: 'run-1' },
    new AbortController().signal,
  );
  logger.info.mockClear();
  timeouts = [];
  return { ...fake, logger, record };
}

describe('RunRecord.begin', () => {
  it('records the run, keeps its id, retryOf and expected, and logs "run started" with them', async () => {
    const { client, begin, report } = fakeClient();
    const { logger, log } = fakeLogger();
    begin.mockResolvedValue(started);
    report.mockResolvedValue({ recorded: true });
    const record = new RunRecord(client, 'host:1:abc', log);

    await record.begin(
      { triggeredBy: 'retry', requestedRunId: 'run-1' },
      new AbortController().signal,
    );

    expect(begin).toHaveBeenCalledTimes(1);
    expect(begin.mock.calls[0]?.[0]).toEqual({
      holder: 'host:1:abc',
      triggeredBy: 'retry',
      requestedRunId: 'run-1',
    });
    expect(record.id).toBe('run-1');
    expect(record.retryOf).toBe('run-0');
    expect(logger.info).toHaveBeenCalledTimes(1);
    expect(logger.info).toHaveBeenCalledWith(
      { runId: 'run-1', triggeredBy: 'retry', retryOf: 'run-0', expected: 42 },
      'run started',
    );
    expect(logger.warn).not.toHaveBeenCalled();
    // `expected` is kept for the progress reports.
    record.report(counted());
    expect(report.mock.calls[0]?.[0].progress.expected).toBe(42);
  });

  it('given no requested run, asks for a new one (requestedRunId null)', async () => {
    const { client, begin } = fakeClient();
    begin.mockResolvedValue({ ...started, triggeredBy: 'cron', retryOf: null, expected: null });
    const record = new RunRecord(client, 'host:1:abc', fakeLogger().log);

    await record.begin({ triggeredBy: 'cron' }, new AbortController().signal);

    expect(begin.mock.calls[0]?.[0]).toEqual({
      holder: 'host:1:abc',
      triggeredBy: 'cron',
      requestedRunId: null,
    });
    expect(begin.mock.calls[0]?.[0].requestedRunId).toBeNull();
    expect(record.id).toBe('run-1');
    expect(record.retryOf).toBeNull();
  });

  it("passes a signal that the run's deadline aborts", async () => {
    const { client, begin } = fakeClient();
    begin.mockResolvedValue(started);
    const record = new RunRecord(client, 'host:1:abc', fakeLogger().log);
    const deadline = new AbortController();

    await record.begin({ triggeredBy: 'cron' }, deadline.signal);

    const signal: AbortSignal = begin.mock.calls[0]?.[1].signal;
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal.aborted).toBe(false);
    deadline.abort(new Error('deadline'));
    expect(signal.aborted).toBe(true);
  });

  it('passes a signal that times out as short as the release (releaseTimeoutMs)', async () => {
    const { client, begin } = fakeClient();
    begin.mockResolvedValue(started);
    const record = new RunRecord(client, 'host:1:abc', fakeLogger().log);

    await record.begin({ triggeredBy: 'cron' }, new AbortController().signal);

    expect(timeouts.map((t) => t.ms)).toEqual([releaseTimeoutMs]);
    const signal: AbortSignal = begin.mock.calls[0]?.[1].signal;
    timeouts[0]?.controller.abort(new Error('timed out'));
    expect(signal.aborted).toBe(true);
  });

  it('given a server that cannot record a scheduled run, goes on unrecorded with a warning', async () => {
    const { client, begin, report, end } = fakeClient();
    const { logger, log } = fakeLogger();
    const failure = new Error('socket hang up');
    begin.mockRejectedValue(failure);
    const record = new RunRecord(client, 'host:1:abc', log);

    await expect(
      record.begin({ triggeredBy: 'cron' }, new AbortController().signal),
    ).resolves.toBeUndefined();

    expect(record.id).toBeNull();
    expect(record.retryOf).toBeNull();
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(
      { err: failure },
      'could not record the run; it goes on unrecorded',
    );
    expect(logger.info).not.toHaveBeenCalled();
    // An unrecorded run reports nothing and records no end.
    record.report(counted());
    await record.end(counted(), 'finished', null);
    expect(report).not.toHaveBeenCalled();
    expect(end).not.toHaveBeenCalled();
  });

  it('given a requested run (or a retry), rethrows: it needs its record', async () => {
    const { client, begin } = fakeClient();
    const { logger, log } = fakeLogger();
    const failure = new Error('socket hang up');
    begin.mockRejectedValue(failure);
    const record = new RunRecord(client, 'host:1:abc', log);

    await expect(
      record.begin({ triggeredBy: 'admin', requestedRunId: 'run-9' }, new AbortController().signal),
    ).rejects.toBe(failure);

    expect(record.id).toBeNull();
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('given a refused token, rethrows it as ServerUnavailableError even for a scheduled run', async () => {
    const { client, begin } = fakeClient();
    const { logger, log } = fakeLogger();
    begin.mockRejectedValue(unauthorized());
    const record = new RunRecord(client, 'host:1:abc', log);

    const error = await record
      .begin({ triggeredBy: 'cron', requestedRunId: null }, new AbortController().signal)
      .then(
        () => null,
        (e: unknown) => e,
      );

    expect(error).toBeInstanceOf(ServerUnavailableError);
    expect((error as ServerUnavailableError).reason).toBe('unauthorized');
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('given a ServerUnavailableError, rethrows it for a scheduled run', async () => {
    const { client, begin } = fakeClient();
    const { logger, log } = fakeLogger();
    const unavailable = new ServerUnavailableError('Cannot reach the server', 'unreachable');
    begin.mockRejectedValue(unavailable);
    const record = new RunRecord(client, 'host:1:abc', log);

    await expect(
      record.begin({ triggeredBy: 'run-once' }, new AbortController().signal),
    ).rejects.toBe(unavailable);
    expect(logger.warn).not.toHaveBeenCalled();
  });
});

describe('RunRecord.report', () => {
  it('given no recorded run, sends nothing', () => {
    const { client, report } = fakeClient();
    const record = new RunRecord(client, 'host:1:abc', fakeLogger().log);

    record.report(counted());

    expect(report).not.toHaveBeenCalled();
  });

  it("sends the tally's progress with the expected count from begin, and a timeout signal", async () => {
    const { record, report } = await begun();
    report.mockResolvedValue({ recorded: true });

    record.report(counted());
    await settle();

    expect(report).toHaveBeenCalledTimes(1);
    expect(report.mock.calls[0]?.[0]).toEqual({
      id: 'run-1',
      holder: 'host:1:abc',
      progress: {
        expected: 42,
        pending: 5,
        settled: 2,
        counts: { ...zeroCounts(), completed: 1, request_failed: 1 },
        failedRequirements: {},
      },
    });
    expect(timeouts.map((t) => t.ms)).toEqual([releaseTimeoutMs]);
    expect(report.mock.calls[0]?.[1].signal).toBe(timeouts[0]?.controller.signal);
  });

  it('sends one report at a time, then only the latest progress', async () => {
    const { record, report } = await begun();
    const first = deferred<unknown>();
    const second = deferred<unknown>();
    report.mockReturnValueOnce(first.promise).mockReturnValueOnce(second.promise);
    const tally = counted();

    record.report(tally);
    tally.settle(3, 'completed');
    record.report(tally);
    tally.settle(4, 'not_found');
    record.report(tally);
    await settle();

    // The first is in flight: the two after it wait, and only the latest of them is sent.
    expect(report).toHaveBeenCalledTimes(1);
    expect(report.mock.calls[0]?.[0].progress.settled).toBe(2);

    first.resolve({ recorded: true });
    await settle();

    expect(report).toHaveBeenCalledTimes(2);
    expect(report.mock.calls[1]?.[0]).toMatchObject({
      id: 'run-1',
      holder: 'host:1:abc',
      progress: { expected: 42, settled: 4, counts: { completed: 2, not_found: 1 } },
    });

    second.resolve({ recorded: true });
    await settle();
    expect(report).toHaveBeenCalledTimes(2);
  });

  it('given the last report answered, sends the next one at once', async () => {
    const { record, report } = await begun();
    report.mockResolvedValue({ recorded: true });
    const tally = counted();

    record.report(tally);
    await settle();
    tally.settle(3, 'completed');
    record.report(tally);

    expect(report).toHaveBeenCalledTimes(2);
    expect(report.mock.calls[1]?.[0].progress.settled).toBe(3);
  });

  it('given failed reports, warns once, and goes on sending the latest progress', async () => {
    const { record, report, logger } = await begun();
    const failure = new Error('socket hang up');
    report.mockRejectedValue(failure);
    const tally = counted();

    record.report(tally);
    await settle();

    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(
      { err: failure, runId: 'run-1' },
      "could not report the run's progress",
    );

    tally.settle(3, 'completed');
    record.report(tally);
    await settle();
    record.report(tally);
    await settle();

    expect(report).toHaveBeenCalledTimes(3);
    expect(report.mock.calls[1]?.[0].progress.settled).toBe(3);
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });

  it('given a failed report with more progress waiting, sends that progress next', async () => {
    const { record, report, logger } = await begun();
    const first = deferred<unknown>();
    report.mockReturnValueOnce(first.promise).mockResolvedValue({ recorded: true });
    const tally = counted();

    record.report(tally);
    tally.settle(3, 'completed');
    record.report(tally);
    first.reject(new Error('socket hang up'));
    await settle();

    expect(report).toHaveBeenCalledTimes(2);
    expect(report.mock.calls[1]?.[0].progress.settled).toBe(3);
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });
});

describe('RunRecord.end', () => {
  it('given no recorded run, records nothing', async () => {
    const { client, end } = fakeClient();
    const record = new RunRecord(client, 'host:1:abc', fakeLogger().log);

    await record.end(counted(), 'finished', null, ['a note']);

    expect(end).not.toHaveBeenCalled();
  });

  it("sends the status, error, notes and the tally's progress, expected being its pending count", async () => {
    const { record, end, logger } = await begun();
    end.mockResolvedValue({ recorded: true });

    await record.end(counted(), 'finished_with_orders_left', null, [
      'More pending orders were not read.',
      'Stopped by the run deadline (RUN_DEADLINE_MS).',
    ]);

    expect(end).toHaveBeenCalledTimes(1);
    expect(end.mock.calls[0]?.[0]).toEqual({
      id: 'run-1',
      holder: 'host:1:abc',
      end: {
        expected: 5,
        pending: 5,
        settled: 2,
        counts: { ...zeroCounts(), completed: 1, request_failed: 1 },
        failedRequirements: {},
        status: 'finished_with_orders_left',
        error: null,
        notes: [
          'More pending orders were not read.',
          'Stopped by the run deadline (RUN_DEADLINE_MS).',
        ],
      },
    });
    expect(timeouts.map((t) => t.ms)).toEqual([releaseTimeoutMs]);
    expect(end.mock.calls[0]?.[1].signal).toBe(timeouts[0]?.controller.signal);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('given no tally (the run failed before counting), sends empty counts and no notes', async () => {
    const { record, end } = await begun();
    end.mockResolvedValue({ recorded: true });

    await record.end(null, 'failed', 'The server rejected a batch');

    expect(end.mock.calls[0]?.[0]).toEqual({
      id: 'run-1',
      holder: 'host:1:abc',
      end: {
        expected: 0,
        pending: 0,
        settled: 0,
        counts: zeroCounts(),
        failedRequirements: {},
        status: 'failed',
        error: 'The server rejected a batch',
        notes: [],
      },
    });
  });

  it('does not wait for a report in flight', async () => {
    const { record, report, end } = await begun();
    report.mockReturnValue(new Promise(() => {}));
    end.mockResolvedValue({ recorded: true });

    record.report(counted());
    await record.end(counted(), 'finished', null);

    expect(end).toHaveBeenCalledTimes(1);
    expect(end.mock.calls[0]?.[0].end.status).toBe('finished');
  });

  it('given a server that cannot record the end, resolves with a warning', async () => {
    const { record, end, logger } = await begun();
    const failure = new Error('socket hang up');
    end.mockRejectedValue(failure);

    await expect(record.end(counted(), 'finished', null)).resolves.toBeUndefined();

    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledWith(
      { err: failure, runId: 'run-1' },
      'could not record the end of the run; it shows as abandoned once its lock ends',
    );
  });

  it('given a refused token, still resolves with a warning (callServer turned it)', async () => {
    const { record, end, logger } = await begun();
    end.mockRejectedValue(unauthorized());

    await expect(record.end(null, 'failed', 'x')).resolves.toBeUndefined();

    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0]?.[0].err).toBeInstanceOf(ServerUnavailableError);
  });
});
