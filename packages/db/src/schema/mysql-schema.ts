/**
 * The MySQL/MariaDB schema: the original system's four tables, column for column, plus the
 * tables this service adds. Pure declarations: importing this opens no connection.
 */
import { relations } from 'drizzle-orm';
import {
  bigint,
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

/**
 * One completion call, written when it starts (outcome RUNNING, no finished_at) and completed
 * when it ends. `response` is only set by runs recorded before the ledger (0002); newer runs
 * keep counts here and one completion_run_orders row per failed id.
 */
export const completionRuns = mysqlTable('completion_runs', {
  id: varchar('id', { length: 64 }).primaryKey(),
  startedAt: datetime('started_at', { mode: 'date', fsp: 3 }).notNull(),
  finishedAt: datetime('finished_at', { mode: 'date', fsp: 3 }),
  requestedCount: int('requested_count').notNull(),
  outcome: varchar('outcome', { length: 32 }).notNull(),
  completedCount: int('completed_count').notNull(),
  failedCount: int('failed_count').notNull(),
  notFoundCount: int('not_found_count').notNull().default(0),
  failedRequirementsCount: int('failed_requirements_count').notNull().default(0),
  notNotifiedCount: int('not_notified_count').notNull().default(0),
  notUpdatedCount: int('not_updated_count').notNull().default(0),
  claimedElsewhereCount: int('claimed_elsewhere_count').notNull().default(0),
  response: longtext('response'),
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

/**
 * The completion ledger: one row per order this service has claimed, with its notification
 * state (`claimed` → `notified` → `finished`), the run holding it and the lease end. Times are
 * epoch milliseconds, so one set of statements serves both dialects.
 */
export const completionLedger = mysqlTable(
  'completion_ledger',
  {
    orderId: int('order_id').primaryKey(),
    state: varchar('state', { length: 16 }).notNull(),
    runId: varchar('run_id', { length: 64 }).notNull(),
    leaseUntil: bigint('lease_until', { mode: 'number' }).notNull(),
    claimedAt: bigint('claimed_at', { mode: 'number' }).notNull(),
    notifiedAt: bigint('notified_at', { mode: 'number' }),
    finishedAt: bigint('finished_at', { mode: 'number' }),
    /** How many calls have claimed it: above 1 means a lease ran out at least once. */
    claims: int('claims').notNull().default(1),
  },
  (table) => [
    // For a run's finished orders (admin). No index on state: every order changes state
    // twice, and each change rewrote its entry (23% of the database's CPU at 100k orders).
    // Stale claims are found by joining ORDERS' SUBMITTED rows instead (SqlLedgerQueries).
    index('completion_ledger_run_id_idx').on(table.runId),
  ],
);

/** Named leases, e.g. the scheduler's single-runner lock. */
export const leases = mysqlTable('leases', {
  name: varchar('name', { length: 64 }).primaryKey(),
  holder: varchar('holder', { length: 128 }).notNull(),
  leaseUntil: bigint('lease_until', { mode: 'number' }).notNull(),
  acquiredAt: bigint('acquired_at', { mode: 'number' }).notNull(),
});

/** Settings this service keeps in its database, e.g. its installation id. */
export const serviceSettings = mysqlTable('service_settings', {
  name: varchar('name', { length: 64 }).primaryKey(),
  value: varchar('value', { length: 255 }).notNull(),
});
