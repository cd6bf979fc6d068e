/**
 * A run's deadline (RUN_DEADLINE_MS): once it passes, its signal cuts the pages and batches in
 * flight, waits end early, and nothing new is sent.
 */
import type { Logger } from 'pino';
import { RunDeadlineReached } from './run-errors.js';

export class RunDeadline {
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout | undefined;

  /** `ms` undefined: no deadline. */
  constructor(ms: number | undefined, logger: Logger) {
    this.#timer =
      ms === undefined
        ? undefined
        : setTimeout(() => {
            logger.error(
              { runDeadlineMs: ms },
              'the run reached its deadline (RUN_DEADLINE_MS): stopping; what is left is in the summary',
            );
            this.#controller.abort(new RunDeadlineReached(`the run's deadline of ${ms} ms passed`));
          }, ms);
  }

  /** Aborted when the deadline passes. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get passed(): boolean {
    return this.#controller.signal.aborted;
  }

  throwIfPassed() {
    if (this.passed) throw new RunDeadlineReached('the run deadline passed');
  }

  /** Waits `ms`; false when the deadline came first. */
  sleep(ms: number): Promise<boolean> {
    const signal = this.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', stop);
        resolve(true);
      }, ms);
      const stop = () => {
        clearTimeout(timer);
        resolve(false);
      };
      signal.addEventListener('abort', stop, { once: true });
    });
  }

  /** The run is over: the deadline no longer matters. */
  clear() {
    clearTimeout(this.#timer);
  }
}
