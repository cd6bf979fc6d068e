/** The only place that reads `process.env` in the scheduler; validated once at start-up. */
import {
  type AppConfigSource,
  bool,
  int,
  loadConfig as loadAppConfig,
  logLevel,
} from '@ocs/config';
import { Cron } from 'croner';
import { z } from 'zod';

/** Every variable the scheduler reads, each with its env name, description and default. */
export const configSchema = z.object({
  serverUrl: z
    .url()
    .default('http://127.0.0.1:5000')
    .meta({ env: 'SERVER_URL', description: 'The order completion server' }),
  schedulerToken: z.string().min(16, 'a token needs at least 16 characters').meta({
    env: 'SCHEDULER_TOKEN',
    description: 'Required: a token the server accepts with the scheduler role',
  }),
  cron: z
    .string()
    .default('0 2 * * *')
    .refine((expr) => {
      try {
        new Cron(expr, { paused: true }).stop();
        return true;
      } catch {
        return false;
      }
    }, 'not a valid cron expression')
    .meta({ env: 'CRON', description: 'When to run (cron expression)' }),
  timezone: z
    .string()
    .optional()
    .meta({ env: 'TIMEZONE', description: "Time zone of CRON (default: the machine's)" }),
  runOnStart: bool.default(false).meta({
    env: 'RUN_ON_START',
    description: 'Also run once at start-up (pnpm start sets true)',
  }),
  heartbeatMs: int(200).max(60_000).default(2000).meta({
    env: 'SCHEDULER_HEARTBEAT_MS',
    description:
      'How often the daemon reports itself (alive, next run) and picks up runs requested from the admin app',
  }),
  pageSize: int(1)
    .max(10000)
    .default(5000)
    .meta({ env: 'PAGE_SIZE', description: 'Pending ids fetched per page' }),
  /** 2,000: 1M orders took 26.5 s instead of 27.4 s with 1,000 (half the statements). */
  batchSize: int(1).max(10000).default(2000).meta({
    env: 'BATCH_SIZE',
    description: 'Ids per completion call (at most the server MAX_IDS_PER_CALL)',
  }),
  /** The server's database work and notifications overlap. */
  batchConcurrency: int(1)
    .max(32)
    .default(4)
    .meta({ env: 'BATCH_CONCURRENCY', description: 'Completion calls in flight at once' }),
  lockTtlMs: int(3000).default(60000).meta({
    env: 'SCHEDULER_LOCK_TTL_MS',
    description: 'Lease of the single-runner lock (renewed every third of it)',
  }),
  retryAttempts: int(0).max(20).default(3).meta({
    env: 'RETRY_ATTEMPTS',
    description: 'Rounds after the first for the ids that can still succeed',
  }),
  retryInitialDelayMs: int(0)
    .default(5000)
    .meta({ env: 'RETRY_INITIAL_DELAY_MS', description: 'Delay before the first retry round' }),
  retryMaxDelayMs: int(0)
    .default(60000)
    .meta({ env: 'RETRY_MAX_DELAY_MS', description: 'Longest delay between retry rounds' }),
  /**
   * Above the server's default completion deadline (5 min) plus the acknowledgement writes
   * and the finish after it.
   */
  callTimeoutMs: int(100).default(360_000).meta({
    env: 'CALL_TIMEOUT_MS',
    description:
      "Deadline of one call to the server (keep it above the server's COMPLETION_DEADLINE_MS plus its finish); a timed-out call is retried",
  }),
  slowCallWarnMs: int(100).default(10_000).meta({
    env: 'SLOW_CALL_WARN_MS',
    description: 'A call still waiting after this long logs a warning, and again every this long',
  }),
  /** Four hours by default. */
  runDeadlineMs: int(1000)
    .default(4 * 60 * 60 * 1000)
    .meta({
      env: 'RUN_DEADLINE_MS',
      description: 'A run ends by itself after this long, done or not, with its summary (exit 5)',
    }),
  logLevel: logLevel
    .default('info')
    .meta({ env: 'LOG_LEVEL', description: 'fatal, error, warn, info, debug, trace or silent' }),
});

export type SchedulerConfig = z.infer<typeof configSchema>;

export { ConfigError } from '@ocs/config';

export const configSource: AppConfigSource<typeof configSchema> = {
  app: 'scheduler',
  schema: configSchema,
};

export function loadConfig(env: Record<string, string | undefined> = process.env): SchedulerConfig {
  return loadAppConfig(configSource, env);
}
