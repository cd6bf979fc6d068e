/**
 * The only place that reads `process.env`. Settings come from environment variables and an
 * optional JSON settings file (the original's appsettings.json); the environment wins.
 * A bad value stops start-up with one message naming the key.
 */
import { roles } from '@ocs/api';
import {
  type AppConfigSource,
  bool,
  int,
  loadConfig as loadAppConfig,
  logLevel,
} from '@ocs/config';
import { buildMySqlConnectionString, InvalidConnectionPartError } from '@ocs/db/connection-string';
import {
  notifierClientOptionsSchema,
  type Protocol,
  protocolNames,
  protocols,
} from '@ocs/notifier-client';
import { z } from 'zod';

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
    url: z.string().optional().meta({
      env: 'DATABASE_URL',
      description:
        'mysql://user:password@host:3306/db (a cluster: host1:3306,host2:3306,...) or file:path.db; unset = the embedded database',
    }),
    host: z.string().optional().meta({
      env: 'DB_HOST',
      description:
        'MySQL host, or hosts of a cluster in the order to use them (h1,h2:3307); instead of DATABASE_URL: host, user and name are then required',
    }),
    port: int(1).max(65535).optional().meta({
      env: 'DB_PORT',
      description: 'MySQL port of the hosts given without one (default 3306)',
    }),
    user: z
      .string()
      .optional()
      .meta({ env: 'DB_USER', description: 'MySQL user (URL-encoded for you)' }),
    password: z
      .string()
      .optional()
      .meta({ env: 'DB_PASSWORD', description: 'MySQL password (URL-encoded for you)' }),
    name: z.string().optional().meta({ env: 'DB_NAME', description: 'MySQL database name' }),
    tls: bool.default(false).meta({ env: 'DB_TLS', description: 'Connect to MySQL over TLS' }),
    embeddedFile: z.string().default('.data/orders.db').meta({
      env: 'EMBEDDED_DB_FILE',
      description: 'The embedded database file when no MySQL is configured',
    }),
    migrateOnStart: bool
      .default(true)
      .meta({ env: 'DB_MIGRATE_ON_START', description: 'Apply pending migrations at start-up' }),
    /** Defaults to true for the embedded database, false for MySQL. */
    seedDemoOnStart: bool.optional().meta({
      env: 'DB_SEED_DEMO_ON_START',
      description: 'Load the five demo orders into an empty database (default: embedded only)',
    }),
    chunkSize: int(1)
      .max(20000)
      .default(5000)
      .meta({ env: 'DB_CHUNK_SIZE', description: 'Ids per SQL statement (at most 20000)' }),
    // The wait for a pooled connection counts: a pool that is exhausted is as slow as a query.
    queryTimeoutMs: int(100).default(10_000).meta({
      env: 'DB_QUERY_TIMEOUT_MS',
      description:
        'MySQL: deadline of one statement, waiting for a connection included; also the server limit (MariaDB max_statement_time)',
    }),
    connectTimeoutMs: int(100).default(5_000).meta({
      env: 'DB_CONNECT_TIMEOUT_MS',
      description: 'MySQL: deadline for opening a connection',
    }),
    keepAliveInitialDelayMs: int(1000).default(5_000).meta({
      env: 'DB_KEEPALIVE_DELAY_MS',
      description: 'MySQL: idle time before TCP keep-alive probes start on a connection',
    }),
    pingTimeoutMs: int(50).default(800).meta({
      env: 'DB_PING_TIMEOUT_MS',
      description: 'Deadline of the database ping behind /readyz and the health procedure',
    }),
    probeIntervalMs: int(100).default(1_000).meta({
      env: 'DB_PROBE_INTERVAL_MS',
      description:
        'How often the background probe pings the database (ocs_database_up, outage log lines)',
    }),
    restoreNodeAfterMs: int(100).default(2_000).meta({
      env: 'DB_RESTORE_NODE_AFTER_MS',
      description:
        'Several hosts: how long a node that refused, reset, timed out or answered 1047 is left alone before it is pinged and used again',
    }),
    wsrepSyncWait: int(0).max(15).default(1).meta({
      env: 'DB_WSREP_SYNC_WAIT',
      description:
        'MariaDB Galera: wsrep_sync_wait of every connection (1 = reads see what other nodes committed; 0 = off)',
    }),
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
// at 20 ms of notifier latency, 8 x 50 left calls waiting on round trips (docs/benchmarks.md).
// Unset, concurrency depends on the protocol (`notifierConcurrency`).
const notifierOption = notifierClientOptionsSchema.shape;
const notifierSchema = notifierClientOptionsSchema.omit({ keyNamespace: true }).extend({
  baseUrl: notifierOption.baseUrl
    .default('http://127.0.0.1:5002')
    .meta({ env: 'NOTIFIER_BASE_URL', description: 'The notification service' }),
  protocol: notifierOption.protocol.meta({
    env: 'NOTIFIER_PROTOCOL',
    description: protocolNames.map((name) => `${name} (${protocols[name].summary})`).join(' or '),
  }),
  maxAttempts: notifierOption.maxAttempts.meta({
    env: 'NOTIFIER_MAX_ATTEMPTS',
    description: 'Attempts per notification, the first included',
  }),
  initialDelayMs: notifierOption.initialDelayMs.meta({
    env: 'NOTIFIER_INITIAL_DELAY_MS',
    description: 'First retry delay (exponential backoff with jitter)',
  }),
  maxDelayMs: notifierOption.maxDelayMs.meta({
    env: 'NOTIFIER_MAX_DELAY_MS',
    description: 'Longest retry delay',
  }),
  attemptTimeoutMs: notifierOption.attemptTimeoutMs.meta({
    env: 'NOTIFIER_ATTEMPT_TIMEOUT_MS',
    description: 'Timeout of one attempt',
  }),
  legacyTimeoutMs: notifierOption.legacyTimeoutMs.meta({
    env: 'NOTIFIER_LEGACY_TIMEOUT_MS',
    description: 'legacy: how long a GET waits for its answer',
  }),
  retryUnconfirmed: notifierOption.retryUnconfirmed.meta({
    env: 'NOTIFIER_RETRY_UNCONFIRMED',
    description:
      'legacy: retry a GET that may have been delivered (else it is held for an operator)',
  }),
  breakerThreshold: notifierOption.breakerThreshold.meta({
    env: 'NOTIFIER_BREAKER_THRESHOLD',
    description: 'Consecutive failures that open the circuit breaker',
  }),
  halfOpenAfterMs: notifierOption.halfOpenAfterMs.meta({
    env: 'NOTIFIER_HALF_OPEN_AFTER_MS',
    description: 'How long the breaker stays open before a trial call',
  }),
  concurrency: notifierOption.concurrency
    .unwrap()
    .optional()
    .meta({
      env: 'NOTIFIER_CONCURRENCY',
      description: `Notification requests in flight at once; unset: ${protocolNames.map((name) => `${protocols[name].defaultConcurrency} (${name})`).join(', ')}`,
    }),
  batchSize: notifierOption.batchSize.unwrap().default(200).meta({
    env: 'NOTIFIER_BATCH_SIZE',
    description: 'Orders per v1 batch request (at most 500)',
  }),
  maxRetryAfterMs: notifierOption.maxRetryAfterMs.meta({
    env: 'NOTIFIER_MAX_RETRY_AFTER_MS',
    description: 'A longer Retry-After fails the order at once',
  }),
  authHeader: notifierOption.authHeader.meta({
    env: 'NOTIFIER_AUTH_HEADER',
    description: 'Authorization header sent to the notification service',
  }),
});

