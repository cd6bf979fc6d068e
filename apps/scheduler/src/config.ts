/** The only place that reads `process.env` in the scheduler; validated once at start-up. */
import { Cron } from 'croner';
import { z } from 'zod';

const int = (min: number) => z.coerce.number().int().min(min);
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const schema = z.object({
  SERVER_URL: z.url().default('http://127.0.0.1:5000'),
  SCHEDULER_TOKEN: z.string().min(16, 'a token needs at least 16 characters'),
  CRON: z
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
  TIMEZONE: z.string().optional(),
  RUN_ON_START: bool.default(false),
  PAGE_SIZE: int(1).max(10000).default(5000),
  BATCH_SIZE: int(1).max(10000).default(1000),
  /** Batches in flight at once: the server's database work and notifications overlap. */
  BATCH_CONCURRENCY: int(1).max(32).default(4),
  /** Lease of the single-runner lock, renewed every third of it while a run lasts. */
  SCHEDULER_LOCK_TTL_MS: int(3000).default(60000),
  RETRY_ATTEMPTS: int(0).max(20).default(3),
  RETRY_INITIAL_DELAY_MS: int(0).default(5000),
  RETRY_MAX_DELAY_MS: int(0).default(60000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type SchedulerConfig = z.infer<typeof schema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): SchedulerConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}
