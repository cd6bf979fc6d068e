/**
 * The completion job against a real HTTP tRPC server (a stub with the server's procedures and
 * shapes). Assertions are on outcomes: the run summary, the ids the server received, the lock
 * as the server holds it, and the error the CLI turns into its exit code.
 */
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { zeroCounts } from '@ocs/domain';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createServerClient } from '../src/client.js';
import {
  BatchRejectedError,
  CompletionJob,
  type CompletionJobOptions,
  LockHeldError,
  type Progress,
  type RunSummary,
  ServerUnavailableError,
} from '../src/completion-job.js';
import { type StubServer, schedulerToken, startStubServer } from './stub-server.js';

let server: StubServer;

beforeEach(async () => {
  server = await startStubServer();
});
afterEach(() => server.close());

const defaults: CompletionJobOptions = {
  pageSize: 1000,
  batchSize: 100,
  batchConcurrency: 2,
  retryAttempts: 0,
  retryInitialDelayMs: 1,
  retryMaxDelayMs: 2,
  lockTtlMs: 60_000,
};

/** What a progress display would show last: settled of pending, and the running summary. */
function displayedProgress() {
  const shown = { started: false, stopped: false, settled: 0, pending: 0, completed: 0 };
  const progress: Progress = {
    start: () => {
      shown.started = true;
    },
    advance: (settled, pending, summary) => {
      Object.assign(shown, { settled, pending, completed: summary.completed });
    },
    stop: () => {
      shown.stopped = true;
    },
  };
  return { shown, progress };
}

function job(
  options: Partial<CompletionJobOptions> = {},
  {
    url = server.url,
    token = schedulerToken,
    progress = displayedProgress().progress,
    logger = pino({ level: 'silent' }),
    client = createServerClient(url, token),
  } = {},
) {
  return new CompletionJob(client, { ...defaults, ...options }, progress, logger);
}

/** A pino logger whose lines (message, level and the fields named) the test reads back. */
function capturedLog(...fields: string[]) {
  const lines: Record<string, unknown>[] = [];
  let waiters: { msg: string; resolve: () => void }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      const line = JSON.parse(String(chunk));
      lines.push(Object.fromEntries(['level', 'msg', ...fields].map((k) => [k, line[k]])));
      waiters = waiters.filter((waiter) => {
        if (line.msg !== waiter.msg) return true;
        waiter.resolve();
        return false;
      });
      done();
    },
  });
  /** Resolves once a line with this message has been written. */
  const logged = (msg: string) =>
    lines.some((l) => l.msg === msg)
      ? Promise.resolve()
      : new Promise<void>((resolve) => waiters.push({ msg, resolve }));
  return { logger: pino({ level: 'debug' }, stream), lines, logged };
}

/**
 * The real client, noting each procedure the job calls at the moment it calls it: what the
 * job has sent is known at once, before the server has received any of it.
 */
function sendingClient(url = server.url) {
  const sent: string[] = [];
  const noting = <T extends object>(node: T, path: string): T =>
    new Proxy(node, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof key !== 'string') return value;
        if (key === 'mutate' || key === 'query') {
          return (...args: unknown[]) => {
            sent.push(path);
            return (value as (...args: unknown[]) => unknown)(...args);
          };
        }
        return noting(value as object, path ? `${path}.${key}` : key);
      },
    });
  const client = noting(createServerClient(url, schedulerToken), '');
  return { client, sent: (procedure: string) => sent.filter((p) => p === procedure).length };
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the run to fail');
}

const emptySummary: Omit<RunSummary, 'durationMs' | 'counts' | 'runId'> = {
  pending: 0,
  completed: 0,
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
};

