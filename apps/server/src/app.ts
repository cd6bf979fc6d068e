/** The composition root: config → database → notifier → requirements → use case → HTTP. */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '@ocs/db/client';
import { CompleteOrders, systemClock } from '@ocs/domain';
import { createOrderNotifier } from '@ocs/notifier-client';
import { defaultRequirements } from '@ocs/requirements';
import type { Logger } from 'pino';
import { TokenAuthenticator } from './auth.js';
import { CompletionService } from './completion-service.js';
import type { Config } from './config.js';
import { createHttpServer } from './http-server.js';
import { ServerMetrics } from './metrics.js';

/** Where `pnpm build` of the admin app puts its files, from src/ or dist/ alike. */
const defaultStaticDir = fileURLToPath(new URL('../../admin/dist', import.meta.url));

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const db = openDatabase({ url: config.database.url, chunkSize: config.database.chunkSize });
  logger.info({ database: db.redactedUrl, dialect: db.dialect }, 'database opened');
  let notifier: ReturnType<typeof createOrderNotifier>;
  try {
    notifier = createOrderNotifier(config.notifier, { logger });
    if (config.database.migrateOnStart) {
      await db.migrate();
      logger.info('migrations applied');
    }
    const seedDemo = config.database.seedDemoOnStart ?? db.dialect === 'sqlite';
    if (seedDemo) {
      const seeded = await db.seedDemo(systemClock.now());
      logger.info({ seeded }, 'demo orders checked');
    }
  } catch (error) {
    await db.close();
    throw error;
  }

  const metrics = new ServerMetrics({
    circuitState: () => notifier.circuitState,
    poolStats: () => db.poolStats(),
  });
  const completeOrders = new CompleteOrders({
    repository: db.orders,
    notifier: metrics.meterNotifier(notifier),
    requirements: defaultRequirements(config.requirements),
    clock: systemClock,
    logger,
  });
  const completion = metrics.meterCompletion(
    new CompletionService(completeOrders, db.runs, systemClock, logger),
  );
  let shuttingDown = false;
  const server = createHttpServer({
    authenticator: new TokenAuthenticator(config.auth.tokens),
    context: {
      completion,
      orders: db.orders,
      runs: db.runs,
      pingDatabase: () => db.ping(),
    },
    logger,
    maxIdsPerCall: config.limits.maxIdsPerCall,
    bodyLimitBytes: config.limits.bodyLimitBytes,
    maxBatchSize: config.limits.maxBatchSize,
    corsOrigins: config.http.corsOrigins,
    staticDir: config.http.staticDir ?? defaultStaticDir,
    metrics,
    isShuttingDown: () => shuttingDown,
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const serverUrl = `http://${host}:${address.port}`;
  logger.info(
    { url: serverUrl, notifier: config.notifier.baseUrl, protocol: config.notifier.protocol },
    'server listening',
  );

  return {
    url: serverUrl,
    async close() {
      shuttingDown = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await db.close();
    },
  };
}
