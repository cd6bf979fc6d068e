/**
 * The only place that reads `process.env`. Settings come from environment variables and an
 * optional JSON settings file (the original's appsettings.json); the environment wins.
 * A bad value stops start-up with one message naming the key.
 */
import { readFileSync } from 'node:fs';
import { buildMySqlConnectionString, InvalidConnectionPartError } from '@ocs/db/connection-string';
import { notifierClientOptionsSchema } from '@ocs/notifier-client';
import { z } from 'zod';

const bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
]);
const int = (min: number) => z.coerce.number().int().min(min);

const roleSchema = z.enum(['scheduler', 'admin']);
export type Role = z.infer<typeof roleSchema>;

const tokenSchema = z.object({
  token: z.string().min(16, 'a token needs at least 16 characters'),
  role: roleSchema,
});

/** `token:role,token:role` (env) or an array of `{ token, role }` (settings file). */
const tokensSchema = z.union([
  z.array(tokenSchema),
  z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean)
        .map((entry) => {
          const at = entry.lastIndexOf(':');
          return { token: entry.slice(0, at), role: entry.slice(at + 1) };
        }),
    )
    .pipe(z.array(tokenSchema)),
]);

const databaseSchema = z
  .object({
    /** `mysql://…` for MySQL/MariaDB, `file:…` for the embedded database. */
    url: z.string().optional(),
    host: z.string().optional(),
    port: int(1).max(65535).optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    name: z.string().optional(),
    tls: bool.default(false),
    embeddedFile: z.string().default('.data/orders.db'),
    migrateOnStart: bool.default(true),
    /** Defaults to true for the embedded database, false for MySQL. */
    seedDemoOnStart: bool.optional(),
    chunkSize: int(1).max(20000).default(5000),
  })
  .transform((db, ctx) => {
    const { host, port, user, password, name, tls, ...rest } = db;
    if (db.url) return { ...rest, url: db.url };
    if (
      host === undefined &&
      user === undefined &&
      name === undefined &&
      password === undefined &&
      port === undefined
    ) {
      return { ...rest, url: `file:${db.embeddedFile}` };
    }
    // Any part set means MySQL: every missing or bad part is named, not silently embedded.
    try {
      const url = buildMySqlConnectionString({
        host: host ?? '',
        port,
        user: user ?? '',
        password,
        database: name ?? '',
        tls,
      });
      return { ...rest, url };
    } catch (error) {
      if (!(error instanceof InvalidConnectionPartError)) throw error;
      const key = error.part === 'database' ? 'name' : error.part;
      ctx.addIssue({ code: 'custom', path: [key], message: error.message });
      return z.NEVER;
    }
  });

// The notifier client owns its options and their limits; the server only adds a default URL.
// The idempotency keys' namespace is the installation id, resolved at start-up.
const notifierSchema = notifierClientOptionsSchema.omit({ keyNamespace: true }).extend({
  baseUrl: notifierClientOptionsSchema.shape.baseUrl.default('http://127.0.0.1:5002'),
});

export const configSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: int(0).max(65535).default(5000),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    /**
     * Namespace of the idempotency keys. Two installations sharing one notification service
     * must differ; when unset, an id generated at the first start is kept in the database.
     */
    installationId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'use 1-64 letters, digits, dots, dashes or underscores')
      .optional(),
    /** How long SIGTERM waits for calls in flight before it stops their notifications. */
    shutdownGraceMs: int(0).default(20_000),
    database: databaseSchema,
    notifier: notifierSchema,
    completion: z.object({
      /** How long a call's claims keep other calls (and replicas) away from its orders. */
      claimLeaseMs: int(1000).default(600_000),
      /**
       * How long a call keeps retrying the ledger writes of notifications it already sent
       * while the database is unreachable (giving up means sending them again later).
       */
      ledgerWriteRetryMs: int(0).default(60_000),
    }),
    requirements: z.object({ minimumAgeMonths: int(0).default(6) }),
    limits: z.object({
      maxIdsPerCall: int(1).default(10000),
      bodyLimitBytes: int(1024).default(1024 * 1024),
    }),
    auth: z.object({ tokens: tokensSchema }),
    /** The built admin app (`apps/admin/dist`), served at `/admin/`; default: next to this app. */
    adminDistDir: z.string().min(1).optional(),
  })
  .superRefine((config, ctx) => {
    // A lease that ends while its call is still notifying lets another call send again.
    const { notifier } = config;
    const perAttempt =
      notifier.protocol === 'legacy' ? notifier.legacyTimeoutMs : notifier.attemptTimeoutMs;
    const worstOrder = notifier.maxAttempts * (perAttempt + notifier.maxDelayMs);
    const floor = Math.max(
      2 * worstOrder,
      config.shutdownGraceMs + 1000,
      2 * config.completion.ledgerWriteRetryMs,
    );
    if (config.completion.claimLeaseMs < floor) {
      ctx.addIssue({
        code: 'custom',
        path: ['completion', 'claimLeaseMs'],
        message: `must be at least ${floor} ms: twice one order's worst notification time (maxAttempts x (timeout + maxDelay) = ${worstOrder} ms), more than SHUTDOWN_GRACE_MS and twice LEDGER_WRITE_RETRY_MS`,
      });
    }
  });
