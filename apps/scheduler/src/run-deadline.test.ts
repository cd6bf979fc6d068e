/** A run's deadline (RUN_DEADLINE_MS), on fake timers: its signal, its error and its sleeps. */
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunDeadline } from './run-deadline.js';
import { RunDeadlineReached } from './run-errors.js';

function fakeLogger() {
  const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };
  return { logger, log: logger as unknown as Logger };
}

/** Whether the promise has settled, and with what, once the callbacks queued so far have run. */
async function state<T>(promise: Promise<T>): Promise<{ settled: false } | { value: T }> {
  let result: { settled: false } | { value: T } = { settled: false };
  promise.then((value) => {
    result = { value };
  });
  await new Promise(setImmediate);
  return result;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('RunDeadline', () => {
  it('given no deadline, never passes and sets no timer', () => {
    const { logger, log } = fakeLogger();
    const deadline = new RunDeadline(undefined, log);

    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10 * 24 * 3600_000);

    expect(deadline.passed).toBe(false);
    expect(deadline.signal.aborted).toBe(false);
    expect(() => deadline.throwIfPassed()).not.toThrow();
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('passes after its ms: aborts its signal with RunDeadlineReached and logs an error', () => {
    const { logger, log } = fakeLogger();
    const deadline = new RunDeadline(1000, log);

    vi.advanceTimersByTime(999);
    expect(deadline.passed).toBe(false);
    expect(deadline.signal.aborted).toBe(false);
    expect(() => deadline.throwIfPassed()).not.toThrow();
    expect(logger.error).not.toHaveBeenCalled();

    vi.advanceTimersByTime(1);
    expect(deadline.passed).toBe(true);
    expect(deadline.signal.aborted).toBe(true);
    const reason = deadline.signal.reason;
    expect(reason).toBeInstanceOf(RunDeadlineReached);
    expect(reason.message).toBe("the run's deadline of 1000 ms passed");
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error).toHaveBeenCalledWith(
      { runDeadlineMs: 1000 },
      'the run reached its deadline (RUN_DEADLINE_MS): stopping; what is left is in the summary',
    );
  });

  it('once passed, throwIfPassed throws RunDeadlineReached', () => {
    const deadline = new RunDeadline(50, fakeLogger().log);
    vi.advanceTimersByTime(50);

    let thrown: unknown;
    try {
      deadline.throwIfPassed();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RunDeadlineReached);
    expect((thrown as Error).message).toBe('the run deadline passed');
  });

  it('once cleared, never passes', () => {
    const { logger, log } = fakeLogger();
    const deadline = new RunDeadline(1000, log);

    deadline.clear();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(5000);

    expect(deadline.passed).toBe(false);
    expect(logger.error).not.toHaveBeenCalled();
  });
});

describe('RunDeadline.sleep', () => {
  it('given no deadline, waits its ms and resolves true', async () => {
    const deadline = new RunDeadline(undefined, fakeLogger().log);

    const slept = deadline.sleep(200);
    vi.advanceTimersByTime(199);
    expect(await state(slept)).toEqual({ settled: false });

    vi.advanceTimersByTime(1);
    expect(await state(slept)).toEqual({ value: true });
  });

  it('given the deadline first, resolves false at the deadline and clears its own timer', async () => {
    const deadline = new RunDeadline(1000, fakeLogger().log);

    const slept = deadline.sleep(5000);
    expect(vi.getTimerCount()).toBe(2);
    vi.advanceTimersByTime(999);
    expect(await state(slept)).toEqual({ settled: false });

    vi.advanceTimersByTime(1);
    expect(await state(slept)).toEqual({ value: false });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('given a deadline already passed, resolves false at once and sets no timer', async () => {
    const deadline = new RunDeadline(10, fakeLogger().log);
    vi.advanceTimersByTime(10);

    const slept = deadline.sleep(5000);

    expect(vi.getTimerCount()).toBe(0);
    expect(await state(slept)).toEqual({ value: false });
  });

  it('listens for the abort once, and stops listening once it has slept', async () => {
    const deadline = new RunDeadline(10_000, fakeLogger().log);
    const signal = deadline.signal;
    const add = vi.spyOn(signal, 'addEventListener');
    const remove = vi.spyOn(signal, 'removeEventListener');

    const slept = deadline.sleep(100);
    expect(add).toHaveBeenCalledTimes(1);
    expect(add).toHaveBeenCalledWith('abort', expect.any(Function), { once: true });
    expect(remove).not.toHaveBeenCalled();

    vi.advanceTimersByTime(100);
    expect(await state(slept)).toEqual({ value: true });
    expect(remove).toHaveBeenCalledTimes(1);
    expect(remove).toHaveBeenCalledWith('abort', add.mock.calls[0]?.[1]);
  });

  it('given sleeps that ended, the deadline still passes and ends only the sleep in progress', async () => {
    const deadline = new RunDeadline(1000, fakeLogger().log);

    const first = deadline.sleep(100);
    vi.advanceTimersByTime(100);
    expect(await state(first)).toEqual({ value: true });
    const second = deadline.sleep(2000);
    vi.advanceTimersByTime(900);

    expect(await state(second)).toEqual({ value: false });
    expect(deadline.passed).toBe(true);
  });
});
