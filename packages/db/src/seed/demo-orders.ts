/** The original system's five demo orders, dated relative to `now`. */
import { subtractCalendarMonths } from '@ocs/domain';
import type { SeedLineRow, SeedOrderRow, SeedTarget } from './seed-writer.js';

export const demoProducts = [1, 2, 3, 4, 5].map((id) => ({ id, productName: `Product ${id}` }));

/** Calendar months as the order-age requirement counts them, in whole seconds (DATETIME). */
export function monthsBefore(now: Date, months: number): Date {
  return subtractCalendarMonths(new Date(Math.floor(now.getTime() / 1000) * 1000), months);
}

// [order id, age in months, [productId, ordered, delivered][]] as in the original's seed.
const demo: [number, number, [number, number, number][]][] = [
  [
    1,
    7,
    [
      [1, 10, 5],
      [2, 20, 20],
    ],
  ],
  [
    2,
    7,
    [
      [3, 25, 25],
      [4, 20, 20],
    ],
  ],
  [
    3,
    10,
    [
      [5, 15, 15],
      [1, 50, 50],
    ],
  ],
  [
    4,
    1,
    [
      [2, 30, 30],
      [3, 25, 25],
    ],
  ],
  [
    5,
    5,
    [
      [4, 30, 10],
      [5, 25, 25],
    ],
  ],
];

export function demoOrderRows(now: Date): { orders: SeedOrderRow[]; lines: SeedLineRow[] } {
  return {
    orders: demo.map(([id, months]) => ({
      id,
      orderDate: monthsBefore(now, months),
      state: 'SUBMITTED',
    })),
    lines: demo.flatMap(([orderId, , lines]) =>
      lines.map(([productId, orderedQuantity, deliveredQuantity]) => ({
        orderId,
        productId,
        orderedQuantity,
        deliveredQuantity,
      })),
    ),
  };
}

/** Loads the five demo orders unless the database has orders already. */
export async function seedDemoOrders(target: SeedTarget, now: Date): Promise<{ inserted: number }> {
  const writer = target.seedWriter;
  if ((await writer.countOrders()) > 0) return { inserted: 0 };
  await writer.ensureProducts(demoProducts);
  const { orders, lines } = demoOrderRows(now);
  await writer.insertOrders(orders, lines);
  return { inserted: orders.length };
}
