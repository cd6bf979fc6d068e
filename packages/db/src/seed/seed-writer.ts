/**
 * What the seeds need from a database, and `chunkedSeedWriter`, which implements it with
 * multi-row inserts on top of the few statements each dialect supplies.
 */
import { chunk, rowsPerInsert } from '../chunks.js';
import { resolveStateIds } from '../mapping.js';

export interface SeedOrderRow {
  id: number;
  orderDate: Date;
  state: 'SUBMITTED' | 'FINISHED';
}

export interface SeedLineRow {
  orderId: number;
  productId: number;
  orderedQuantity: number;
  deliveredQuantity: number | null;
}

export interface SeedWriter {
  countOrders(): Promise<number>;
  maxOrderId(): Promise<number>;
  /** Inserts the products whose ids are missing. */
  ensureProducts(products: readonly { id: number; productName: string }[]): Promise<void>;
  /** Inserts orders (explicit ids) and their lines in one transaction, in multi-row chunks. */
  insertOrders(orders: readonly SeedOrderRow[], lines: readonly SeedLineRow[]): Promise<void>;
}

/** Anything that can be seeded, e.g. the handle `openDatabase` returns. */
export interface SeedTarget {
  readonly seedWriter: SeedWriter;
}

/** An ORDERS row as inserted: the state already resolved to its ORDER_STATES id. */
export interface SeedOrderInsert {
  id: number;
  orderDate: Date;
  orderStateId: number;
}

/** The statements a dialect runs for the seeds. */
export interface SeedStatements {
  /** Rows with `value`: COUNT of ORDERS. */
  countOrders(): Promise<{ value: number }[]>;
  /** Rows with `value`: MAX(ORDERS.Id), null when empty. */
  maxOrderId(): Promise<{ value: number | null }[]>;
  /** One multi-row insert that skips the products whose ids exist. */
  insertMissingProducts(products: { id: number; productName: string }[]): Promise<unknown>;
  /** All ORDER_STATES rows. */
  selectStates(): Promise<{ id: number; orderState: string }[]>;
  /** In one transaction: one insert per chunk of orders, then one per chunk of lines. */
  insertInTransaction(orderChunks: SeedOrderInsert[][], lineChunks: SeedLineRow[][]): Promise<void>;
}

/** `maxPlaceholders`: the dialect's limit per statement, which sizes the multi-row inserts. */
export function chunkedSeedWriter(statements: SeedStatements, maxPlaceholders: number): SeedWriter {
  const orderRows = rowsPerInsert(3, maxPlaceholders);
  const lineRows = rowsPerInsert(4, maxPlaceholders);
  return {
    async countOrders() {
      const [row] = await statements.countOrders();
      return row?.value ?? 0;
    },
    async maxOrderId() {
      const [row] = await statements.maxOrderId();
      return row?.value ?? 0;
    },
    async ensureProducts(products) {
      if (products.length > 0) await statements.insertMissingProducts([...products]);
    },
    async insertOrders(orders, lines) {
      if (orders.length === 0) return;
      const states = resolveStateIds(await statements.selectStates());
      const inserts = orders.map((order) => ({
        id: order.id,
        orderDate: order.orderDate,
        orderStateId: order.state === 'SUBMITTED' ? states.submitted : states.finished,
      }));
      await statements.insertInTransaction(chunk(inserts, orderRows), chunk(lines, lineRows));
    },
  };
}
