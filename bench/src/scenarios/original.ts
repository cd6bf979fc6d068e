/**
 * `original`: the original design, one SELECT, a sequential `GET /notify/{id}` per order that
 * passes, one UPDATE.
 */
import { subtractCalendarMonths } from '@ocs/domain';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { backgroundRate, readStatus, type SeededDatabase } from '../mariadb.js';
import { notifierStats, startNotifier } from '../notifier.js';
import { emptyCounts } from '../sql-proxy.js';
import {
  type BenchContext,
  countQuery,
  type LineRow,
  type OrderRow,
  offProcessResult,
  passes,
  runChecks,
  type ScenarioResult,
  stateIds,
} from './shared.js';

export async function runOriginal(
  ctx: BenchContext,
  seeded: SeededDatabase,
): Promise<ScenarioResult> {
  const n = seeded.n;
  let notifier: Awaited<ReturnType<typeof startNotifier>> | undefined;
  try {
    notifier = await startNotifier(ctx.latencyMs, ctx.compiled);
    const states = await stateIds(seeded.url);
    const connection = await createConnection({ uri: seeded.url });
    const background = await backgroundRate(ctx.mysqlUrl);
    const before = await readStatus(ctx.mysqlUrl);
    ctx.log(`original N=${n}: running (sequential GET /notify/{id} at ${ctx.latencyMs} ms)`);
    const sql = emptyCounts();
    const started = performance.now();
    try {
      const cutoff = subtractCalendarMonths(new Date(), 6);
      // One SELECT: orders joined with their lines.
      countQuery(sql, 'SELECT');
      const [rows] = await connection.query<RowDataPacket[]>(
        `SELECT o.Id, o.OrderDate, o.OrderStateId, l.OrderedQuantity, l.DeliveredQuantity
           FROM ORDERS o LEFT JOIN ORDER_LINES l ON l.OrderId = o.Id
          WHERE o.Id IN (?)`,
        [seeded.ids],
      );
      const orders = new Map<number, OrderRow>();
      const lines = new Map<number, LineRow[]>();
      for (const row of rows) {
        const id = row.Id as number;
        if (!orders.has(id)) {
          orders.set(id, { id, orderDate: row.OrderDate, stateId: row.OrderStateId });
          lines.set(id, []);
        }
        if (row.OrderedQuantity !== null) {
          lines.get(id)?.push({
            orderId: id,
            ordered: row.OrderedQuantity,
            delivered: row.DeliveredQuantity,
          });
        }
      }
      // One GET /notify/{id} after another, as the original did.
      const notified: number[] = [];
      for (const order of orders.values()) {
        if (!passes(order, lines.get(order.id), states.submitted, cutoff)) continue;
        const response = await fetch(`${notifier.url}/notify/${order.id}`);
        await response.arrayBuffer();
        if (response.status === 200) notified.push(order.id);
      }
      // One UPDATE.
      if (notified.length > 0) {
        countQuery(sql, 'UPDATE');
        await connection.query(
          'UPDATE ORDERS SET OrderStateId = ? WHERE Id IN (?) AND OrderStateId = ?',
          [states.finished, notified, states.submitted],
        );
      }
    } finally {
      await connection.end();
    }
    const seconds = (performance.now() - started) / 1000;
    const after = await readStatus(ctx.mysqlUrl);
    const requests = await notifierStats(notifier.url);
    const checks = await runChecks(seeded, notifier.url);
    return offProcessResult(
      sql,
      'original',
      'legacy',
      seeded,
      seconds,
      before,
      after,
      background,
      requests,
      checks,
    );
  } finally {
    await notifier?.app.stop();
  }
}