describe('CompletionJob', () => {
  it('given pending orders that all complete, sends each id once and counts them completed', async () => {
    server.addOrders([1, 2, 3]);
    const before = Date.now();

    const summary = await job().run();

    expect(summary).toEqual({
      ...emptySummary,
      runId: expect.any(String),
      counts: { ...zeroCounts(), completed: 3 },
      pending: 3,
      completed: 3,
      durationMs: expect.any(Number),
    });
    expect(summary.durationMs).toBeGreaterThanOrEqual(0);
    expect(summary.durationMs).toBeLessThanOrEqual(Date.now() - before);
    expect(server.completeCalls).toEqual([[1, 2, 3]]);
  });

  it('given no pending orders, sends nothing and reports an empty run', async () => {
    const summary = await job({ retryAttempts: 3 }).run();

    expect(summary).toMatchObject({ ...emptySummary });
    expect(server.completeCalls).toEqual([]);
    expect(server.pageQueries).toEqual([{ cursor: null, limit: 1000 }]);
  });

  it('streams the pending ids page by page and sends them in batches of batchSize', async () => {
    server.addOrders(range(1, 7));
    const { shown, progress } = displayedProgress();

    const summary = await job({ pageSize: 2, batchSize: 3 }, { progress }).run();

    expect(server.pageQueries).toEqual([
      { cursor: null, limit: 2 },
      { cursor: 2, limit: 2 },
      { cursor: 4, limit: 2 },
      { cursor: 6, limit: 2 },
    ]);
    expect(server.completeCalls).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    expect(summary).toMatchObject({ pending: 7, completed: 7, leftUndone: 0 });
    expect(shown).toEqual({ started: true, stopped: true, settled: 7, pending: 7, completed: 7 });
  });

  it('counts every outcome of a mixed batch in its own line of the summary', async () => {
    server.addOrders([1, 2]);
    server.addOrders([3], { requirements: ['ORDER.TOO_RECENT'] });
    server.addOrders([4], { requirements: ['ORDER.TOO_RECENT', 'ORDER.NOT_FULLY_DELIVERED'] });
    server.addOrders([5], { requirements: ['ORDER.ALREADY_FINISHED'] });
    // Finished, but it would fail another requirement anyway: a requirement failure.
    server.addOrders([11], { requirements: ['ORDER.ALREADY_FINISHED', 'ORDER.NO_LINES'] });
    server.addOrders([6], 'finishedElsewhere');
    server.addOrders([7], 'notNotified');
    server.addOrders([8, 9], 'notUpdated');
    server.addOrders([10], 'claimedElsewhere');

    const summary = await job().run();

    expect(summary).toEqual({
      runId: 'run-1',
      counts: {
        completed: 2,
        finished_elsewhere: 2,
        not_found: 0,
        failed_requirements: 3,
        not_notified: 1,
        not_updated: 2,
        claimed_elsewhere: 1,
        request_failed: 0,
        unreachable: 0,
        not_tried: 0,
      },
      pending: 11,
      completed: 2,
      notFound: 0,
      failedRequirementOrders: 3,
      failedRequirements: {
        'ORDER.TOO_RECENT': 2,
        'ORDER.NOT_FULLY_DELIVERED': 1,
        'ORDER.ALREADY_FINISHED': 1,
        'ORDER.NO_LINES': 1,
      },
      // An order some other call finished is done, not a failure: no retry, no exit 3.
      finishedElsewhere: 2,
      notNotified: 1,
      notUpdated: 2,
      claimedElsewhere: 1,
      requestFailed: 0,
      unreachable: 0,
      leftUndone: 4,
      notTried: 0,
      deadlineExceeded: false,
      morePending: false,
      lockExpired: false,
      heldByOtherCalls: 0,
      oldestClaimAgeMs: null,
      heldForOperator: 0,
      rounds: 1,
      durationMs: expect.any(Number),
    });
  });

  it("reports the orders that other calls still hold, with the oldest claim's age", async () => {
    server.addOrders([1]);
    server.held = { heldByOtherCalls: 4, oldestClaimAgeMs: 2500, heldForOperator: 1 };

    const summary = await job().run();

    expect(summary).toMatchObject({
      completed: 1,
      leftUndone: 0,
      heldByOtherCalls: 4,
      oldestClaimAgeMs: 2500,
      heldForOperator: 1,
    });
  });

  it('a server that cannot count held claims: the count is unknown, the run still ends', async () => {
    server.addOrders([1]);
    server.held = null;

    const summary = await job().run();

    expect(summary).toMatchObject({ completed: 1, heldByOtherCalls: null, heldForOperator: null });
  });

  it('counts ids the server no longer knows as not found, not as left undone', async () => {
    server.addOrders([1, 2]);
    server.phantomIds = [3];

    const summary = await job().run();

    expect(server.completeCalls).toEqual([[1, 2, 3]]);
    expect(summary).toMatchObject({ pending: 3, completed: 2, notFound: 1, leftUndone: 0 });
  });

  it('retries the ids that can still succeed in later rounds, until they complete', async () => {
    server.addOrders([1]);
    server.addOrders([2], 'notNotified', 'complete');
    server.addOrders([3], 'claimedElsewhere', 'notUpdated', 'complete');
    server.addOrders([4], { requirements: ['ORDER.TOO_RECENT'] });

    const summary = await job({ retryAttempts: 3 }).run();

    expect(server.completeCalls).toEqual([[1, 2, 3, 4], [2, 3], [3]]);
    expect(summary).toMatchObject({
      pending: 4,
      completed: 3,
      failedRequirementOrders: 1,
      notNotified: 0,
      notUpdated: 0,
      claimedElsewhere: 0,
      leftUndone: 0,
      rounds: 3,
    });
  });

  it('after every round, reports what is still undone and by which kind (exit 3)', async () => {
    server.addOrders([1]);
    server.addOrders([2], 'notNotified');
    server.addOrders([3], 'claimedElsewhere');

    const summary = await job({ retryAttempts: 2, batchSize: 1 }).run();

    expect(server.completeCalls).toEqual([[1], [2], [3], [2], [3], [2], [3]]);
    expect(summary).toMatchObject({
      pending: 3,
      completed: 1,
      notNotified: 1,
      claimedElsewhere: 1,
      leftUndone: 2,
      rounds: 3,
    });
  });

  it('does not retry with retryAttempts 0', async () => {
    server.addOrders([1], 'notNotified', 'complete');

    const summary = await job({ retryAttempts: 0 }).run();

    expect(server.completeCalls).toEqual([[1]]);
    expect(summary).toMatchObject({ notNotified: 1, leftUndone: 1, rounds: 1 });
  });

  it('shows an order that fails a requirement as settled in the progress', async () => {
    server.addOrders([1]);
    server.addOrders([2], { requirements: ['ORDER.TOO_RECENT'] });
    const { shown, progress } = displayedProgress();

    await job({}, { progress }).run();

    expect(shown).toMatchObject({ settled: 2, pending: 2, completed: 1 });
  });

  it('an order that fails a requirement on retry stays counted once, as failed', async () => {
    server.addOrders([1], 'notNotified', { requirements: ['ORDER.NOT_FULLY_DELIVERED'] });
    const { shown, progress } = displayedProgress();

    const summary = await job({ retryAttempts: 1 }, { progress }).run();

    expect(shown).toMatchObject({ settled: 1, pending: 1 });
    expect(summary).toMatchObject({
      pending: 1,
      failedRequirementOrders: 1,
      failedRequirements: { 'ORDER.NOT_FULLY_DELIVERED': 1 },
      notNotified: 0,
      leftUndone: 0,
    });
  });

  it('retries a batch whose answer was lost: the retry finds it finished, nothing left undone', async () => {
    server.addOrders([1, 2]);
    server.loseAnswers = 1;
    const { shown, progress } = displayedProgress();

    const summary = await job({ retryAttempts: 1 }, { progress }).run();

    expect(server.completeCalls).toEqual([
      [1, 2],
      [1, 2],
    ]);
    // The first call completed them; the answer to the retry says so.
    expect(summary).toMatchObject({
      completed: 0,
      finishedElsewhere: 2,
      requestFailed: 0,
      leftUndone: 0,
      rounds: 2,
    });
    expect(shown).toMatchObject({ settled: 2, pending: 2 });
  });

  it('logs why ids are retried and when: the lost request, then each round with its delay', async () => {
    server.addOrders([1, 2]);
    server.loseAnswers = 1;
    const { logger, lines } = capturedLog('ids', 'kind', 'delayMs');

    await job({ retryAttempts: 1, retryInitialDelayMs: 5, retryMaxDelayMs: 5 }, { logger }).run();

    expect(lines.filter((l) => Number(l.level) >= 30 && l.msg !== 'run started')).toEqual([
      {
        level: 40,
        msg: 'completion request failed; the ids are retried',
        ids: 2,
        kind: 'request_failed',
      },
      { level: 30, msg: 'retrying ids', ids: 2, delayMs: expect.any(Number) },
    ]);
    const retrying = lines.find((l) => l.msg === 'retrying ids');
    expect(retrying?.delayMs).toBeLessThanOrEqual(5);
  });

  it('logs the debug line of each order not notified or not updated', async () => {
    server.addOrders([1]);
    server.addOrders([2], 'notNotified');
    server.addOrders([3], 'notUpdated');
    const { logger, lines } = capturedLog('orderId', 'outcome');

    await job({}, { logger }).run();

    expect(lines.filter((l) => l.level === 20)).toEqual([
      { level: 20, msg: 'order not completed by this call', orderId: 2, outcome: 'not_notified' },
      { level: 20, msg: 'order not completed by this call', orderId: 3, outcome: 'not_updated' },
    ]);
  });

  it('counts a batch whose answer never came as request failed when no round is left', async () => {
    server.addOrders([1, 2, 3]);
    server.loseAnswers = 1;

    const summary = await job({ batchSize: 2, batchConcurrency: 1 }).run();

    expect(summary).toMatchObject({ completed: 1, requestFailed: 2, leftUndone: 2 });
  });

  it('retries a batch answered with a 5xx', async () => {
    server.addOrders([1]);
    server.failCompletes = ['INTERNAL_SERVER_ERROR'];

    const summary = await job({ retryAttempts: 1 }).run();

    expect(server.completeCalls).toEqual([[1], [1]]);
    expect(summary).toMatchObject({ completed: 1, requestFailed: 0, leftUndone: 0, rounds: 2 });
  });

  it('stops at a batch the server rejects as bad input (exit 1)', async () => {
    server.addOrders([1, 2]);
    server.failCompletes = ['BAD_REQUEST'];

    const error = await rejection(job({ retryAttempts: 2 }).run());

    expect(error).toBeInstanceOf(BatchRejectedError);
    expect(error).toMatchObject({
      name: 'BatchRejectedError',
      message: 'The server rejected a batch: scripted BAD_REQUEST',
    });
    expect(server.completeCalls).toEqual([[1, 2]]);
    expect(server.lock).toBeNull();
  });

  it('after a fatal answer sends no further batch', async () => {
    server.addOrders([1, 2, 3]);
    server.failCompletes = ['BAD_REQUEST'];

    const error = await rejection(job({ batchSize: 1, batchConcurrency: 1 }).run());

    expect(error).toBeInstanceOf(BatchRejectedError);
    expect(server.completeCalls).toEqual([[1]]);
  });

  it('a refused token in a retry round ends the run, it is not swallowed', async () => {
    server.addOrders([1], 'notNotified');
    server.onComplete = () => {
      server.onComplete = null;
      server.token = 'rotated-token-0123456789';
    };

    const error = await rejection(job({ retryAttempts: 2 }).run());

    expect(error).toMatchObject({ name: 'ServerUnavailableError', reason: 'unauthorized' });
  });

  it('reads answers of a server from before claimedElsewhereOrders', async () => {
    server.addOrders([1, 2]);
    server.olderServer = true;

    const summary = await job().run();

    expect(summary).toMatchObject({ completed: 2, claimedElsewhere: 0, leftUndone: 0 });
  });

  it('a page query answered with an error is that error, not "unreachable"', async () => {
    server.addOrders([1]);
    server.failPages = ['INTERNAL_SERVER_ERROR'];

    const error = await rejection(job().run());

    expect(error).not.toBeInstanceOf(ServerUnavailableError);
    expect((error as Error).message).toBe('scripted INTERNAL_SERVER_ERROR');
    expect(server.completeCalls).toEqual([]);
  });

  it('keeps at most batchConcurrency batches in flight', async () => {
    server.addOrders(range(1, 6));
    let open: () => void = () => {};
    server.gate = new Promise((resolve) => {
      open = resolve;
    });

    const { client, sent } = sendingClient();

    const run = job({ batchSize: 1, batchConcurrency: 2 }, { client }).run();
    await server.waitForInFlight(2);
    // The job launches batches without waiting: had it sent a third, its call would be made
    // by the time the server holds two (the server hears of a call only after it is made).
    const sentWhileTwoHeld = sent('orders.complete');
    const heldAtOnce = server.inFlight;
    open();
    const summary = await run;

    expect(sentWhileTwoHeld).toBe(2);
    expect(heldAtOnce).toBe(2);
    expect(server.maxInFlight).toBe(2);
    expect(summary).toMatchObject({ completed: 6 });
  });

  describe('the single-runner lock', () => {
    it('is taken before the first page and released at the end', async () => {
      server.addOrders([1]);

      await job({ lockTtlMs: 30_000 }).run();

      expect(server.lockRequests).toEqual([{ holder: expect.any(String), ttlMs: 30_000 }]);
      const holder = server.lockRequests[0]?.holder;
      expect(holder).toMatch(/^.+:\d+:[a-z0-9]+$/);
      expect(server.releasedHolders).toEqual([holder]);
      expect(server.lock).toBeNull();
    });

    it('held by another scheduler: LockHeldError naming it (exit 4), nothing sent', async () => {
      server.addOrders([1]);
      const leaseUntil = new Date(Date.now() + 60_000).toISOString();
      server.lock = { holder: 'other-host:42:abc', leaseUntil };

      const error = await rejection(job().run());

      expect(error).toBeInstanceOf(LockHeldError);
      expect(error).toMatchObject({
        name: 'LockHeldError',
        holder: 'other-host:42:abc',
        leaseUntil,
      });
      expect((error as Error).message).toBe(
        `Another scheduler (other-host:42:abc) is running; its lock lasts until ${leaseUntil}`,
      );
      expect(server.pageQueries).toEqual([]);
      expect(server.completeCalls).toEqual([]);
      expect(server.lock?.holder).toBe('other-host:42:abc');
    });

    it('two jobs: each holds its own name, so the second waits for the first to finish', async () => {
      server.addOrders([1]);
      let open: () => void = () => {};
      server.gate = new Promise((resolve) => {
        open = resolve;
      });
      const first = job().run();
      await server.waitForInFlight(1);

      const second = await rejection(job().run());
      open();
      await first;

      expect(second).toBeInstanceOf(LockHeldError);
      expect(server.lock).toBeNull();
      expect(server.lockRequests.map((r) => r.holder)).toHaveLength(2);
      expect(new Set(server.lockRequests.map((r) => r.holder)).size).toBe(2);
    });

    it.each([
      [6000, 2000],
      [1500, 1000],
    ])('with a lease of %i ms, is renewed every %i ms while a run lasts', async (ttl, every) => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        server.addOrders([1]);
        let open: () => void = () => {};
        server.gate = new Promise((resolve) => {
          open = resolve;
        });

        const { client, sent } = sendingClient();

        const run = job({ lockTtlMs: ttl }, { client }).run();
        await server.waitForInFlight(1);
        // A renewal due now would be sent as the timer fires, within the advance.
        vi.advanceTimersByTime(every - 1);
        const beforeThePeriod = sent('scheduler.acquireLock');
        vi.advanceTimersByTime(1);
        await server.waitForLockRequests(2);
        open();
        await run;

        expect(beforeThePeriod).toBe(1);
        const [first, renewal] = server.lockRequests;
        expect(renewal).toEqual(first);
        expect(server.lock).toBeNull();
      } finally {
        vi.useRealTimers();
      }
    });

    /**
     * Runs a job whose first batch waits at the server while `duringBatch` changes what a lock
     * request finds, fires one renewal, and lets the batch answer once its failure is logged.
     */
    async function renewDuringFirstBatch(
      options: Partial<CompletionJobOptions>,
      duringBatch: () => void,
    ) {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      try {
        let open: () => void = () => {};
        server.gate = new Promise((resolve) => {
          open = resolve;
        });
        const { logger, lines, logged } = capturedLog('err');

        const run = job({ lockTtlMs: 3000, ...options }, { logger }).run();
        await server.waitForInFlight(1);
        duringBatch();
        vi.advanceTimersByTime(1000);
        await logged('could not renew the single-runner lock');
        open();
        const outcome = await run.then(
          (summary) => ({ summary, error: undefined }),
          (error: unknown) => ({ summary: undefined, error }),
        );
        return { ...outcome, lines };
      } finally {
        vi.useRealTimers();
      }
    }

    const takenByAnotherScheduler = () => {
      server.lock = {
        holder: 'other-host:7:xyz',
        leaseUntil: new Date(Date.now() + 60_000).toISOString(),
      };
    };

    it('a renewal that finds another holder ends the run: no further batch is sent', async () => {
      server.addOrders([1, 2, 3]);

      const { error, lines } = await renewDuringFirstBatch(
        { batchSize: 1, batchConcurrency: 1 },
        takenByAnotherScheduler,
      );

      expect(error).toBeInstanceOf(LockHeldError);
      expect(server.completeCalls).toEqual([[1]]);
      expect(lines.filter((l) => l.msg === 'could not renew the single-runner lock')).toEqual([
        {
          level: 50,
          msg: 'could not renew the single-runner lock',
          err: expect.objectContaining({ type: 'LockHeldError' }),
        },
      ]);
    });

    it('a first lock request that fails with a retryable 5xx is tried again, with backoff', async () => {
      server.addOrders([1]);
      server.failLocks = 2;

      const summary = await job({ retryAttempts: 3 }).run();

      expect(server.lockRequests).toHaveLength(3);
      expect(summary).toMatchObject({ completed: 1, leftUndone: 0 });
    });

    it('a first lock request that keeps failing ends the run after the retry rounds', async () => {
      server.addOrders([1]);
      server.failLocks = 10;

      const error = await rejection(job({ retryAttempts: 2 }).run());

      expect(String(error)).toMatch(/scripted lock failure/);
      expect(server.lockRequests).toHaveLength(3);
      expect(server.completeCalls).toEqual([]);
    });

    it('one renewal that fails within the lease is logged and the run goes on', async () => {
      server.addOrders([1, 2, 3]);

      // Lease 3,000 ms, renewed every 1,000: sending stops only 2,000 ms after the last
      // good renewal, and this run takes far less.
      const { summary } = await renewDuringFirstBatch({ batchSize: 1, batchConcurrency: 1 }, () => {
        server.failLocks = 1;
      });

      expect(server.completeCalls).toEqual([[1], [2], [3]]);
      expect(summary).toMatchObject({ completed: 3, leftUndone: 0 });
    });

    it('no good renewal for the lease minus one renewal interval: nothing more is sent', async () => {
      server.addOrders([1, 2, 3]);
      let open: () => void = () => {};
      server.gate = new Promise((resolve) => {
        open = resolve;
      });
      const { logger, lines } = capturedLog('err', 'undoneIds');

      // Lease 1,500 ms, renewed every 1,000 (the floor): 500 ms after the lock was taken,
      // this run can no longer know it holds it, renewals or not. The clock the lock reads
      // (and its renewal timer) is the test's, moved 700 ms while the first batch waits.
      vi.useFakeTimers({ toFake: ['performance', 'setInterval', 'clearInterval'] });
      let summary: RunSummary;
      try {
        const run = job({ lockTtlMs: 1500, batchSize: 1, batchConcurrency: 1 }, { logger }).run();
        await server.waitForInFlight(1);
        server.failLocks = 1000;
        vi.advanceTimersByTime(700);
        open();
        summary = await run;
      } finally {
        vi.useRealTimers();
      }

      expect(server.completeCalls).toEqual([[1]]);
      // Ended like a run past its deadline: what it left is counted and named (exit 6).
      expect(summary).toMatchObject({
        lockExpired: true,
        completed: 1,
        notTried: 2,
        leftUndone: 2,
        heldByOtherCalls: null,
      });
      expect(lines.some((l) => /could not be renewed for \d+ ms/.test(String(l.msg)))).toBe(true);
      const undone = lines.find((l) => String(l.msg).startsWith('ids left undone by this run'));
      expect(undone?.undoneIds).toEqual({ not_tried: [2, 3] });
    });

    it('a lock lost before a retry round ends the run: the retry round sends nothing', async () => {
      server.addOrders([1], 'notNotified', 'complete');

      // Another scheduler takes the lock while the first round's only batch is in flight.
      const { error } = await renewDuringFirstBatch({ retryAttempts: 2 }, takenByAnotherScheduler);

      expect(error).toBeInstanceOf(LockHeldError);
      expect(server.completeCalls).toEqual([[1]]);
    });
  });

  describe('when the server cannot be used', () => {
    it('refuses the token: ServerUnavailableError "unauthorized" (exit 2), nothing sent', async () => {
      server.addOrders([1]);

      const error = await rejection(job({}, { token: 'wrong-token-0123456789' }).run());

      expect(error).toBeInstanceOf(ServerUnavailableError);
      expect(error).toMatchObject({ name: 'ServerUnavailableError', reason: 'unauthorized' });
      expect((error as Error).message).toBe(
        "The server refused the scheduler's token: Unknown token",
      );
      expect(server.completeCalls).toEqual([]);
    });

    it('a token without the scheduler role (403) is "unauthorized" too', async () => {
      server.addOrders([1]);
      server.forbidden = true;

      const error = await rejection(job().run());

      expect(error).toMatchObject({ name: 'ServerUnavailableError', reason: 'unauthorized' });
      expect((error as Error).message).toBe(
        "The server refused the scheduler's token: The token lacks the scheduler role",
      );
    });

    it('refuses the token mid-run (a rotated token): the run ends with "unauthorized"', async () => {
      server.addOrders(range(1, 4));
      server.onPage = () => {
        server.token = 'rotated-token-0123456789';
      };

      const error = await rejection(job({ batchSize: 1, retryAttempts: 2 }).run());

      expect(error).toBeInstanceOf(ServerUnavailableError);
      expect(error).toMatchObject({ reason: 'unauthorized' });
      expect(server.completeCalls).toEqual([]);
    });

    it('is not there: ServerUnavailableError "unreachable" (exit 2)', async () => {
      const error = await rejection(job({}, { url: await closedPortUrl() }).run());

      expect(error).toBeInstanceOf(ServerUnavailableError);
      expect(error).toMatchObject({ reason: 'unreachable' });
      expect((error as Error).message).toMatch(/^Cannot reach the server: /);
    });

    it('goes away during a run: a dropped batch is retried, then counted unreachable (exit 2)', async () => {
      server.addOrders([1, 2, 3]);
      server.onComplete = () => {
        void server.close();
      };

      const { logger, lines } = capturedLog('err');

      const summary = await job({ retryAttempts: 1 }, { logger }).run();

      expect(server.completeCalls).toEqual([[1, 2, 3]]);
      // The lock ends with its lease: said once, as a warning.
      expect(lines.filter((l) => String(l.msg).startsWith('could not release'))).toEqual([
        {
          level: 40,
          msg: 'could not release the lock; it ends with its lease',
          err: expect.objectContaining({ message: expect.any(String) }),
        },
      ]);
      expect(summary).toMatchObject({
        pending: 3,
        completed: 0,
        unreachable: 3,
        requestFailed: 0,
        leftUndone: 3,
        rounds: 2,
      });
    });

    it('goes away while paging: ServerUnavailableError "unreachable"', async () => {
      server.addOrders(range(1, 4));
      server.onPage = () => {
        if (server.pageQueries.length === 2) void server.close();
      };

      const error = await rejection(job({ pageSize: 2, batchSize: 10 }).run());

      expect(error).toBeInstanceOf(ServerUnavailableError);
      expect(error).toMatchObject({ reason: 'unreachable' });
      expect((error as Error).message).toMatch(/^Cannot reach the server: ./);
      expect(server.completeCalls).toEqual([]);
    });
  });
});

/** A port that was just free: bind it, read it, release it. */
async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `http://127.0.0.1:${address.port}`;
}
