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

export const orderLines = sqliteTable(
  'ORDER_LINES',
  {
    id: integer('Id').primaryKey({ autoIncrement: true }),
    orderId: integer('OrderId')
      .notNull()
      .references(() => orders.id),
    productId: integer('ProductId')
      .notNull()
      .references(() => products.id),
    orderedQuantity: integer('OrderedQuantity').notNull(),
    deliveredQuantity: integer('DeliveredQuantity'),
  },
  // MySQL indexes a foreign key by itself; SQLite does not, and lines are read by order.
  (table) => [index('ORDER_LINES_OrderId_idx').on(table.orderId)],
);

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

/** One completion call (see the MySQL schema). */
export const completionRuns = sqliteTable('completion_runs', {
  id: text('id', { length: 64 }).primaryKey(),
  startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
  finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
  requestedCount: integer('requested_count').notNull(),
  outcome: text('outcome', { length: 32 }).notNull(),
  completedCount: integer('completed_count').notNull(),
  failedCount: integer('failed_count').notNull(),
  notFoundCount: integer('not_found_count').notNull().default(0),
  failedRequirementsCount: integer('failed_requirements_count').notNull().default(0),
  notNotifiedCount: integer('not_notified_count').notNull().default(0),
  notUpdatedCount: integer('not_updated_count').notNull().default(0),
  claimedElsewhereCount: integer('claimed_elsewhere_count').notNull().default(0),
  response: text('response'),
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

/** The completion ledger (see the MySQL schema). Times are epoch milliseconds. */
export const completionLedger = sqliteTable(
  'completion_ledger',
  {
    orderId: integer('order_id').primaryKey(),
    state: text('state', { length: 16 }).notNull(),
    runId: text('run_id', { length: 64 }).notNull(),
    leaseUntil: integer('lease_until').notNull(),
    claimedAt: integer('claimed_at').notNull(),
    notifiedAt: integer('notified_at'),
    finishedAt: integer('finished_at'),
    claims: integer('claims').notNull().default(1),
  },
  (table) => [
    // For a run's finished orders (admin). No index on state: every order changes state
    // twice, and each change rewrote its entry (23% of the database's CPU at 100k orders).
    // Stale claims are found by joining ORDERS' SUBMITTED rows instead (SqlLedgerQueries).
    index('completion_ledger_run_id_idx').on(table.runId),
  ],
);

/** Named leases, e.g. the scheduler's single-runner lock. */
export const leases = sqliteTable('leases', {
  name: text('name', { length: 64 }).primaryKey(),
  holder: text('holder', { length: 128 }).notNull(),
  leaseUntil: integer('lease_until').notNull(),
  acquiredAt: integer('acquired_at').notNull(),
});

/** Settings this service keeps in its database, e.g. its installation id. */
export const serviceSettings = sqliteTable('service_settings', {
  name: text('name', { length: 64 }).primaryKey(),
  value: text('value', { length: 255 }).notNull(),
});
