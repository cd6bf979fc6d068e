/**
 * What the seeds need from a database, and `sqlSeedWriter`, which implements it on any
 * dialect with multi-row inserts.
 */
import { sql } from 'drizzle-orm';
import { chunk, rowsPerInsert } from '../chunks.js';
import type { SqlDialect } from '../dialect.js';
import { noRetry } from '../ledger/sql-executor.js';
import { resolveStateIds } from '../mapping.js';
import {
  columnsAs,
  decoder,
  insertRows,
  type OrderInsert,
  type OrderLineInsert,
  type ProductInsert,
} from '../rows.js';

/** An order to seed: its state by name, resolved to the installation's ORDER_STATES id. */
export type SeedOrderRow = Required<Omit<OrderInsert, 'orderStateId'>> & {
  state: 'SUBMITTED' | 'FINISHED';
};

export type SeedLineRow = Omit<OrderLineInsert, 'id' | 'deliveredQuantity'> & {
  deliveredQuantity: number | null;
};

export interface SeedWriter {
  countOrders(): Promise<number>;
  maxOrderId(): Promise<number>;
  /** Inserts the products whose ids are missing. */
  ensureProducts(products: readonly Required<ProductInsert>[]): Promise<void>;
  /** Inserts orders (explicit ids) and their lines in one transaction, in multi-row chunks. */
  insertOrders(orders: readonly SeedOrderRow[], lines: readonly SeedLineRow[]): Promise<void>;
}

/** Anything that can be seeded, e.g. the handle `openDatabase` returns. */
export interface SeedTarget {
  readonly seedWriter: SeedWriter;
}

export function sqlSeedWriter({ tables, executor: q, maxPlaceholders }: SqlDialect): SeedWriter {
  const { orders, orderLines, orderStates, products } = tables;
  const orderRows = rowsPerInsert(3, maxPlaceholders);
  const lineRows = rowsPerInsert(4, maxPlaceholders);
  const value = async (query: ReturnType<typeof sql>) => {
    const [row] = await q.all<{ value: number | string | null }>(query);
    return Number(row?.value ?? 0);
  };
  return {
    countOrders: () => value(sql`SELECT COUNT(*) AS value FROM ${orders}`),
    maxOrderId: () => value(sql`SELECT MAX(${orders.id}) AS value FROM ${orders}`),
    async ensureProducts(list) {
      if (list.length === 0) return;
      await q.write((w) => w.run(insertRows(products, list, w.insertIgnore)), noRetry);
    },
    async insertOrders(list, lines) {
      if (list.length === 0) return;
      const stateRows = await q.all<Record<string, unknown>>(
        sql`SELECT ${columnsAs(orderStates, ['id', 'orderState'])} FROM ${orderStates}`,
      );
      const states = resolveStateIds(stateRows.map(decoder(orderStates, ['id', 'orderState'])));
      const inserts = list.map((order) => ({
        id: order.id,
        orderDate: order.orderDate,
        orderStateId: order.state === 'SUBMITTED' ? states.submitted : states.finished,
      }));
      await q.transaction(async (tx) => {
        for (const part of chunk(inserts, orderRows)) await tx.run(insertRows(orders, part));
        for (const part of chunk(lines, lineRows)) await tx.run(insertRows(orderLines, part));
      }, noRetry);
    },
  };
}
