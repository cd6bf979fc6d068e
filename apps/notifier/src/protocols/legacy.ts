/**
 * The original's contract: `GET /notify/:orderId`, no body, no idempotency key. Every accepted
 * call is a new notification.
 */
import type { Exchange } from '../exchange.js';
import { HttpError } from '../http.js';
import type { Route } from '../routes.js';

export function legacyRoutes(exchange: Exchange): Route[] {
  const { store } = exchange;
  return [
    {
      method: 'GET',
      path: '/notify/:orderId',
      async handle(req, res, { params: [rawId = ''] }) {
        const request = exchange.begin('GET /notify/:orderId', res);
        const orderId = /^\d+$/.test(rawId) ? Number(rawId) : Number.NaN;
        const valid = Number.isSafeInteger(orderId) && orderId > 0;
        if (valid) request.orderIds = [orderId];
        if (!(await exchange.gate(req, res))) return;
        if (!valid) {
          throw new HttpError(400, `invalid path: "orderId": expected a positive integer`);
        }
        if (exchange.shouldFail(orderId)) return exchange.injectedFailure(res);
        const { record } = store.accept({
          orderId,
          event: 'order.completed',
          occurredAt: new Date().toISOString(),
          idempotencyKey: null,
          protocol: 'legacy',
        });
        exchange.reply(res, 200, { orderId, status: 'accepted', notificationId: record.id });
      },
    },
  ];
}
