/** A progress bar on a terminal, a log line every few seconds otherwise (CI, files, pipes). */
import { Presets, SingleBar } from 'cli-progress';
import type { Logger } from 'pino';
import type { Progress, RunSummary } from './completion-job.js';

export function createProgress(
  logger: Logger,
  isTTY = process.stdout.isTTY === true,
  logEveryMs = 5000,
): Progress {
  return isTTY ? new BarProgress() : new LogProgress(logger, logEveryMs);
}

class BarProgress implements Progress {
  readonly #bar = new SingleBar(
    {
      format:
        'completing {bar} {value}/{total} settled | {completed} completed | {rate}/s | eta {eta}s',
    },
    Presets.shades_classic,
  );
  #started = Date.now();

  start() {
    this.#started = Date.now();
    this.#bar.start(0, 0, { completed: 0, rate: 0 });
  }
  advance(settled: number, pending: number, summary: RunSummary) {
    const seconds = Math.max(0.001, (Date.now() - this.#started) / 1000);
    this.#bar.setTotal(pending);
    this.#bar.update(settled, {
      completed: summary.completed,
      rate: Math.round(settled / seconds),
    });
  }
  stop() {
    this.#bar.stop();
  }
}

class LogProgress implements Progress {
  #last = 0;
  constructor(
    private readonly logger: Logger,
    private readonly everyMs: number,
  ) {}

  start() {
    this.#last = 0; // the first batch is logged at once, then one line per period
    this.logger.info('run started');
  }
  advance(settled: number, pending: number, summary: RunSummary) {
    const now = Date.now();
    if (now - this.#last < this.everyMs) return;
    this.#last = now;
    this.logger.info(
      {
        settled,
        pendingSoFar: pending,
        completed: summary.completed,
        leftToRetry: summary.leftUndone,
        round: summary.rounds,
      },
      'progress',
    );
  }
  stop() {}
}
