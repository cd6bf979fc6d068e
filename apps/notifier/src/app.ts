/**
 * The notification service for development, tests and benchmarks: serves the legacy and v1
 * contracts, keeps what it received in memory and misbehaves on request.
 *
 * Each protocol is a module of routes under `protocols/`; a new one is a module there and one
 * line in `routes` below. What they share (request log, faults, auth) is the `Exchange`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, pino } from 'pino';
import { controlRoutes } from './control-routes.js';
import { Exchange } from './exchange.js';
import { FaultController, type FaultsInput } from './faults.js';
import { HttpError } from './http.js';
import { legacyRoutes } from './protocols/legacy.js';
import { v1Routes } from './protocols/v1.js';
import { createDispatch } from './routes.js';
import { NotificationStore } from './store.js';

export interface NotifierServerConfig {
  faults?: FaultsInput;
  /** When set, notification requests must carry exactly this `Authorization` header. */
  authHeader?: string;
  logger?: Logger;
  /** Source of randomness for failure rate and jitter (tests may pin it). */
  random?: () => number;
}

export interface NotifierAddress {
  host: string;
  port: number;
  url: string;
}

export interface NotifierServer {
  listen(port?: number, host?: string): Promise<NotifierAddress>;
  close(): Promise<void>;
  readonly store: NotificationStore;
  readonly faults: FaultController;
  /** Base URL once listening. */
  readonly url: string;
}

export function createNotifierServer(config: NotifierServerConfig = {}): NotifierServer {
  const logger = config.logger ?? pino({ level: 'info' });
  const store = new NotificationStore();
  const faults = new FaultController(config.faults, config.random);
  const exchange = new Exchange(store, faults, config.authHeader);
  let url = '';

  const route = createDispatch(
    [...legacyRoutes(exchange), ...v1Routes(exchange), ...controlRoutes(exchange, logger)],
    (name) => store.countRoute(name),
  );

  const server = createServer((req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.once('close', () => {
      logger.debug(
        {
          method: req.method,
          path: url.pathname,
          status: res.headersSent ? res.statusCode : null,
          ms: Math.round(performance.now() - started),
        },
        'request',
      );
    });
    route(req, res, url).catch((error: unknown) => {
      if (error instanceof HttpError)
        return exchange.reply(res, error.status, { error: error.message });
      logger.error({ err: error }, 'request failed');
      exchange.reply(res, 500, { error: 'internal error' });
    });
  });

  return {
    store,
    faults,
    get url() {
      return url;
    },
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          url = `http://${urlHost}:${address.port}`;
          logger.info({ url, faults: faults.get() }, 'notifier listening');
          resolve({ host: address.address, port: address.port, url });
        });
      });
    },
    close() {
      return new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
