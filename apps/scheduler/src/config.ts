/** The only place that reads `process.env` in the scheduler; validated once at start-up. */
import { type AppConfigSource, loadConfig as loadAppConfig } from '@ocs/config';
import { Cron } from 'croner';
import { z } from 'zod';

const int = (min: number) => z.coerce.number().int().min(min);
const bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
]);

export const configSchema = z.object({
  serverUrl: z.url().default('http://127.0.0.1:5000'),
  schedulerToken: z.string().min(16, 'a token needs at least 16 characters'),
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
    }, 'not a valid cron expression'),
  timezone: z.string().optional(),
  runOnStart: bool.default(false),
  /** How often the daemon reports itself and looks for runs requested from the admin app. */
  heartbeatMs: int(200).max(60_000).default(2000),
  pageSize: int(1).max(10000).default(5000),
  /** 2,000: 1M orders took 26.5 s instead of 27.4 s with 1,000 (half the statements). */
  batchSize: int(1).max(10000).default(2000),
  /** Batches in flight at once: the server's database work and notifications overlap. */
  batchConcurrency: int(1).max(32).default(4),
  /** Lease of the single-runner lock, renewed every third of it while a run lasts. */
  lockTtlMs: int(3000).default(60000),
  retryAttempts: int(0).max(20).default(3),
  retryInitialDelayMs: int(0).default(5000),
  retryMaxDelayMs: int(0).default(60000),
  /**
   * Every call's deadline. Above the server's default completion deadline (5 min) plus the
   * acknowledgement writes and the finish after it; a call that times out is retried.
   */
  callTimeoutMs: int(100).default(360_000),
  /** A call still waiting after this long logs a warning (again every this long). */
  slowCallWarnMs: int(100).default(10_000),
  /** A run ends by itself after this long, done or not (exit 5). Four hours by default. */
  runDeadlineMs: int(1000).default(4 * 60 * 60 * 1000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type SchedulerConfig = z.infer<typeof configSchema>;

export { ConfigError } from '@ocs/config';

/** Environment variable → path in the config. */
export const envKeys = {
  SERVER_URL: 'serverUrl',
  SCHEDULER_TOKEN: 'schedulerToken',
  CRON: 'cron',
  TIMEZONE: 'timezone',
  RUN_ON_START: 'runOnStart',
  SCHEDULER_HEARTBEAT_MS: 'heartbeatMs',
  PAGE_SIZE: 'pageSize',
  BATCH_SIZE: 'batchSize',
  BATCH_CONCURRENCY: 'batchConcurrency',
  SCHEDULER_LOCK_TTL_MS: 'lockTtlMs',
  RETRY_ATTEMPTS: 'retryAttempts',
  RETRY_INITIAL_DELAY_MS: 'retryInitialDelayMs',
  RETRY_MAX_DELAY_MS: 'retryMaxDelayMs',
  CALL_TIMEOUT_MS: 'callTimeoutMs',
  SLOW_CALL_WARN_MS: 'slowCallWarnMs',
  RUN_DEADLINE_MS: 'runDeadlineMs',
  LOG_LEVEL: 'logLevel',
} as const;

export const envDescriptions: Record<keyof typeof envKeys, string> = {
  SERVER_URL: 'The order completion server',
  SCHEDULER_TOKEN: 'Required: a token the server accepts with the scheduler role',
  CRON: 'When to run (cron expression)',
  TIMEZONE: "Time zone of CRON (default: the machine's)",
  RUN_ON_START: 'Also run once at start-up (pnpm start sets true)',
  SCHEDULER_HEARTBEAT_MS:
    'How often the daemon reports itself (alive, next run) and picks up runs requested from the admin app',
  PAGE_SIZE: 'Pending ids fetched per page',
  BATCH_SIZE: 'Ids per completion call (at most the server MAX_IDS_PER_CALL)',
  BATCH_CONCURRENCY: 'Completion calls in flight at once',
  SCHEDULER_LOCK_TTL_MS: 'Lease of the single-runner lock (renewed every third of it)',
  RETRY_ATTEMPTS: 'Rounds after the first for the ids that can still succeed',
  RETRY_INITIAL_DELAY_MS: 'Delay before the first retry round',
  RETRY_MAX_DELAY_MS: 'Longest delay between retry rounds',
  CALL_TIMEOUT_MS:
    "Deadline of one call to the server (keep it above the server's COMPLETION_DEADLINE_MS plus its finish); a timed-out call is retried",
  SLOW_CALL_WARN_MS:
    'A call still waiting after this long logs a warning, and again every this long',
  RUN_DEADLINE_MS: 'A run ends by itself after this long, done or not, with its summary (exit 5)',
  LOG_LEVEL: 'fatal, error, warn, info, debug, trace or silent',
};

export const configSource: AppConfigSource<typeof configSchema> = {
  app: 'scheduler',
  schema: configSchema,
  envKeys,
  descriptions: envDescriptions,
};

export function loadConfig(env: Record<string, string | undefined> = process.env): SchedulerConfig {
  return loadAppConfig(configSource, env);
}
