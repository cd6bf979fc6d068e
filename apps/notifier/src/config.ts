/** The notifier's configuration: environment variables, validated once at start-up. */
import { type AppConfigSource, loadConfig as loadAppConfig } from '@ocs/config';
import { z } from 'zod';
import type { FaultsInput } from './faults.js';

const intFromEnv = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

export const configSchema = z.object({
  port: z.coerce.number().int().min(0).max(65_535).default(5002),
  host: z.string().min(1).default('127.0.0.1'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  authHeader: z.string().min(1).optional(),
  faults: z
    .object({
      failureRate: z.coerce.number().min(0).max(1).default(0),
      failingOrderIds: z
        .union([
          z.array(z.number()),
          z
            .string()
            .regex(/^\s*(\d+\s*(,\s*\d+\s*)*)?$/, 'expected comma-separated order ids, e.g. 1,2,3')
            .transform((value) =>
              value
                .split(',')
                .map(Number)
                .filter((id) => id > 0),
            ),
        ])
        .default([]),
      failFirstAttempts: intFromEnv(0),
      failStatus: z.coerce.number().int().min(400).max(599).default(500),
      retryAfterSeconds: z.coerce.number().int().nonnegative().optional(),
      latencyMs: intFromEnv(0),
      jitterMs: intFromEnv(0),
      down: z
        .enum(['refuse', '503', 'false'])
        .default('false')
        .transform((value) => (value === 'refuse' || value === '503' ? value : false)),
    })
    // What the fault controller takes (it parses with faultsSchema once more).
    .transform((faults): FaultsInput => faults),
});

export type NotifierConfig = z.output<typeof configSchema>;

export { ConfigError } from '@ocs/config';

/** Environment variable → path in the config. */
export const envKeys = {
  PORT: 'port',
  HOST: 'host',
  LOG_LEVEL: 'logLevel',
  AUTH_HEADER: 'authHeader',
  FAULT_FAILURE_RATE: 'faults.failureRate',
  FAULT_FAILING_ORDER_IDS: 'faults.failingOrderIds',
  FAULT_FAIL_FIRST_ATTEMPTS: 'faults.failFirstAttempts',
  FAULT_FAIL_STATUS: 'faults.failStatus',
  FAULT_RETRY_AFTER_SECONDS: 'faults.retryAfterSeconds',
  FAULT_LATENCY_MS: 'faults.latencyMs',
  FAULT_JITTER_MS: 'faults.jitterMs',
  FAULT_DOWN: 'faults.down',
} as const;

export const envDescriptions: Record<keyof typeof envKeys, string> = {
  PORT: 'Port to listen on (0 = any free port)',
  HOST: 'Interface to listen on',
  LOG_LEVEL: 'fatal, error, warn, info, debug, trace or silent',
  AUTH_HEADER: 'When set, notification requests must send this Authorization header',
  FAULT_FAILURE_RATE: 'Chance (0..1) that a notification fails',
  FAULT_FAILING_ORDER_IDS: 'Order ids that always fail, comma-separated',
  FAULT_FAIL_FIRST_ATTEMPTS: "Each order's first N requests fail",
  FAULT_FAIL_STATUS: 'HTTP status of an injected failure',
  FAULT_RETRY_AFTER_SECONDS: 'Retry-After sent with injected failures',
  FAULT_LATENCY_MS: 'Added to every notification request',
  FAULT_JITTER_MS: 'Plus a random 0..N ms',
  FAULT_DOWN: 'refuse (drop connections), 503, or false',
};

export const configSource: AppConfigSource<typeof configSchema> = {
  app: 'notifier',
  schema: configSchema,
  envKeys,
  descriptions: envDescriptions,
};

export function loadConfig(env: Record<string, string | undefined> = process.env): NotifierConfig {
  return loadAppConfig(configSource, env);
}
