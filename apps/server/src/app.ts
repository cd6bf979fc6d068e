/** The composition root: config → database → notifier → requirements → use case → HTTP. */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  isTransientDatabaseError,
  type OcsDatabase,
  openDatabase,
  splitMySqlNodes,
} from '@ocs/db/client';
import { CompleteOrders, pendingHints, systemClock } from '@ocs/domain';
import { createOrderNotifier, protocols } from '@ocs/notifier-client';
import { defaultRequirements } from '@ocs/requirements';
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { TokenAuthenticator } from './auth.js';
import { CompletionService } from './completion-service.js';
import { type Config, leaseTerms, notifierConcurrency } from './config.js';
import { DatabaseProbe } from './database-probe.js';
import { createHttpServer } from './http-server.js';
import { ServerMetrics } from './metrics.js';

/** Where `pnpm build` of the admin app puts its files, from src/ or dist/ alike. */
const defaultStaticDir = fileURLToPath(new URL('../../admin/dist', import.meta.url));

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** The database of `config`, logging when a node of a cluster stops or starts being used. */
export function openConfiguredDatabase(config: Config, logger: Logger): OcsDatabase {
  return openDatabase({
    url: config.database.url,
    chunkSize: config.database.chunkSize,
    queryTimeoutMs: config.database.queryTimeoutMs,
    connectTimeoutMs: config.database.connectTimeoutMs,
    keepAliveInitialDelayMs: config.database.keepAliveInitialDelayMs,
    restoreNodeAfterMs: config.database.restoreNodeAfterMs,
    wsrepSyncWait: config.database.wsrepSyncWait,
    onNodeChange: (node, up, error) => {
      if (up) logger.info({ node }, `database node ${node} answers again: back in use`);
      else {
        const message = error instanceof Error ? error.message : String(error);
        logger.warn({ node, error: message }, `database node ${node} failed: moving to the next`);
      }
    },
  });
}

/** `node dist/main.js migrate`: applies the pending migrations (one migrator at a time). */
export async function runMigrations(config: Config, logger: Logger): Promise<void> {
  const db = openConfiguredDatabase(config, logger);
  try {
    logger.info({ database: db.redactedUrl, dialect: db.dialect }, 'applying migrations');
    await db.migrate();
    logger.info('migrations applied');
  } finally {
    await db.close();
  }
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const db = openConfiguredDatabase(config, logger);
  logger.info(
    {
      database: db.redactedUrl,
      dialect: db.dialect,
      queryTimeoutMs: db.dialect === 'mysql' ? config.database.queryTimeoutMs : undefined,
    },
    'database opened',
  );
  let notifier: ReturnType<typeof createOrderNotifier>;
  try {
    if (config.database.migrateOnStart) {
      await db.migrate();
      logger.info('migrations applied');
    }
    const seedDemo = config.database.seedDemoOnStart ?? db.dialect === 'sqlite';
    if (seedDemo) {
      const seeded = await db.seedDemo(systemClock.now());
      logger.info({ seeded }, 'demo orders checked');
    }
    const installationId = await db.installationId(config.installationId);
    notifier = createOrderNotifier(
      {
        ...config.notifier,
        concurrency: notifierConcurrency(config.notifier),
        keyNamespace: installationId,
      },
      { logger },
    );
    logger.info({ installationId }, 'idempotency keys namespaced by installation id');
  } catch (error) {
    await db.close();
    throw error;
  }

  const pingDatabase = () => db.ping(config.database.pingTimeoutMs);
  const probe = new DatabaseProbe({
    ping: pingDatabase,
    peer: databasePeer(config.database.url),
    intervalMs: config.database.probeIntervalMs,
    logger,
  });
  const metrics = new ServerMetrics({
    circuitState: () => notifier.circuitState,
    poolStats: () => db.poolStats(),
    databaseUp: () => probe.up,
  });
  const requirements = defaultRequirements(config.requirements);
  const completeOrders = new CompleteOrders({
    repository: db.orders,
    ledger: db.ledger,
    calls: db.calls,
    notifier: metrics.meterNotifier(notifier),
    requirements,
    // The process clock is the requirements' "now"; leases and run times use the database's.
    clock: systemClock,
    databaseClock: db.clock,
    logger,
    // UUIDv7: ordered by creation time, so runs page newest-first by id.
    newCallId: uuidv7,
    claimLeaseMs: config.completion.claimLeaseMs,
    isTransientError: isTransientDatabaseError,
    ledgerWriteRetryMs: config.completion.ledgerWriteRetryMs,
    // One window of requests in flight: with those in flight, at most twice that can be sent
    // but not recorded when the database is lost (the fault suite's bound).
    maxUnrecordedAcknowledgements:
      notifierConcurrency(config.notifier) *
      Math.min(config.notifier.batchSize, protocols[config.notifier.protocol].maxBatchSize),
    // Only where the service has no idempotency keys, and only when the operator asked to.
    holdUnconfirmed:
      !protocols[config.notifier.protocol].idempotent && config.completion.holdUnconfirmed,
  });
  const service = new CompletionService(completeOrders, logger, {
    deadlineMs: config.completion.deadlineMs,
    attemptMs: leaseTerms(config).attemptMs,
  });
  const completion = metrics.meterCompletion(service);
  const server = createHttpServer({
    authenticator: new TokenAuthenticator(config.auth.tokens),
    context: {
      completion,
      orders: db.orders,
      calls: db.calls,
      runs: db.schedulerRuns,
      leases: db.leases,
      ledgerQueries: db.ledgerQueries,
      requirements,
      claimLeaseMs: config.completion.claimLeaseMs,
      databaseClock: db.clock,
      pendingHints: (now) => pendingHints(requirements, { now }),
      pingDatabase,
    },
    databaseNodes: () => db.nodeHealth(config.database.pingTimeoutMs),
    logger,
    maxIdsPerCall: config.limits.maxIdsPerCall,
    bodyLimitBytes: config.limits.bodyLimitBytes,
    maxBatchSize: config.limits.maxBatchSize,
    corsOrigins: config.http.corsOrigins,
    staticDir: config.http.staticDir ?? defaultStaticDir,
    metrics,
    isShuttingDown: () => !service.accepting,
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const serverUrl = `http://${host}:${address.port}`;
  logger.info(
    {
      url: serverUrl,
      notifier: config.notifier.baseUrl,
      protocol: config.notifier.protocol,
      completionDeadlineMs: config.completion.deadlineMs,
    },
    'server listening',
  );
  probe.start();

  return {
    url: serverUrl,
    async close() {
      // No new connections, no new calls (keep-alive clients get 503 and `Connection: close`),
      // then the calls in flight finish or give their claims back, then the pool closes.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await service.drain(config.shutdownGraceMs);
      // Answers of the last calls are still being written: their connections close by
      // themselves (Connection: close); whatever is left after a few seconds is cut.
      const lastAnswers = setTimeout(() => server.closeAllConnections(), 5000);
      await closed;
      clearTimeout(lastAnswers);
      await probe.stop();
      await notifier.close();
      await db.close();
    },
  };
}

/**
 * host:port/name of a MySQL URL (no user, no password; `h1:3306,h2:3306/name` for a
 * cluster), or the embedded file's path.
 */
export function databasePeer(url: string): string {
  if (!url.startsWith('mysql://')) return url.replace(/^file:/, '');
  const nodes = splitMySqlNodes(url);
  const name = new URL(nodes[0]?.url ?? url).pathname;
  return `${nodes.map((node) => node.name).join(',')}${name}`;
}
