/** Runs the job on a cron schedule, never two runs at once in one process. */
import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { CompletionJob, RunSummary } from './completion-job.js';

export class Scheduler {
  #running: Promise<RunSummary> | null = null;
  #cron: Cron | null = null;

  constructor(
    private readonly job: CompletionJob,
    private readonly logger: Logger,
    private readonly onSummary: (summary: RunSummary) => void,
  ) {}

  /** Runs now unless a run is in progress; then resolves with null and starts nothing. */
  async runNow(): Promise<RunSummary | null> {
    if (this.#running) {
      this.logger.warn('a run is still in progress: this one is skipped');
      return null;
    }
    this.#running = this.job.run();
    try {
      const summary = await this.#running;
      this.onSummary(summary);
      return summary;
    } finally {
      this.#running = null;
    }
  }

  start(expression: string, timezone?: string) {
    this.#cron = new Cron(expression, { timezone, protect: true }, async () => {
      try {
        await this.runNow();
      } catch (error) {
        this.logger.error({ err: error }, 'scheduled run failed');
      }
    });
    this.logger.info({ cron: expression, next: this.#cron.nextRun()?.toISOString() }, 'scheduled');
  }

  async stop() {
    this.#cron?.stop();
    await this.#running?.catch(() => undefined);
  }
}