export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Environment variable → path in the config; the table in the README lists the same. */
export const envKeys = {
  HOST: 'host',
  PORT: 'port',
  LOG_LEVEL: 'logLevel',
  INSTALLATION_ID: 'installationId',
  SHUTDOWN_GRACE_MS: 'shutdownGraceMs',
  CLAIM_LEASE_MS: 'completion.claimLeaseMs',
  LEDGER_WRITE_RETRY_MS: 'completion.ledgerWriteRetryMs',
  DATABASE_URL: 'database.url',
  DB_HOST: 'database.host',
  DB_PORT: 'database.port',
  DB_USER: 'database.user',
  DB_PASSWORD: 'database.password',
  DB_NAME: 'database.name',
  DB_TLS: 'database.tls',
  EMBEDDED_DB_FILE: 'database.embeddedFile',
  DB_MIGRATE_ON_START: 'database.migrateOnStart',
  DB_SEED_DEMO_ON_START: 'database.seedDemoOnStart',
  DB_CHUNK_SIZE: 'database.chunkSize',
  NOTIFIER_BASE_URL: 'notifier.baseUrl',
  NOTIFIER_PROTOCOL: 'notifier.protocol',
  NOTIFIER_MAX_ATTEMPTS: 'notifier.maxAttempts',
  NOTIFIER_INITIAL_DELAY_MS: 'notifier.initialDelayMs',
  NOTIFIER_MAX_DELAY_MS: 'notifier.maxDelayMs',
  NOTIFIER_ATTEMPT_TIMEOUT_MS: 'notifier.attemptTimeoutMs',
  NOTIFIER_BREAKER_THRESHOLD: 'notifier.breakerThreshold',
  NOTIFIER_HALF_OPEN_AFTER_MS: 'notifier.halfOpenAfterMs',
  NOTIFIER_CONCURRENCY: 'notifier.concurrency',
  NOTIFIER_BATCH_SIZE: 'notifier.batchSize',
  NOTIFIER_MAX_RETRY_AFTER_MS: 'notifier.maxRetryAfterMs',
  NOTIFIER_AUTH_HEADER: 'notifier.authHeader',
  NOTIFIER_RETRY_UNCONFIRMED: 'notifier.retryUnconfirmed',
  NOTIFIER_LEGACY_TIMEOUT_MS: 'notifier.legacyTimeoutMs',
  MINIMUM_AGE_MONTHS: 'requirements.minimumAgeMonths',
  MAX_IDS_PER_CALL: 'limits.maxIdsPerCall',
  BODY_LIMIT_BYTES: 'limits.bodyLimitBytes',
  AUTH_TOKENS: 'auth.tokens',
  ADMIN_DIST_DIR: 'adminDistDir',
} as const;

/** The notifier client's schema takes numbers and booleans: env values are converted here. */
const numeric = /^-?\d+(\.\d+)?$/;

function notifierValue(value: string): unknown {
  if (numeric.test(value)) return Number(value);
  if (value === 'true' || value === 'false') return value === 'true';
  return value;
}

function setPath(target: Record<string, unknown>, path: string, value: unknown) {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1) as string] = value;
}

function readSettingsFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read SETTINGS_FILE ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error('the top level must be an object');
    }
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`SETTINGS_FILE ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Which env var (or settings path) a config path came from, for error messages. */
function describeKey(path: string): string {
  const env = Object.entries(envKeys).find(([, p]) => p === path)?.[0];
  return env ? `${env} (${path})` : path;
}

export function loadConfig(env: Env = process.env): Config {
  const raw: Record<string, unknown> = env.SETTINGS_FILE ? readSettingsFile(env.SETTINGS_FILE) : {};
  for (const key of ['database', 'notifier', 'completion', 'requirements', 'limits', 'auth']) {
    raw[key] ??= {};
  }
  for (const [name, path] of Object.entries(envKeys)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, path, name.startsWith('NOTIFIER_') ? notifierValue(value) : value);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const path = issue.path.join('.');
      const key = describeKey(path.replace(/\.\d+(\..*)?$/, ''));
      // Never echo a value back: it may be a password or a token.
      return `${key}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}
