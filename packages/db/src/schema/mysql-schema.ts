/**
 * The MySQL/MariaDB schema: the original system's four tables, column for column, plus the
 * tables this service adds. Pure declarations: importing this opens no connection.
 */
import { relations } from 'drizzle-orm';
import {
  datetime,
  index,
  int,
  longtext,
  mysqlTable,
  primaryKey,
  varchar,
} from 'drizzle-orm/mysql-core';

export const orderStates = mysqlTable('ORDER_STATES', {
  id: int('Id').autoincrement().primaryKey(),
  orderState: varchar('OrderState', { length: 50 }).notNull(),
});

export const orders = mysqlTable('ORDERS', {
  id: int('Id').autoincrement().primaryKey(),
  orderDate: datetime('OrderDate', { mode: 'date' }).notNull(),
  orderStateId: int('OrderStateId')
    .notNull()
    .references(() => orderStates.id),
});

export const products = mysqlTable('PRODUCTS', {
  id: int('Id').autoincrement().primaryKey(),
  productName: varchar('ProductName', { length: 200 }).notNull(),
});

export const orderLines = mysqlTable('ORDER_LINES', {
  id: int('Id').autoincrement().primaryKey(),
  orderId: int('OrderId')
    .notNull()
    .references(() => orders.id),
  productId: int('ProductId')
    .notNull()
    .references(() => products.id),
  orderedQuantity: int('OrderedQuantity').notNull(),
  deliveredQuantity: int('DeliveredQuantity'),
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
export const completionRuns = mysqlTable('completion_runs', {
  id: varchar('id', { length: 64 }).primaryKey(),
  startedAt: datetime('started_at', { mode: 'date', fsp: 3 }).notNull(),
  finishedAt: datetime('finished_at', { mode: 'date', fsp: 3 }).notNull(),
  requestedCount: int('requested_count').notNull(),
  outcome: varchar('outcome', { length: 32 }).notNull(),
  completedCount: int('completed_count').notNull(),
  failedCount: int('failed_count').notNull(),
  response: longtext('response').notNull(),
});

/**
 * What happened to each requested order in a run, queryable by order. No foreign key to
 * ORDERS: not-found ids are recorded too.
 */
export const completionRunOrders = mysqlTable(
  'completion_run_orders',
  {
    runId: varchar('run_id', { length: 64 })
      .notNull()
      .references(() => completionRuns.id),
    orderId: int('order_id').notNull(),
    outcome: varchar('outcome', { length: 32 }).notNull(),
    /** JSON text of the reason(s); null for completed and not-found orders. */
    reason: longtext('reason'),
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
