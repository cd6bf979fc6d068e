import type { Order } from '@ocs/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type GeneratedOrderKind,
  type OcsDatabase,
  openDatabase,
  realisticMix,
  seedGeneratedOrders,
} from '../src/client.js';
import { monthsBefore } from '../src/seed/demo-orders.js';
import { createEmbeddedTestDatabase, type TestDatabase } from '../src/testing/index.js';

const now = new Date('2026-06-15T12:00:00.000Z');
const sixMonthsAgo = monthsBefore(now, 6);
const delivered = (order: Order) =>
  order.lines.length > 0 &&
  order.lines.every(
    (l) => l.deliveredQuantity !== null && l.deliveredQuantity >= l.orderedQuantity,
  );

const expectations: Record<GeneratedOrderKind, (order: Order) => boolean> = {
  eligible: (o) => o.state === 'SUBMITTED' && o.orderDate <= sixMonthsAgo && delivered(o),
  'too-recent': (o) => o.state === 'SUBMITTED' && o.orderDate > sixMonthsAgo && delivered(o),
  'not-delivered': (o) =>
    o.state === 'SUBMITTED' && o.orderDate <= sixMonthsAgo && o.lines.length > 0 && !delivered(o),
  'no-lines': (o) => o.state === 'SUBMITTED' && o.lines.length === 0,
  finished: (o) => o.state === 'FINISHED' && delivered(o),
};

describe('seedGeneratedOrders', () => {
  let database: TestDatabase;
  let db: OcsDatabase;

  beforeAll(async () => {
    database = await createEmbeddedTestDatabase();
    db = openDatabase({ url: database.url });
    await db.migrate();
  });

  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  it('given a mix, every generated order is what its kind promises', async () => {
    const result = await seedGeneratedOrders(db, 500, { now, mix: realisticMix, batchSize: 120 });
    expect(result.ids).toHaveLength(500);
    const orders = new Map((await db.orders.findByIds(result.ids)).map((o) => [o.id, o]));
    expect(orders.size).toBe(500);
    for (const [kind, ids] of Object.entries(result.idsByKind) as [
      GeneratedOrderKind,
      number[],
    ][]) {
      expect(ids.length, kind).toBeGreaterThan(0);
      for (const id of ids)
        expect(expectations[kind](orders.get(id) as Order), `${kind} #${id}`).toBe(true);
    }
  });

  it('continues after the highest existing id, and is repeatable with the same seed', async () => {
    const first = await seedGeneratedOrders(db, 50, { now, mix: realisticMix, randomSeed: 7 });
    const second = await seedGeneratedOrders(db, 50, { now, mix: realisticMix, randomSeed: 7 });
    expect(first.ids[0]).toBe(501);
    expect(second.ids[0]).toBe(551);
    const kindsOf = (r: typeof first) =>
      r.ids.map((id) => Object.entries(r.idsByKind).find(([, ids]) => ids.includes(id))?.[0]);
    expect(kindsOf(second)).toEqual(kindsOf(first));
  });
});
