/**
 * The routes that are no protocol: what the notifier received (notifications, the request
 * log, counts), the faults it injects, and its health. For tests, benchmarks and operators.
 */
import { notifierPaths } from '@ocs/notifier-client/contract';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Exchange } from './exchange.js';
import { faultsSchema } from './faults.js';
import { parseWith, readJson, sendNoContent } from './http.js';
import type { Route } from './routes.js';

const orderIdQuerySchema = z.object({
  orderId: z.coerce.number().int().positive().optional(),
});

const orderIdOf = (url: URL) =>
  parseWith(orderIdQuerySchema, Object.fromEntries(url.searchParams), 'query').orderId;

export function controlRoutes(exchange: Exchange, logger: Logger): Route[] {
  const { store, faults } = exchange;
  return [
    {
      method: 'GET',
      path: notifierPaths.notifications,
      handle: (_req, res, { url }) =>
        exchange.reply(res, 200, { notifications: store.list(orderIdOf(url)) }),
    },
    {
      method: 'DELETE',
      path: notifierPaths.notifications,
      handle(_req, res) {
        store.clear();
        sendNoContent(res);
      },
    },
    {
      method: 'GET',
      path: '/control/requests',
      handle: (_req, res, { url }) =>
        exchange.reply(res, 200, { requests: store.requests(orderIdOf(url)) }),
    },
    {
      method: 'GET',
      path: '/control/order-tally',
      handle: (_req, res) => exchange.reply(res, 200, store.orderTally()),
    },
    {
      method: 'GET',
      path: '/control/faults',
      handle: (_req, res) => exchange.reply(res, 200, faults.get()),
    },
    {
      method: 'PUT',
      path: '/control/faults',
      async handle(req, res) {
        const next = faults.set(parseWith(faultsSchema, await readJson(req), 'faults'));
        logger.info({ faults: next }, 'faults changed');
        exchange.reply(res, 200, next);
      },
    },
    {
      method: 'GET',
      path: '/stats',
      handle: (_req, res) => exchange.reply(res, 200, store.stats()),
    },
    {
      method: 'GET',
      path: '/health',
      handle: (_req, res) => exchange.reply(res, 200, { status: 'ok' }),
    },
  ];
}
