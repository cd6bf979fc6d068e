/**
 * `floor`: mysql2 only, SELECT orders and lines by IN-lists of 5,000, requirements in JS, one
 * guarded UPDATE per chunk (no notification): what the database alone costs.
 */
import { subtractCalendarMonths } from '@ocs/domain';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { backgroundRate, readStatus, type SeededDatabase } from '../mariadb.js';
import { emptyCounts } from '../sql-proxy.js';
import {
  type BenchContext,
  countQuery,
  type LineRow,
  offProcessResult,
  passes,
  runChecks,
  type ScenarioResult,
  stateIds,
} from './shared.js';

export async function runFloor(
  ctx: BenchContext,
  seeded: SeededDatabase,
  chunkSize = 5000,
): Promise<ScenarioResult> {
  const n = seeded.n;
  const states = await stateIds(seeded.url);
  const connection = await createConnection({ uri: seeded.url });
  const background = await backgroundRate(ctx.mysqlUrl);
  const before = await readStatus(ctx.mysqlUrl);
  ctx.log(`floor N=${n}: running`);
  const sql = emptyCounts();
  const started = performance.now();
  try {
    const cutoff = subtractCalendarMonths(new Date(), 6);
    for (let offset = 0; offset < seeded.ids.length; offset += chunkSize) {
      const ids = seeded.ids.slice(offset, offset + chunkSize);
      countQuery(sql, 'SELECT', 2);
      const [orderRows] = await connection.query<RowDataPacket[]>(
        'SELECT Id, OrderDate, OrderStateId FROM ORDERS WHERE Id IN (?)',
        [ids],
      );
      const [lineRows] = await connection.query<RowDataPacket[]>(
        'SELECT OrderId, OrderedQuantity, DeliveredQuantity FROM ORDER_LINES WHERE OrderId IN (?)',
        [ids],
      );
      const linesByOrder = new Map<number, LineRow[]>();
      for (const row of lineRows) {
        const line = {
          orderId: row.OrderId as number,
          ordered: row.OrderedQuantity as number,
          delivered: row.DeliveredQuantity as number | null,
        };
        const list = linesByOrder.get(line.orderId);
        if (list) list.push(line);
        else linesByOrder.set(line.orderId, [line]);
      }
      const ready: number[] = [];
      for (const row of orderRows) {
        const order = { id: row.Id, orderDate: row.OrderDate, stateId: row.OrderStateId };
        if (passes(order, linesByOrder.get(order.id), states.submitted, cutoff))
          ready.push(order.id);
      }
      if (ready.length > 0) {
        countQuery(sql, 'UPDATE');
        await connection.query(
          'UPDATE ORDERS SET OrderStateId = ? WHERE Id IN (?) AND OrderStateId = ?',
          [states.finished, ready, states.submitted],
        );
      }
    }
  } finally {
    await connection.end();
  }
  const seconds = (performance.now() - started) / 1000;
  const after = await readStatus(ctx.mysqlUrl);
  const checks = await runChecks(seeded, null);
  return offProcessResult(
    sql,
    'floor',
    null,
    seeded,
    seconds,
    before,
    after,
    background,
    null,
    checks,
  );
}
