/** What the seeds need from a database; each dialect implements it with multi-row inserts. */

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
