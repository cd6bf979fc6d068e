/** The single-runner lock over a fake client, on fake timers: take, renew, expire, release. */
import { hostname } from 'node:os';
import { TRPCClientError } from '@trpc/client';
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ServerClient } from './client.js';
import type { RunDeadline } from './run-deadline.js';
import { LockExpiredError, LockHeldError, ServerUnavailableError } from './run-errors.js';
import { RunLock, type RunLockOptions, releaseTimeoutMs } from './run-lock.js';

/** `scheduler.acquireLock` / `releaseLock` as mocks recording their calls. */
function fakeClient() {
  const acquire = vi.fn();
  const release = vi.fn();
  const client = {
    scheduler: { acquireLock: { mutate: acquire }, releaseLock: { mutate: release } },
  } as unknown as ServerClient;
  return { client, acquire, release };
}

function fakeLogger() {
  const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };
  return { logger, log: logger as unknown as Logger };
}

/** A deadline whose sleeps answer at once: true (slept), or false (the deadline came first). */
function fakeDeadline(slept = true) {
  const controller = new AbortController();
  const sleep = vi.fn(async (_ms: number) => slept);
  const deadline = { signal: controller.signal, sleep } as unknown as RunDeadline;
  return { deadline, sleep, controller };
}

const options: RunLockOptions = {
  lockTtlMs: 3000,
  retryAttempts: 2,
  retryInitialDelayMs: 1,
  retryMaxDelayMs: 2,
  runDeadlineMs: 60_000,
};

const granted = (holder: string) => ({
  acquired: true,
  holder,
  leaseUntil: '2026-12-07T00:00:03.000Z',
});
const heldByOther = {
  acquired: false,
  holder: 'other:1:a',
  leaseUntil: '2026-12-07T00:01:00.000Z',
};

/** A 5xx the server marks retryable (a database node lost a moment ago). */
const retryable = () =>
  TRPCClientError.from({
    error: {
      code: -32603,
      message: 'database blip',
      data: { code: 'INTERNAL_SERVER_ERROR', httpStatus: 500, retryable: true },
    },
  });

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Lets the promise callbacks queued so far run (setImmediate is not faked here). */
const settle = () => new Promise(setImmediate);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['performance', 'setInterval', 'clearInterval'] });
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function lock(overrides: Partial<RunLockOptions> = {}) {
  const fake = fakeClient();
  const { logger, log } = fakeLogger();
  const runLock = new RunLock(fake.client, { ...options, ...overrides }, log);
  fake.acquire.mockResolvedValue(granted(runLock.holder));
  return { ...fake, logger, runLock };
}

