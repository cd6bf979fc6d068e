/**
 * The scheduler's deadlines against a real HTTP server (the stub) and the real CLI process: a
 * call that gets no answer times out and is retried like a lost answer, a slow call is never
 * silent, and a run that cannot get its work done ends by itself within its deadline with
 * every undone id counted and exit 5. Durations are upper bounds with slack.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServerClient } from '../src/client.js';
import {
  CompletionJob,
  type CompletionJobOptions,
  type Progress,
  ServerUnavailableError,
} from '../src/completion-job.js';
import { type StubServer, schedulerToken, startStubServer } from './stub-server.js';

let server: StubServer;
beforeEach(async () => {
  server = await startStubServer();
});
afterEach(() => server.close());

const quiet: Progress = { start() {}, advance() {}, stop() {} };
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

function capturedLog() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

function job(
  options: Partial<CompletionJobOptions>,
  client: { callTimeoutMs: number; slowCallWarnMs?: number },
  logger = pino({ level: 'silent' }),
) {
  return new CompletionJob(
    createServerClient(server.url, schedulerToken, {
      callTimeoutMs: client.callTimeoutMs,
      slowCallWarnMs: client.slowCallWarnMs ?? 60_000,
      logger,
    }),
    {
      pageSize: 1000,
      batchSize: 10,
      batchConcurrency: 2,
      retryAttempts: 0,
      retryInitialDelayMs: 1,
      retryMaxDelayMs: 2,
      lockTtlMs: 60_000,
      ...options,
    },
    quiet,
    logger,
  );
}

describe('a server that never answers a completion call', () => {
  it('the call times out and is retried like a lost answer; a slow call logs that it waits', async () => {
    server.addOrders(range(1, 5));
    server.gate = new Promise(() => {}); // complete calls wait forever
    const { logger, lines } = capturedLog();

    const started = performance.now();
    const summary = await job(
      { retryAttempts: 2 },
      { callTimeoutMs: 400, slowCallWarnMs: 150 },
      logger,
    ).run();
    const ms = performance.now() - started;

    // One batch, sent three times (the first round and two retries), each cut at 400 ms.
    expect(server.completeCalls).toEqual([range(1, 5), range(1, 5), range(1, 5)]);
    expect(summary).toMatchObject({
      pending: 5,
      completed: 0,
      requestFailed: 5,
      leftUndone: 5,
      rounds: 3,
      deadlineExceeded: false,
    });
    expect(ms).toBeLessThan(3 * 400 + 2000);
    const timedOut = lines.filter(
      (l) => l.msg === 'completion request timed out; the ids are retried',
    );
    expect(timedOut).toHaveLength(3);
    expect(JSON.stringify(timedOut[0])).toMatch(/within 400 ms \(CALL_TIMEOUT_MS\)/);
    // On a loaded machine the lock request may be slow enough to warn too: only the
    // completion calls' warnings are counted.
    const waiting = lines.filter(
      (l) => String(l.msg).startsWith('still waiting for') && l.procedure === 'orders.complete',
    );
    expect(waiting.length).toBeGreaterThanOrEqual(3);
    expect(waiting[0]).toMatchObject({
      level: 40,
      server: server.url,
      procedure: 'orders.complete',
      waitingMs: expect.any(Number),
    });
  });

  it('a run ends by its deadline: the call in flight is cut, unsent ids are counted as not tried', async () => {
    server.addOrders(range(1, 50));
    server.gate = new Promise(() => {});

    const started = performance.now();
    const { logger, lines } = capturedLog();
    const summary = await job(
      { batchSize: 10, batchConcurrency: 2, retryAttempts: 5, runDeadlineMs: 1000 },
      { callTimeoutMs: 60_000 },
      logger,
    ).run();
    const ms = performance.now() - started;

    expect(ms).toBeLessThan(1000 + 1500);
    // Two batches were in flight (cut: their answer is unknown), three never sent.
    expect(server.completeCalls).toHaveLength(2);
    expect(summary).toMatchObject({
      pending: 50,
      completed: 0,
      requestFailed: 20,
      notTried: 30,
      leftUndone: 50,
      deadlineExceeded: true,
      morePending: false,
      rounds: 1,
    });
    // The lock is given back even though the run's deadline has passed.
    expect(server.releasedHolders).toHaveLength(1);
    // Every undone id is named, by why.
    const undone = lines.find((l) => String(l.msg).startsWith('ids left undone by this run'));
    const ids = undone?.undoneIds as Record<string, number[]>;
    expect(ids.request_failed).toHaveLength(20);
    expect(ids.not_tried).toHaveLength(30);
    expect([...(ids.request_failed ?? []), ...(ids.not_tried ?? [])].sort((a, b) => a - b)).toEqual(
      range(1, 50),
    );
  });

  it('a server whose database is down (5xx) is retried until the run deadline ends the rounds', async () => {
    server.addOrders(range(1, 4));
    server.failCompletes = Array.from({ length: 100 }, () => 'INTERNAL_SERVER_ERROR' as const);

    const started = performance.now();
    const summary = await job(
      { retryAttempts: 20, retryInitialDelayMs: 200, retryMaxDelayMs: 200, runDeadlineMs: 1500 },
      { callTimeoutMs: 60_000 },
    ).run();
    const ms = performance.now() - started;

    expect(ms).toBeLessThan(1500 + 1500);
    expect(server.completeCalls.length).toBeGreaterThan(1);
    expect(summary).toMatchObject({
      completed: 0,
      requestFailed: 4,
      leftUndone: 4,
      deadlineExceeded: true,
    });
    expect(summary.rounds).toBeLessThan(21);
  });
});

describe('a server that never answers the lock request', () => {
  async function rejection(work: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
    const started = performance.now();
    try {
      await work;
    } catch (error) {
      return { error, ms: performance.now() - started };
    }
    throw new Error('expected the run to fail');
  }

  it('the call times out: ServerUnavailableError "unreachable" (exit 2) naming CALL_TIMEOUT_MS', async () => {
    server.addOrders([1]);
    server.lockGate = new Promise(() => {});
    const { error, ms } = await rejection(job({}, { callTimeoutMs: 400 }).run());
    expect(error).toBeInstanceOf(ServerUnavailableError);
    expect(error).toMatchObject({ reason: 'unreachable' });
    expect((error as Error).message).toMatch(/within 400 ms \(CALL_TIMEOUT_MS\)/);
    expect(ms).toBeLessThan(400 + 1500);
    expect(server.completeCalls).toEqual([]);
  });

  it('the run deadline cuts it, even with a longer call timeout', async () => {
    server.addOrders([1]);
    server.lockGate = new Promise(() => {});
    const { error, ms } = await rejection(
      job({ runDeadlineMs: 1000 }, { callTimeoutMs: 60_000 }).run(),
    );
    expect(error).toBeInstanceOf(ServerUnavailableError);
    expect((error as Error).message).toMatch(/deadline of 1000 ms passed/);
    expect(ms).toBeLessThan(1000 + 1500);
  });
});

describe('scheduler run-once against a server that never answers', () => {
  it('ends by RUN_DEADLINE_MS with exit 5, the summary on stdout and the waits in the log', async () => {
    server.addOrders(range(1, 30));
    server.gate = new Promise(() => {});
    const child = spawn(
      process.execPath,
      ['--conditions=development', '--import', 'tsx', 'src/main.ts', 'run-once'],
      {
        cwd: resolve(import.meta.dirname, '..'),
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          SERVER_URL: server.url,
          SCHEDULER_TOKEN: schedulerToken,
          BATCH_SIZE: '10',
          BATCH_CONCURRENCY: '1',
          CALL_TIMEOUT_MS: '60000',
          SLOW_CALL_WARN_MS: '500',
          RUN_DEADLINE_MS: '2000',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    const code = await new Promise<number | null>((done) => child.once('exit', done));

    expect(code).toBe(5);
    expect(stdout).toContain('left undone:                30');
    expect(stdout).toContain('request failed:           10');
    expect(stdout).toContain('not tried:                20');
    expect(stdout).toContain('stopped by the run deadline (RUN_DEADLINE_MS)');
    expect(stderr).toMatch(
      /still waiting for http:\/\/127\.0\.0\.1:\d+ to answer orders\.complete/,
    );
    expect(stderr).toMatch(/the run reached its deadline/);
  }, 30_000);
});
