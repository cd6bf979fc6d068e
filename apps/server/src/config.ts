/**
 * The only place that reads `process.env`. Settings come from environment variables and an
 * optional JSON settings file (the original's appsettings.json); the environment wins.
 * A bad value stops start-up with one message naming the key.
 */
import { roles } from '@ocs/api';
import { type AppConfigSource, loadConfig as loadAppConfig } from '@ocs/config';
import { buildMySqlConnectionString, InvalidConnectionPartError } from '@ocs/db/connection-string';
import { notifierClientOptionsSchema, type Protocol, protocols } from '@ocs/notifier-client';
import { z } from 'zod';

const bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
]);
const int = (min: number) => z.coerce.number().int().min(min);

const roleSchema = z.enum(roles);

export type { Role } from '@ocs/api';

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
    /**
     * MySQL: the longest one statement may take, the wait for a pooled connection included;
     * also the server's statement limit (MariaDB `max_statement_time`).
     */
    queryTimeoutMs: int(100).default(10_000),
    /** MySQL: the longest opening a connection (TCP and handshake) may take. */
    connectTimeoutMs: int(100).default(5_000),
    /** MySQL: idle time before TCP keep-alive probes start on a pooled connection. */
    keepAliveInitialDelayMs: int(1000).default(5_000),
    /** `/readyz` and the health procedure: how long the database ping may take. */
    pingTimeoutMs: int(50).default(800),
    /** How often the background probe pings the database (`ocs_database_up`, log lines). */
    probeIntervalMs: int(100).default(1_000),
    /** Several hosts: how long a node that failed is left alone before it is pinged again. */
    restoreNodeAfterMs: int(100).default(2_000),
    /** MariaDB Galera: `wsrep_sync_wait` of every connection (1 = causal reads; 0 = off). */
    wsrepSyncWait: int(0).max(15).default(1),
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
// Its concurrency and batch defaults are raised for the server's calls of a thousand orders:
// at 20 ms of notifier latency, 8 x 50 left calls waiting on round trips (see the README's
// benchmark figures). Unset, concurrency depends on the protocol (`notifierConcurrency`).
const notifierSchema = notifierClientOptionsSchema.omit({ keyNamespace: true }).extend({
  baseUrl: notifierClientOptionsSchema.shape.baseUrl.default('http://127.0.0.1:5002'),
  concurrency: notifierClientOptionsSchema.shape.concurrency.unwrap().optional(),
  batchSize: notifierClientOptionsSchema.shape.batchSize.unwrap().default(100),
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
       * How long a call sends notifications; then it stops, finishes what was acknowledged
       * and answers the rest as retryable. Unset: half of the claim lease.
       */
      deadlineMs: int(100).optional(),
      /**
       * How long a call keeps retrying the ledger writes of notifications it already sent
       * while the database is unreachable (giving up means sending them again later).
       */
      ledgerWriteRetryMs: int(0).default(60_000),
      /**
       * legacy: hold an order whose notification got no answer (it may have been delivered)
       * for an operator, instead of sending it again once its claim's lease ends.
       */
      holdUnconfirmed: bool.default(false),
    }),
    requirements: z.object({ minimumAgeMonths: int(0).default(6) }),
    limits: z.object({
      maxIdsPerCall: int(1).default(10000),
      bodyLimitBytes: int(1024).default(1024 * 1024),
      maxBatchSize: int(1).max(100).default(10),
    }),
    auth: z.object({ tokens: tokensSchema }),
    http: z.object({
      /** Exact origins (`https://admin.example`) allowed to call from a browser; none = no CORS. */
      corsOrigins: z
        .union([
          z.array(z.string()),
          z.string().transform((value) =>
            value
              .split(',')
              .map((origin) => origin.trim())
              .filter(Boolean),
          ),
        ])
        .pipe(z.array(z.url({ protocol: /^https?$/ }).transform((url) => new URL(url).origin)))
        .default([]),
      /** The admin app's built files; defaults to apps/admin/dist when that exists. */
      staticDir: z.string().optional(),
    }),
  })
  .transform((config) => ({
    ...config,
    completion: {
      ...config.completion,
      deadlineMs: config.completion.deadlineMs ?? defaultDeadlineMs(config),
    },
  }))
  .superRefine((config, ctx) => {
    // A lease that ends while its call is still notifying, or before its acknowledgements are
    // recorded, lets another call send again.
    const { completion } = config;
    const terms = leaseTerms(config);
    if (completion.claimLeaseMs < terms.floor) {
      ctx.addIssue({
        code: 'custom',
        path: ['completion', 'claimLeaseMs'],
        message: `must be at least ${terms.floor} ms: COMPLETION_DEADLINE_MS (${completion.deadlineMs}) + the notification attempt in flight at the deadline (${terms.attemptMs}) + LEDGER_WRITE_RETRY_MS (${completion.ledgerWriteRetryMs}) + 2 x DB_QUERY_TIMEOUT_MS (${2 * config.database.queryTimeoutMs}) = ${terms.afterDeadline} ms; also twice one order's worst notification time (maxAttempts x (timeout + maxDelay) = ${terms.worstOrderMs} ms), more than SHUTDOWN_GRACE_MS and twice LEDGER_WRITE_RETRY_MS`,
      });
    }
  });