describe('RunLock.take', () => {
  it("asks for the lock as this scheduler's holder, with the lease, within the deadline", async () => {
    const { runLock, acquire } = lock();
    const { deadline, controller } = fakeDeadline();

    await runLock.take(deadline);

    expect(runLock.holder).toMatch(
      new RegExp(`^${escaped(hostname())}:${process.pid}:[0-9a-z]{1,8}$`),
    );
    expect(acquire).toHaveBeenCalledTimes(1);
    expect(acquire).toHaveBeenCalledWith(
      { holder: runLock.holder, ttlMs: 3000 },
      { signal: controller.signal },
    );
  });

  it('given another holder, throws LockHeldError naming it', async () => {
    const { runLock, acquire } = lock();
    acquire.mockResolvedValue(heldByOther);

    const error = await runLock.take(fakeDeadline().deadline).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(LockHeldError);
    expect(error).toMatchObject({ holder: 'other:1:a', leaseUntil: '2026-12-07T00:01:00.000Z' });
  });

  it('given retryable 5xx answers, tries again after a backoff within its bounds, with a warning', async () => {
    const { runLock, acquire, logger } = lock();
    const first = retryable();
    const second = retryable();
    acquire.mockRejectedValueOnce(first).mockRejectedValueOnce(second);
    const { deadline, sleep } = fakeDeadline();

    await runLock.take(deadline);

    expect(acquire).toHaveBeenCalledTimes(3);
    expect(sleep).toHaveBeenCalledTimes(2);
    for (const [ms] of sleep.mock.calls) {
      // RETRY_INITIAL_DELAY_MS 1 and RETRY_MAX_DELAY_MS 2, not cockatiel's defaults (128 ms, 30 s).
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThanOrEqual(2);
    }
    expect(logger.warn).toHaveBeenCalledTimes(2);
    expect(
      logger.warn.mock.calls.map(([fields, msg]) => [fields.err, fields.attempt, msg]),
    ).toEqual([
      [first, 1, 'the lock request failed with a retryable server error; trying again'],
      [second, 2, 'the lock request failed with a retryable server error; trying again'],
    ]);
    expect(logger.warn.mock.calls[0]?.[0].delayMs).toBe(Math.round(sleep.mock.calls[0]?.[0] ?? -1));
  });

  it('given more retryable failures than RETRY_ATTEMPTS, throws the last one', async () => {
    const { runLock, acquire } = lock({ retryAttempts: 1 });
    const last = retryable();
    acquire.mockRejectedValueOnce(retryable()).mockRejectedValueOnce(last);

    const error = await runLock.take(fakeDeadline().deadline).catch((e: unknown) => e);

    expect(error).toBe(last);
    expect(acquire).toHaveBeenCalledTimes(2);
  });

  it('given the deadline during the backoff, throws the failure without trying again', async () => {
    const { runLock, acquire } = lock();
    const failure = retryable();
    acquire.mockRejectedValueOnce(failure);
    const { deadline, sleep } = fakeDeadline(false);

    const error = await runLock.take(deadline).catch((e: unknown) => e);

    expect(error).toBe(failure);
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(acquire).toHaveBeenCalledTimes(1);
  });

  it('given a failure that is not retryable, throws it at once', async () => {
    const { runLock, acquire } = lock();
    const failure = new Error('boom');
    acquire.mockRejectedValueOnce(failure);
    const { deadline, sleep } = fakeDeadline();

    expect(await runLock.take(deadline).catch((e: unknown) => e)).toBe(failure);
    expect(sleep).not.toHaveBeenCalled();
  });

  it("given no answer before the run's deadline, the server is unreachable, naming RUN_DEADLINE_MS", async () => {
    const { runLock, acquire } = lock();
    const { deadline, controller } = fakeDeadline();
    acquire.mockImplementationOnce(async () => {
      controller.abort(new Error('deadline'));
      throw new Error('This operation was aborted');
    });

    const error = await runLock.take(deadline).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ServerUnavailableError);
    expect((error as ServerUnavailableError).reason).toBe('unreachable');
    expect((error as Error).message).toBe(
      "Cannot reach the server: no answer to the lock request before the run's deadline of 60000 ms passed (RUN_DEADLINE_MS)",
    );
  });
});

