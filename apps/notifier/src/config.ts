/** The notifier's configuration: environment variables, validated once at start-up. */
import { type AppConfigSource, int, loadConfig as loadAppConfig, logLevel } from '@ocs/config';
import { z } from 'zod';
import type { FaultsInput } from './faults.js';

/** Every variable the notifier reads, each with its env name, description and default. */
export const configSchema = z.object({
  port: int(0)
    .max(65_535)
    .default(5002)
    .meta({ env: 'PORT', description: 'Port to listen on (0 = any free port)' }),
  host: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .meta({ env: 'HOST', description: 'Interface to listen on' }),
  logLevel: logLevel
    .default('info')
    .meta({ env: 'LOG_LEVEL', description: 'fatal, error, warn, info, debug, trace or silent' }),
  authHeader: z.string().min(1).optional().meta({
    env: 'AUTH_HEADER',
    description: 'When set, notification requests must send this Authorization header',
  }),
  faults: z
    .object({
      failureRate: z.coerce.number().min(0).max(1).default(0).meta({
        env: 'FAULT_FAILURE_RATE',
        description: 'Chance (0..1) that a notification fails',
      }),
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
        .default([])
        .meta({
          env: 'FAULT_FAILING_ORDER_IDS',
          description: 'Order ids that always fail, comma-separated',
        }),
      failFirstAttempts: int(0).default(0).meta({
        env: 'FAULT_FAIL_FIRST_ATTEMPTS',
        description: "Each order's first N requests fail",
      }),
      failStatus: int(400)
        .max(599)
        .default(500)
        .meta({ env: 'FAULT_FAIL_STATUS', description: 'HTTP status of an injected failure' }),
      retryAfterSeconds: int(0).optional().meta({
        env: 'FAULT_RETRY_AFTER_SECONDS',
        description: 'Retry-After sent with injected failures',
      }),
      latencyMs: int(0)
        .default(0)
        .meta({ env: 'FAULT_LATENCY_MS', description: 'Added to every notification request' }),
      jitterMs: int(0)
        .default(0)
        .meta({ env: 'FAULT_JITTER_MS', description: 'Plus a random 0..N ms' }),
      down: z
        .enum(['refuse', '503', 'false'])
        .default('false')
        .transform((value) => (value === 'refuse' || value === '503' ? value : false))
        .meta({ env: 'FAULT_DOWN', description: 'refuse (drop connections), 503, or false' }),
    })
    // What the fault controller takes (it parses with faultsSchema once more).
    .transform((faults): FaultsInput => faults),
});

export type NotifierConfig = z.output<typeof configSchema>;

export { ConfigError } from '@ocs/config';

export const configSource: AppConfigSource<typeof configSchema> = {
  app: 'notifier',
  schema: configSchema,
};

export function loadConfig(env: Record<string, string | undefined> = process.env): NotifierConfig {
  return loadAppConfig(configSource, env);
}