/**
 * The claim lease's floor, every term named (README "Deadlines"). After the call's deadline
 * no notification attempt starts (the notifier asks the call before each attempt), but those
 * in flight run to their end so their answers can be recorded: count one attempt's timeout. Then the acknowledgements are written, retried
 * for LEDGER_WRITE_RETRY_MS while the database is unreachable, the last try bounded by one
 * query deadline; one more query deadline covers the statement in flight when the deadline
 * passed (the claim itself, or an acknowledgement batch).
 */
export interface LeaseSettings {
  shutdownGraceMs: number;
  notifier: {
    protocol: Protocol;
    legacyTimeoutMs: number;
    attemptTimeoutMs: number;
    maxAttempts: number;
    maxDelayMs: number;
  };
  completion: { claimLeaseMs: number; deadlineMs: number; ledgerWriteRetryMs: number };
  database: { queryTimeoutMs: number };
}

export function leaseTerms(config: LeaseSettings) {
  const { notifier, completion } = config;
  const attemptMs = protocols[notifier.protocol].attemptTimeoutMs(notifier);
  const worstOrderMs = notifier.maxAttempts * (attemptMs + notifier.maxDelayMs);
  const afterDeadline =
    completion.deadlineMs +
    attemptMs +
    completion.ledgerWriteRetryMs +
    2 * config.database.queryTimeoutMs;
  const floor = Math.max(
    afterDeadline,
    2 * worstOrderMs,
    config.shutdownGraceMs + 1000,
    2 * completion.ledgerWriteRetryMs,
  );
  return { attemptMs, worstOrderMs, afterDeadline, floor };
}
export type Config = z.infer<typeof configSchema>;

/**
 * COMPLETION_DEADLINE_MS when unset: half the claim lease, or less where the lease must also
 * hold what follows the deadline (so a lease that passes the check keeps passing). When even
 * that leaves nothing, half the lease, and the check names the terms.
 */
function defaultDeadlineMs(
  config: Omit<LeaseSettings, 'completion'> & {
    completion: Omit<LeaseSettings['completion'], 'deadlineMs'>;
  },
): number {
  const half = Math.floor(config.completion.claimLeaseMs / 2);
  const { afterDeadline } = leaseTerms({
    ...config,
    completion: { ...config.completion, deadlineMs: 0 },
  });
  const room = config.completion.claimLeaseMs - afterDeadline;
  return room >= 100 ? Math.min(half, room) : half;
}

/** Requests in flight at once: NOTIFIER_CONCURRENCY, or the protocol's default. */
export function notifierConcurrency(notifier: Config['notifier']): number {
  return notifier.concurrency ?? protocols[notifier.protocol].defaultConcurrency;
}

export { ConfigError } from '@ocs/config';

type Env = Record<string, string | undefined>;

/** Environment variable → path in the config; the table in the README lists the same. */
export const envKeys = {
  HOST: 'host',
  PORT: 'port',
  LOG_LEVEL: 'logLevel',
  INSTALLATION_ID: 'installationId',
  SHUTDOWN_GRACE_MS: 'shutdownGraceMs',
  CLAIM_LEASE_MS: 'completion.claimLeaseMs',
  COMPLETION_DEADLINE_MS: 'completion.deadlineMs',
  LEDGER_WRITE_RETRY_MS: 'completion.ledgerWriteRetryMs',
  HOLD_UNCONFIRMED: 'completion.holdUnconfirmed',
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
  DB_QUERY_TIMEOUT_MS: 'database.queryTimeoutMs',
  DB_CONNECT_TIMEOUT_MS: 'database.connectTimeoutMs',
  DB_KEEPALIVE_DELAY_MS: 'database.keepAliveInitialDelayMs',
  DB_PING_TIMEOUT_MS: 'database.pingTimeoutMs',
  DB_PROBE_INTERVAL_MS: 'database.probeIntervalMs',
  DB_RESTORE_NODE_AFTER_MS: 'database.restoreNodeAfterMs',
  DB_WSREP_SYNC_WAIT: 'database.wsrepSyncWait',
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
  MAX_BATCH_SIZE: 'limits.maxBatchSize',
  AUTH_TOKENS: 'auth.tokens',
  CORS_ORIGINS: 'http.corsOrigins',
  STATIC_DIR: 'http.staticDir',
} as const;

