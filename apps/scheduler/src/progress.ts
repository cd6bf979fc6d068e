/** A progress bar on a terminal, log lines otherwise (CI, files, pipes). */
import { Presets, SingleBar } from 'cli-progress';
import type { Logger } from 'pino';
import type { Progress, RunSummary } from './completion-job.js';

export function createProgress(logger: Logger, isTTY = process.stdout.isTTY === true): Progress {
  return isTTY ? new BarProgress() : new LogProgress(logger);
}

class BarProgress implements Progress {
  readonly #bar = new SingleBar(
    { format: 'completing {bar} {value}/{total} settled | {completed} completed | eta {eta}s' },
    Presets.shades_classic,
  );

  start(total: number) {
    this.#bar.start(total, 0, { completed: 0 });
  }
  advance(done: number, summary: RunSummary) {
    this.#bar.update(done, { completed: summary.completed });
  }
  stop() {
    this.#bar.stop();
  }
}

class LogProgress implements Progress {
  #total = 0;
  constructor(private readonly logger: Logger) {}

  start(total: number) {
    this.#total = total;
    this.logger.info({ pending: total }, 'run started');
  }
  advance(done: number, summary: RunSummary) {
    this.logger.info(
      { settled: done, total: this.#total, completed: summary.completed, round: summary.rounds },
      'progress',
    );
  }
  stop() {}
}
