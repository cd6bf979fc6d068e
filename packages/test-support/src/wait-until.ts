/**
 * Polls until a condition holds, for a state that announces itself nowhere (a row in the
 * database, a request in the notifier's log). Prefer waiting for a line (`waitFor`) when the
 * process prints one.
 */
import { timeouts } from './timeouts.js';

export interface WaitUntilOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is awaited, for the failure message. */
  what?: string;
}

/**
 * Calls `check` until it returns something other than `undefined`, `null` or `false`, and
 * resolves with that; rejects after `timeoutMs` (or when `check` throws).
 */
export async function waitUntil<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitUntilOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? timeouts.pollTimeoutMs;
  const intervalMs = options.intervalMs ?? timeouts.pollIntervalMs;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (performance.now() >= deadline) {
      throw new Error(`${options.what ?? 'condition'} not reached within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