/** What each variable is for: `.env.example` and the README table are generated from this. */
export const envDescriptions: Record<keyof typeof envKeys, string> = {
  HOST: 'Interface to listen on',
  PORT: 'Port to listen on (0 = any free port)',
  LOG_LEVEL: 'fatal, error, warn, info, debug, trace or silent',
  INSTALLATION_ID:
    'Namespace of the idempotency keys; unset = one generated at first start and kept in the database',
  SHUTDOWN_GRACE_MS:
    'How long SIGTERM lets calls in flight finish before it stops their notifications',
  CLAIM_LEASE_MS:
    "How long a call's claims keep other calls away (at least COMPLETION_DEADLINE_MS + one notification attempt + LEDGER_WRITE_RETRY_MS + 2 x DB_QUERY_TIMEOUT_MS, and twice one order's worst notification time)",
  COMPLETION_DEADLINE_MS:
    'How long a call sends notifications before it stops and answers the rest as retryable (default: half of CLAIM_LEASE_MS, less if the lease needs it)',
  LEDGER_WRITE_RETRY_MS:
    'How long ledger writes of sent notifications are retried while the database is unreachable',
  HOLD_UNCONFIRMED:
    'legacy: hold an unanswered (maybe delivered) notification for an operator instead of resending it after the lease',
  DATABASE_URL:
    'mysql://user:password@host:3306/db (a cluster: host1:3306,host2:3306,...) or file:path.db; unset = the embedded database',
  DB_HOST:
    'MySQL host, or hosts of a cluster in the order to use them (h1,h2:3307); instead of DATABASE_URL: host, user and name are then required',
  DB_PORT: 'MySQL port of the hosts given without one (default 3306)',
  DB_USER: 'MySQL user (URL-encoded for you)',
  DB_PASSWORD: 'MySQL password (URL-encoded for you)',
  DB_NAME: 'MySQL database name',
  DB_TLS: 'Connect to MySQL over TLS',
  EMBEDDED_DB_FILE: 'The embedded database file when no MySQL is configured',
  DB_MIGRATE_ON_START: 'Apply pending migrations at start-up',
  DB_SEED_DEMO_ON_START:
    'Load the five demo orders into an empty database (default: embedded only)',
  DB_CHUNK_SIZE: 'Ids per SQL statement (at most 20000)',
  DB_QUERY_TIMEOUT_MS:
    'MySQL: deadline of one statement, waiting for a connection included; also the server limit (MariaDB max_statement_time)',
  DB_CONNECT_TIMEOUT_MS: 'MySQL: deadline for opening a connection',
  DB_KEEPALIVE_DELAY_MS: 'MySQL: idle time before TCP keep-alive probes start on a connection',
  DB_PING_TIMEOUT_MS: 'Deadline of the database ping behind /readyz and the health procedure',
  DB_PROBE_INTERVAL_MS:
    'How often the background probe pings the database (ocs_database_up, outage log lines)',
  DB_RESTORE_NODE_AFTER_MS:
    'Several hosts: how long a node that refused, reset, timed out or answered 1047 is left alone before it is pinged and used again',
  DB_WSREP_SYNC_WAIT:
    'MariaDB Galera: wsrep_sync_wait of every connection (1 = reads see what other nodes committed; 0 = off)',
  NOTIFIER_BASE_URL: 'The notification service',
  NOTIFIER_PROTOCOL: 'v1 (JSON, batches, idempotency keys) or legacy (GET /notify/{id})',
  NOTIFIER_MAX_ATTEMPTS: 'Attempts per notification, the first included',
  NOTIFIER_INITIAL_DELAY_MS: 'First retry delay (exponential backoff with jitter)',
  NOTIFIER_MAX_DELAY_MS: 'Longest retry delay',
  NOTIFIER_ATTEMPT_TIMEOUT_MS: 'Timeout of one attempt',
  NOTIFIER_BREAKER_THRESHOLD: 'Consecutive failures that open the circuit breaker',
  NOTIFIER_HALF_OPEN_AFTER_MS: 'How long the breaker stays open before a trial call',
  NOTIFIER_CONCURRENCY:
    'Notification requests in flight at once; unset: 16 (v1, 100 orders each), 32 (legacy, one order each)',
  NOTIFIER_BATCH_SIZE: 'Orders per v1 batch request (at most 500)',
  NOTIFIER_MAX_RETRY_AFTER_MS: 'A longer Retry-After fails the order at once',
  NOTIFIER_AUTH_HEADER: 'Authorization header sent to the notification service',
  NOTIFIER_RETRY_UNCONFIRMED:
    'legacy: retry a GET that may have been delivered (else it is held for an operator)',
  NOTIFIER_LEGACY_TIMEOUT_MS: 'legacy: how long a GET waits for its answer',
  MINIMUM_AGE_MONTHS: 'Calendar months an order must be old to complete',
  MAX_IDS_PER_CALL: 'Most ids one completion call may carry',
  BODY_LIMIT_BYTES: 'Largest request body; larger ones get 413 before they are read',
  MAX_BATCH_SIZE: 'Most procedures in one batched tRPC request (at most 100)',
  AUTH_TOKENS: 'Required: token:role,... (roles scheduler, admin; tokens of 16+ characters)',
  CORS_ORIGINS: 'Origins allowed to call from a browser, comma-separated; empty = no CORS',
  STATIC_DIR: "The admin app's built files (default apps/admin/dist when it exists)",
};

export const configSource: AppConfigSource<typeof configSchema> = {
  app: 'server',
  schema: configSchema,
  envKeys,
  descriptions: envDescriptions,
  settingsFile: true,
};

export function loadConfig(env: Env = process.env): Config {
  return loadAppConfig(configSource, env);
}
