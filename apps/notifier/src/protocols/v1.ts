/**
 * The v1 contract (`@ocs/notifier-client/contract`): one notification per `POST`, or a batch,
 * each with an idempotency key; a key seen before answers `duplicate` and notifies nobody.
 */
import {
  type BatchNotificationResult,
  batchNotificationRequestSchema,
  IDEMPOTENCY_KEY_HEADER,
  idempotencyKeySchema,
  notificationRequestSchema,
  notifierPaths,
} from '@ocs/notifier-client/contract';
import type { Exchange } from '../exchange.js';
import { parseWith, readJson } from '../http.js';
import type { Route } from '../routes.js';

export function v1Routes(exchange: Exchange): Route[] {
  const { store, faults } = exchange;
  return [
    {
      method: 'POST',
      path: notifierPaths.notifications,
      async handle(req, res) {
        const request = exchange.begin(`POST ${notifierPaths.notifications}`, res);
        // Read before the gate, so the request log names the order even when it is refused.
        const body = await settle(async () =>
          parseWith(notificationRequestSchema, await readJson(req), 'body'),
        );
        if (body.ok) request.orderIds = [body.value.orderId];
        if (!(await exchange.gate(req, res))) return;
        if (!body.ok) throw body.error;
        const key = parseWith(
          idempotencyKeySchema,
          req.headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()],
          `${IDEMPOTENCY_KEY_HEADER} header`,
        );
        request.idempotencyKeys = [key];
        const { orderId } = body.value;
        if (exchange.shouldFail(orderId)) return exchange.injectedFailure(res);
        const { record, duplicate } = store.accept({
          ...body.value,
          idempotencyKey: key,
          protocol: 'v1',
        });
        // The key is echoed so a client can tell a duplicate of its own key from another's.
        exchange.reply(res, duplicate ? 200 : 201, {
          orderId,
          status: duplicate ? 'duplicate' : 'accepted',
          notificationId: record.id,
          idempotencyKey: record.idempotencyKey ?? key,
        });
      },
    },
    {
      method: 'POST',
      path: notifierPaths.batch,
      async handle(req, res) {
        const request = exchange.begin(`POST ${notifierPaths.batch}`, res);
        const body = await settle(async () =>
          parseWith(batchNotificationRequestSchema, await readJson(req), 'body'),
        );
        if (body.ok) {
          request.orderIds = body.value.notifications.map((entry) => entry.orderId);
          request.idempotencyKeys = body.value.notifications.map((entry) => entry.idempotencyKey);
        }
        if (!(await exchange.gate(req, res))) return;
        if (!body.ok) throw body.error;
        const { failStatus } = faults.get();
        const results = body.value.notifications.map((entry): BatchNotificationResult => {
          if (exchange.shouldFail(entry.orderId)) {
            return {
              orderId: entry.orderId,
              status: 'failed',
              idempotencyKey: entry.idempotencyKey,
              error: { status: failStatus, message: `injected failure (${failStatus})` },
            };
          }
          const { record, duplicate } = store.accept({
            orderId: entry.orderId,
            event: entry.event,
            occurredAt: entry.occurredAt,
            idempotencyKey: entry.idempotencyKey,
            protocol: 'v1',
          });
          return {
            orderId: entry.orderId,
            status: duplicate ? 'duplicate' : 'accepted',
            idempotencyKey: record.idempotencyKey ?? entry.idempotencyKey,
          };
        });
        exchange.reply(res, 200, { results });
      },
    },
  ];
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function settle<T>(fn: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}