describe('RunLock.keepRenewed', () => {
  it('renews every third of the lease (at least every second) until stopped', async () => {
    const { runLock, acquire } = lock({ lockTtlMs: 9000 });
    await runLock.take(fakeDeadline().deadline);
    acquire.mockClear();

    const stop = runLock.keepRenewed();
    vi.advanceTimersByTime(2999);
    expect(acquire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(acquire).toHaveBeenCalledTimes(1);
    // Renewals count against no deadline: no signal.
    expect(acquire).toHaveBeenCalledWith(
      { holder: runLock.holder, ttlMs: 9000 },
      { signal: undefined },
    );
    vi.advanceTimersByTime(3000);
    expect(acquire).toHaveBeenCalledTimes(2);

    stop();
    vi.advanceTimersByTime(30_000);
    expect(acquire).toHaveBeenCalledTimes(2);
  });

  it('given a short lease, still renews only every second', () => {
    const { runLock, acquire } = lock({ lockTtlMs: 600 });

    const stop = runLock.keepRenewed();
    vi.advanceTimersByTime(999);
    expect(acquire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(acquire).toHaveBeenCalledTimes(1);
    stop();
  });

  it('given a renewal that finds another holder, logs it and sends nothing more', async () => {
    const { runLock, acquire, logger } = lock();
    await runLock.take(fakeDeadline().deadline);
    acquire.mockResolvedValue(heldByOther);

    const stop = runLock.keepRenewed();
    vi.advanceTimersByTime(1000);
    await settle();
    stop();

    expect(logger.error).toHaveBeenCalledTimes(1);
    const [fields, msg] = logger.error.mock.calls[0] ?? [];
    expect(fields.err).toBeInstanceOf(LockHeldError);
    expect(msg).toBe('could not renew the single-runner lock');
    expect(() => runLock.throwIfGone()).toThrow(fields.err);
    expect(runLock.expired).toBe(false);
  });

  it('given a renewal that fails otherwise, logs its error and keeps the lock until it expires', async () => {
    const { runLock, acquire, logger } = lock();
    await runLock.take(fakeDeadline().deadline);
    const failure = new Error('socket hang up');
    acquire.mockRejectedValue(failure);

    const stop = runLock.keepRenewed();
    vi.advanceTimersByTime(1000);
    await settle();
    stop();

    expect(logger.error).toHaveBeenCalledWith(
      { err: failure },
      'could not renew the single-runner lock',
    );
    expect(() => runLock.throwIfGone()).not.toThrow();
  });
});

describe('RunLock.throwIfGone', () => {
  it('given no renewal for the lease minus one renewal interval, throws LockExpiredError once and for all', async () => {
    const { runLock, logger } = lock({ lockTtlMs: 3000 });
    await runLock.take(fakeDeadline().deadline);

    vi.advanceTimersByTime(1999);
    expect(() => runLock.throwIfGone()).not.toThrow();
    expect(runLock.expired).toBe(false);

    vi.advanceTimersByTime(1);
    let thrown: unknown;
    try {
      runLock.throwIfGone();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LockExpiredError);
    expect((thrown as LockExpiredError).sinceRenewalMs).toBe(2000);
    expect(runLock.expired).toBe(true);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith(
      { sinceRenewalMs: 2000 },
      'The single-runner lock could not be renewed for 2000 ms (its lease may have ended): the run stopped sending',
    );
    // Later checks throw the same error; a new take starts afresh.
    expect(() => runLock.throwIfGone()).toThrow(thrown as Error);
    expect(logger.error).toHaveBeenCalledTimes(1);
    await runLock.take(fakeDeadline().deadline);
    expect(() => runLock.throwIfGone()).not.toThrow();
    expect(runLock.expired).toBe(false);
  });

  it('measures from when the last good request was sent, not when it was answered', async () => {
    const { runLock, acquire } = lock({ lockTtlMs: 3000 });
    let answer!: (lease: unknown) => void;
    acquire.mockImplementationOnce(
      () =>
        new Promise((resolve) => {
          answer = resolve;
        }),
    );

    const taking = runLock.take(fakeDeadline().deadline);
    vi.advanceTimersByTime(1500);
    answer(granted(runLock.holder));
    await taking;
    vi.advanceTimersByTime(500);

    expect(() => runLock.throwIfGone()).toThrow(LockExpiredError);
  });
});

describe('RunLock.release', () => {
  it('releases the lock with a short timeout', async () => {
    const { runLock, release, logger } = lock();
    release.mockResolvedValue({ released: true });
    const timeout = vi.spyOn(AbortSignal, 'timeout');

    await expect(runLock.release()).resolves.toBeUndefined();

    expect(timeout).toHaveBeenCalledWith(releaseTimeoutMs);
    expect(release).toHaveBeenCalledTimes(1);
    expect(release).toHaveBeenCalledWith(
      { holder: runLock.holder },
      { signal: timeout.mock.results[0]?.value },
    );
    expect(release.mock.calls[0]?.[1].signal).toBeInstanceOf(AbortSignal);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('given a failure, resolves with a warning: the lease ends by itself', async () => {
    const { runLock, release, logger } = lock();
    const failure = new Error('socket hang up');
    release.mockRejectedValue(failure);

    await expect(runLock.release()).resolves.toBeUndefined();

    expect(logger.warn).toHaveBeenCalledWith(
      { err: failure },
      'could not release the lock; it ends with its lease',
    );
  });
});