/**
 * Every variable the server reads, each declared once: its env name, description and default
 * sit on its schema entry (`.meta`), from which the loader, `.env.example` and
 * docs/configuration.md are made. A settings file uses the same paths.
 */
export const configSchema = z
  .object({
    host: z
      .string()
      .default('127.0.0.1')
      .meta({ env: 'HOST', description: 'Interface to listen on' }),
    port: int(0)
      .max(65535)
      .default(5000)
      .meta({ env: 'PORT', description: 'Port to listen on (0 = any free port)' }),
    logLevel: logLevel
      .default('info')
      .meta({ env: 'LOG_LEVEL', description: 'fatal, error, warn, info, debug, trace or silent' }),
    // Two installations sharing one notification service must differ.
    installationId: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'use 1-64 letters, digits, dots, dashes or underscores')
      .optional()
      .meta({
        env: 'INSTALLATION_ID',
        description:
          'Namespace of the idempotency keys; unset = one generated at first start and kept in the database',
      }),
    shutdownGraceMs: int(0).default(20_000).meta({
      env: 'SHUTDOWN_GRACE_MS',
      description:
        'How long SIGTERM lets calls in flight finish before it stops their notifications',
    }),
    database: databaseSchema,
    notifier: notifierSchema,
    completion: z.object({
      claimLeaseMs: int(1000).default(600_000).meta({
        env: 'CLAIM_LEASE_MS',
        description:
          "How long a call's claims keep other calls away (at least COMPLETION_DEADLINE_MS + one notification attempt + LEDGER_WRITE_RETRY_MS + 2 x DB_QUERY_TIMEOUT_MS, and twice one order's worst notification time)",
      }),
      // Then it finishes what was acknowledged. Unset: see defaultDeadlineMs.
      deadlineMs: int(100).optional().meta({
        env: 'COMPLETION_DEADLINE_MS',
        description:
          'How long a call sends notifications before it stops and answers the rest as retryable (default: half of CLAIM_LEASE_MS, less if the lease needs it)',
      }),
      // Giving up means sending those notifications again later.
      ledgerWriteRetryMs: int(0).default(60_000).meta({
        env: 'LEDGER_WRITE_RETRY_MS',
        description:
          'How long ledger writes of sent notifications are retried while the database is unreachable',
      }),
      holdUnconfirmed: bool.default(false).meta({
        env: 'HOLD_UNCONFIRMED',
        description:
          'legacy: hold an unanswered (maybe delivered) notification for an operator instead of resending it after the lease',
      }),
    }),
    requirements: z.object({
      minimumAgeMonths: int(0).default(6).meta({
        env: 'MINIMUM_AGE_MONTHS',
        description: 'Calendar months an order must be old to complete',
      }),
    }),
    limits: z.object({
      maxIdsPerCall: int(1)
        .default(10000)
        .meta({ env: 'MAX_IDS_PER_CALL', description: 'Most ids one completion call may carry' }),
      bodyLimitBytes: int(1024)
        .default(1024 * 1024)
        .meta({
          env: 'BODY_LIMIT_BYTES',
          description: 'Largest request body; larger ones get 413 before they are read',
        }),
      maxBatchSize: int(1).max(100).default(10).meta({
        env: 'MAX_BATCH_SIZE',
        description: 'Most procedures in one batched tRPC request (at most 100)',
      }),
    }),
    auth: z.object({
      tokens: tokensSchema.meta({
        env: 'AUTH_TOKENS',
        description: 'Required: token:role,... (roles scheduler, admin; tokens of 16+ characters)',
      }),
    }),
    http: z.object({
      // Exact origins (`https://admin.example`); a path or a trailing slash is cut off.
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
        .default([])
        .meta({
          env: 'CORS_ORIGINS',
          description: 'Origins allowed to call from a browser, comma-separated; empty = no CORS',
        }),
      staticDir: z.string().optional().meta({
        env: 'STATIC_DIR',
        description: "The admin app's built files (default apps/admin/dist when it exists)",
      }),
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
 * The claim lease's floor, every term named (docs/operations.md, "Deadlines"). After the call's deadline
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

export const configSource: AppConfigSource<typeof configSchema> = {
  app: 'server',
  schema: configSchema,
  settingsFile: true,
};

export function loadConfig(env: Env = process.env): Config {
  return loadAppConfig(configSource, env);
}
