/**
 * The seed made inside MariaDB: what it writes is what the bench believes it wrote (each id's
 * kind, computed here and in SQL alike), and every kind looks to the default requirements as
 * its name says.
 */

import { checkMySqlTestServer, mySqlTestServerUrl } from '@ocs/db/testing';
import { subtractCalendarMonths } from '@ocs/domain';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkDatabase,
  type SeededDatabase,
  seedDatabase,
  withConnection,
} from '../src/mariadb.js';
import { type LineRow, passes } from '../src/scenarios/shared.js';
import { kindClassifier, kindExpression, linesPerOrder } from '../src/sql-seed.js';

const mysql = await checkMySqlTestServer();
const n = 3000;
const now = new Date('2026-12-01T12:00:00Z');

describe.skipIf(!mysql.available)('orders seeded inside MariaDB', () => {
  let seeded: SeededDatabase;
  beforeAll(async () => {
    seeded = await seedDatabase(mySqlTestServerUrl(), n, now, 7);
  });
  afterAll(() => seeded?.drop());

  it('writes n orders with the kinds the bench computes, in the realistic proportions', async () => {
    expect(seeded.ids).toHaveLength(n);
    expect(seeded.ids[0]).toBe(1);
    const kindOf = kindClassifier(7);
    const [rows] = await withConnection(seeded.url, (c) =>
      c.query<RowDataPacket[]>(`SELECT o.Id, ${kindExpression('o.Id', 7)} AS kind FROM ORDERS o`),
    );
    expect(rows).toHaveLength(n);
    const kinds = ['eligible', 'too-recent', 'not-delivered', 'no-lines', 'finished'];
    for (const row of rows) expect(kinds[Number(row.kind)]).toBe(kindOf(Number(row.Id)));
    // 70% eligible, 8% finished, give or take what 3,000 draws allow.
    expect(seeded.eligible.length / n).toBeGreaterThan(0.66);
    expect(seeded.eligible.length / n).toBeLessThan(0.74);
    expect(seeded.preFinished.length / n).toBeGreaterThan(0.06);
    expect(seeded.preFinished.length / n).toBeLessThan(0.1);
  });

  it('makes every order look to the requirements as its kind says', async () => {
    const { orders, lines, states } = await withConnection(seeded.url, async (c) => {
      const [orderRows] = await c.query<RowDataPacket[]>(
        'SELECT Id, OrderDate, OrderStateId FROM ORDERS',
      );
      const [lineRows] = await c.query<RowDataPacket[]>(
        'SELECT OrderId, OrderedQuantity, DeliveredQuantity FROM ORDER_LINES',
      );
      const [stateRows] = await c.query<RowDataPacket[]>('SELECT Id, OrderState FROM ORDER_STATES');
      return { orders: orderRows, lines: lineRows, states: stateRows };
    });
    const submitted = states.find((s) => s.OrderState === 'SUBMITTED')?.Id as number;
    const byOrder = new Map<number, LineRow[]>();
    for (const row of lines) {
      const list = byOrder.get(row.OrderId) ?? [];
      list.push({
        orderId: row.OrderId,
        ordered: row.OrderedQuantity,
        delivered: row.DeliveredQuantity,
      });
      byOrder.set(row.OrderId, list);
    }
    const kindOf = kindClassifier(7);
    const cutoff = subtractCalendarMonths(now, 6);
    const passing = orders
      .filter((o) =>
        passes(
          { id: o.Id, orderDate: o.OrderDate, stateId: o.OrderStateId },
          byOrder.get(o.Id),
          submitted,
          cutoff,
        ),
      )
      .map((o) => o.Id as number);
    expect(passing).toEqual(seeded.eligible);
    for (const [id, list] of byOrder) {
      expect(kindOf(id)).not.toBe('no-lines');
      expect(list).toHaveLength(linesPerOrder);
    }
    const notDelivered = seeded.ids.filter((id) => kindOf(id) === 'not-delivered');
    expect(notDelivered.length).toBeGreaterThan(0);
    for (const id of notDelivered) {
      const short = (byOrder.get(id) ?? []).filter(
        (l) => l.delivered === null || l.delivered < l.ordered,
      );
      expect(short).toHaveLength(1);
    }
  });

  it('checks the outcome inside the database: nothing finished yet, then exactly the eligible', async () => {
    expect(await checkDatabase(seeded)).toEqual({
      eligibleFinished: 0,
      eligibleNotFinished: seeded.eligible.length,
      wronglyFinished: 0,
    });
    await withConnection(seeded.url, async (c) => {
      const [states] = await c.query<RowDataPacket[]>('SELECT Id, OrderState FROM ORDER_STATES');
      const finished = states.find((s) => s.OrderState === 'FINISHED')?.Id;
      await c.query('UPDATE ORDERS SET OrderStateId = ? WHERE Id IN (?)', [
        finished,
        seeded.eligible,
      ]);
      // One order that must not be finished: the check has to see it.
      const wrong = seeded.ids.find((id) => kindOf(id) === 'too-recent');
      await c.query('UPDATE ORDERS SET OrderStateId = ? WHERE Id = ?', [finished, wrong]);
    });
    expect(await checkDatabase(seeded)).toEqual({
      eligibleFinished: seeded.eligible.length,
      eligibleNotFinished: 0,
      wronglyFinished: 1,
    });
  });
});

const kindOf = kindClassifier(7);
