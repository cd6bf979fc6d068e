/** The notifier's configuration: environment variables, validated once at start-up. */
import { z } from 'zod';
import { type FaultsInput, faultsSchema } from './faults.js';

const intFromEnv = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(5002),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AUTH_HEADER: z.string().min(1).optional(),
  FAULT_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0),
  FAULT_FAILING_ORDER_IDS: z
    .string()
    .regex(/^\s*(\d+\s*(,\s*\d+\s*)*)?$/, 'expected comma-separated order ids, e.g. 1,2,3')
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map(Number)
        .filter((id) => id > 0),
    ),
  FAULT_FAIL_FIRST_ATTEMPTS: intFromEnv(0),
  FAULT_FAIL_STATUS: z.coerce.number().int().min(400).max(599).default(500),
  FAULT_RETRY_AFTER_SECONDS: z.coerce.number().int().nonnegative().optional(),
  FAULT_LATENCY_MS: intFromEnv(0),
  FAULT_JITTER_MS: intFromEnv(0),
  FAULT_DOWN: z
    .enum(['refuse', '503', 'false', ''])
    .default('false')
    .transform((value) => (value === 'refuse' || value === '503' ? value : false)),
});

export interface NotifierConfig {
  port: number;
  host: string;
  logLevel: z.output<typeof envSchema>['LOG_LEVEL'];
  authHeader: string | undefined;
  faults: FaultsInput;
}

export class InvalidConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): NotifierConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const details = parsed.error.issues
      .map((issue) => `"${issue.path.map(String).join('.')}": ${issue.message}`)
      .join('; ');
    throw new InvalidConfigError(`Invalid notifier configuration ${details}`);
  }
  const e = parsed.data;
  const faults = faultsSchema.parse({
    failureRate: e.FAULT_FAILURE_RATE,
    failingOrderIds: e.FAULT_FAILING_ORDER_IDS,
    failFirstAttempts: e.FAULT_FAIL_FIRST_ATTEMPTS,
    failStatus: e.FAULT_FAIL_STATUS,
    retryAfterSeconds: e.FAULT_RETRY_AFTER_SECONDS,
    latencyMs: e.FAULT_LATENCY_MS,
    jitterMs: e.FAULT_JITTER_MS,
    down: e.FAULT_DOWN,
  });
  return { port: e.PORT, host: e.HOST, logLevel: e.LOG_LEVEL, authHeader: e.AUTH_HEADER, faults };
}
