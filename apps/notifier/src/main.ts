/** Starts the notifier: `pnpm --filter @ocs/notifier start`. */
import { pino } from 'pino';
import pretty from 'pino-pretty';
import { createNotifierServer } from './app.js';
import { ConfigError, loadConfig } from './config.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

// JSON lines, or pretty lines when stdout is a terminal.
const options = { level: config.logLevel, name: 'notifier' };
const logger = process.stdout.isTTY ? pino(options, pretty({ colorize: true })) : pino(options);
const server = createNotifierServer({
  faults: config.faults,
  authHeader: config.authHeader,
  logger,
});
await server.listen(config.port, config.host);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    logger.info({ signal }, 'notifier stopping');
    server.close().finally(() => process.exit(0));
  });
}
