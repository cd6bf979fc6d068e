/**
 * The embedded (SQLite) schema: the same tables and column names as the MySQL schema, so
 * both adapters read the same shapes. Pure declarations: importing this opens no connection.
 */
import { relations } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const orderStates = sqliteTable('ORDER_STATES', {
  id: integer('Id').primaryKey({ autoIncrement: true }),
  orderState: text('OrderState', { length: 50 }).notNull(),
});

export const orders = sqliteTable('ORDERS', {
  id: integer('Id').primaryKey({ autoIncrement: true }),
  /** Milliseconds since the epoch (UTC); SQLite has no datetime type. */
  orderDate: integer('OrderDate', { mode: 'timestamp_ms' }).notNull(),
  orderStateId: integer('OrderStateId')
    .notNull()
    .references(() => orderStates.id),
});

export const products = sqliteTable('PRODUCTS', {
  id: integer('Id').primaryKey({ autoIncrement: true }),
  productName: text('ProductName', { length: 200 }).notNull(),
});

export const orderLines = sqliteTable('ORDER_LINES', {
  id: integer('Id').primaryKey({ autoIncrement: true }),
  orderId: integer('OrderId')
    .notNull()
    .references(() => orders.id),
  productId: integer('ProductId')
    .notNull()
    .references(() => products.id),
  orderedQuantity: integer('OrderedQuantity').notNull(),
  deliveredQuantity: integer('DeliveredQuantity'),
});

export const orderStatesRelations = relations(orderStates, ({ many }) => ({
  orders: many(orders),
}));

export const ordersRelations = relations(orders, ({ one, many }) => ({
  state: one(orderStates, { fields: [orders.orderStateId], references: [orderStates.id] }),
  lines: many(orderLines),
}));

export const productsRelations = relations(products, ({ many }) => ({
  lines: many(orderLines),
}));

export const orderLinesRelations = relations(orderLines, ({ one }) => ({
  order: one(orders, { fields: [orderLines.orderId], references: [orders.id] }),
  product: one(products, { fields: [orderLines.productId], references: [products.id] }),
}));

/** One completion call. `response` is the full CompleteOrderResponse as JSON text. */
export const completionRuns = sqliteTable('completion_runs', {
  id: text('id', { length: 64 }).primaryKey(),
  startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
  finishedAt: integer('finished_at', { mode: 'timestamp_ms' }).notNull(),
  requestedCount: integer('requested_count').notNull(),
  outcome: text('outcome', { length: 32 }).notNull(),
  completedCount: integer('completed_count').notNull(),
  failedCount: integer('failed_count').notNull(),
  response: text('response').notNull(),
});

/**
 * What happened to each requested order in a run, queryable by order. No foreign key to
 * ORDERS: not-found ids are recorded too.
 */
export const completionRunOrders = sqliteTable(
  'completion_run_orders',
  {
    runId: text('run_id', { length: 64 })
      .notNull()
      .references(() => completionRuns.id),
    orderId: integer('order_id').notNull(),
    outcome: text('outcome', { length: 32 }).notNull(),
    /** JSON text of the reason(s); null for completed and not-found orders. */
    reason: text('reason'),
  },
  (table) => [
    primaryKey({ columns: [table.runId, table.orderId] }),
    index('completion_run_orders_order_id_idx').on(table.orderId),
  ],
);

export const completionRunsRelations = relations(completionRuns, ({ many }) => ({
  orders: many(completionRunOrders),
}));

export const completionRunOrdersRelations = relations(completionRunOrders, ({ one }) => ({
  run: one(completionRuns, {
    fields: [completionRunOrders.runId],
    references: [completionRuns.id],
  }),
}));
