/**
 * `tsx src/main.ts run-once`: one run, then exit: 0 when every pending order got a final
 * outcome (completed, or a permanent failure such as a requirement), 1 on an error, 2 when the
 * server could not be reached or refused the token, 3 when ids that can still succeed were
 * left undone or orders are still held by other calls' claims (or for an operator), 4 when
 * another scheduler holds the single-runner lock, 5 when the run reached its deadline
 * (RUN_DEADLINE_MS) before it was done (the summary counts what was left and why), 6 when the
 * lock could not be renewed for its lease minus one renewal interval and the run stopped
 * sending. Without arguments: stay up and run on the cron schedule (and once at start with
 * RUN_ON_START=true); each run has the same deadline.
 */
import { pino } from 'pino';
import pretty from 'pino-pretty';
import { createServerClient, waitForServer } from './client.js';
import {
  BatchRejectedError,
  CompletionJob,
  LockHeldError,
  type RunSummary,
  ServerUnavailableError,
} from './completion-job.js';
import { ConfigError, loadConfig, type SchedulerConfig } from './config.js';
import { createProgress } from './progress.js';
import { Scheduler } from './scheduler.js';
import { formatSummary } from './summary.js';

const mode = process.argv[2] ?? 'daemon';
if (mode !== 'daemon' && mode !== 'run-once') {
  console.error(`Unknown command "${mode}". Use "run-once" or no argument.`);
  process.exit(1);
}

let config: SchedulerConfig;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

// Logs go to stderr so stdout carries the progress bar and the summary; pretty on a terminal.
const logger = pino(
  { level: config.logLevel, base: { service: 'scheduler' } },
  process.stderr.isTTY ? pretty({ colorize: true, destination: 2 }) : pino.destination(2),
);
const client = createServerClient(config.serverUrl, config.schedulerToken, {
  callTimeoutMs: config.callTimeoutMs,
  slowCallWarnMs: config.slowCallWarnMs,
  logger,
});
const job = new CompletionJob(
  client,
  {
    pageSize: config.pageSize,
    batchSize: config.batchSize,
    batchConcurrency: config.batchConcurrency,
    lockTtlMs: config.lockTtlMs,
    retryAttempts: config.retryAttempts,
    retryInitialDelayMs: config.retryInitialDelayMs,
    retryMaxDelayMs: config.retryMaxDelayMs,
    runDeadlineMs: config.runDeadlineMs,
  },
  createProgress(logger),
  logger,
);
const scheduler = new Scheduler(job, logger, (summary) => {
  console.log(formatSummary(summary));
  logger.info({ summary }, 'run finished');
});

/**
 * The run ended: its deadline passing first is said as such; ids the server never received
 * mean it went away; ids left to retry mean the job is not done. None is a success.
 */
function exitCodeOf(summary: RunSummary | null): number {
  if (!summary) return 0;
  if (summary.deadlineExceeded && (summary.leftUndone > 0 || summary.morePending)) return 5;
  if (summary.lockExpired) return 6;
  if (summary.unreachable > 0) return 2;
  const held = (summary.heldByOtherCalls ?? 0) + (summary.heldForOperator ?? 0);
  return summary.leftUndone > 0 || held > 0 ? 3 : 0;
}

function reportFailure(error: unknown): number {
  if (error instanceof ServerUnavailableError) {
    logger.error({ reason: error.reason }, error.message);
    console.error(error.message);
    return 2;
  }
  if (error instanceof LockHeldError) {
    logger.warn({ holder: error.holder, leaseUntil: error.leaseUntil }, error.message);
    console.error(error.message);
    return 4;
  }
  if (error instanceof BatchRejectedError) {
    logger.error(error.message);
    console.error(`${error.message} (is BATCH_SIZE above the server's MAX_IDS_PER_CALL?)`);
    return 1;
  }
  logger.error({ err: error }, 'run failed');
  return 1;
}

if (mode === 'run-once') {
  try {
    scheduler.startHeartbeat(client, config.heartbeatMs, 'run-once');
    const summary = await scheduler.runNow({ triggeredBy: 'run-once' });
    process.exit(exitCodeOf(summary));
  } catch (error) {
    process.exit(reportFailure(error));
  }
} else {
  scheduler.start(config.cron, config.timezone);
  scheduler.startHeartbeat(client, config.heartbeatMs);
  if (config.runOnStart) {
    // Started beside the server (e.g. `pnpm start`): give it time to come up first.
    waitForServer(client, 60_000)
      .then((up) => {
        if (!up) logger.warn({ url: config.serverUrl }, 'server not up after 60 s; trying anyway');
        return scheduler.runNow({ triggeredBy: 'cron' });
      })
      .catch(reportFailure);
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'stopping');
      scheduler.stop().then(() => process.exit(0));
    });
  }
}
