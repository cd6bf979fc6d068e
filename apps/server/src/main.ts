/**
 * Starts the server: `pnpm --filter @ocs/server start` (`node dist/main.js`). With the argument
 * `migrate`, applies the pending migrations and exits instead (0 when done, 1 when not), for
 * deployments that run migrations as a job before the replicas start
 * (`DB_MIGRATE_ON_START=false` on those).
 */
import { runMigrations, startServer } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger(config.logLevel);
const command = process.argv[2];
if (command !== undefined && command !== 'migrate') {
  console.error(`Unknown command "${command}". Use "migrate" or no argument.`);
  process.exit(1);
}
if (command === 'migrate') {
  try {
    await runMigrations(config, logger);
    process.exit(0);
  } catch (error) {
    logger.fatal({ err: error }, 'migrations failed');
    process.exit(1);
  }
}
try {
  const server = await startServer(config, logger);
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
} catch (error) {
  logger.fatal({ err: error }, 'server failed to start');
  process.exit(1);
}
