/**
 * Runs the job on a cron schedule, never two runs at once in one process, and reports itself
 * (`scheduler.heartbeat`): alive, its cron expression and next run. The heartbeat's answer
 * names a run requested from the admin app (a run, or a retry), which it carries out when idle.
 */
import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { ServerClient } from './client.js';
import type { CompletionJob, RunSummary, RunTrigger } from './completion-job.js';

export class Scheduler {
  #running: Promise<RunSummary> | null = null;
  #cron: Cron | null = null;
  #timezone: string | undefined;
  #heartbeat: NodeJS.Timeout | null = null;
  #heartbeatFailed = false;

  constructor(
    private readonly job: CompletionJob,
    private readonly logger: Logger,
    private readonly onSummary: (summary: RunSummary) => void,
  ) {}

  /** Runs now unless a run is in progress; then resolves with null and starts nothing. */
  async runNow(trigger: RunTrigger = { triggeredBy: 'run-once' }): Promise<RunSummary | null> {
    if (this.#running) {
      this.logger.warn('a run is still in progress: this one is skipped');
      return null;
    }
    this.#running = this.job.run(trigger);
    try {
      const summary = await this.#running;
      this.onSummary(summary);
      return summary;
    } finally {
      this.#running = null;
    }
  }

  start(expression: string, timezone?: string) {
    this.#timezone = timezone;
    this.#cron = new Cron(expression, { timezone, protect: true }, async () => {
      try {
        await this.runNow({ triggeredBy: 'cron' });
      } catch (error) {
        this.logger.error({ err: error }, 'scheduled run failed');
      }
    });
    this.logger.info({ cron: expression, next: this.#cron.nextRun()?.toISOString() }, 'scheduled');
  }

  /**
   * Reports every `everyMs`. A daemon carries out the runs requested meanwhile, one at a time;
   * `run-once` only says it is alive while its run lasts.
   */
  startHeartbeat(client: ServerClient, everyMs: number, mode: 'daemon' | 'run-once' = 'daemon') {
    const beat = async () => {
      try {
        const { requestedRun } = await client.scheduler.heartbeat.mutate(
          {
            instance: this.job.instance,
            mode,
            cron: this.#cron?.getPattern() ?? null,
            timezone: this.#timezone ?? null,
            nextRunAt: this.#cron?.nextRun() ?? null,
            heartbeatEveryMs: everyMs,
          },
          { signal: AbortSignal.timeout(Math.max(everyMs, 5000)) },
        );
        if (this.#heartbeatFailed) this.logger.info('heartbeat answered again');
        this.#heartbeatFailed = false;
        if (mode === 'daemon' && requestedRun && !this.#running) {
          this.logger.info(
            { requestedRunId: requestedRun.id, triggeredBy: requestedRun.triggeredBy },
            'carrying out a run requested from the admin app',
          );
          this.runNow({
            triggeredBy: requestedRun.triggeredBy === 'retry' ? 'retry' : 'admin',
            requestedRunId: requestedRun.id,
          }).catch((error: unknown) => this.logger.error({ err: error }, 'requested run failed'));
        }
      } catch (error) {
        if (!this.#heartbeatFailed) this.logger.warn({ err: error }, 'heartbeat failed');
        this.#heartbeatFailed = true;
      }
    };
    void beat();
    this.#heartbeat = setInterval(() => void beat(), everyMs);
    this.#heartbeat.unref();
  }

  async stop() {
    this.#cron?.stop();
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    await this.#running?.catch(() => undefined);
  }
}
