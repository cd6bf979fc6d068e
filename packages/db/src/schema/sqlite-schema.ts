/**
 * The embedded (SQLite) schema: the same tables and column names as the MySQL schema, so
 * both adapters read the same shapes. Pure declarations: importing this opens no connection.
 */
import type { CallOutcome } from '@ocs/domain';
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
export const completionCalls = sqliteTable(
  'completion_calls',
  {
    id: text('id', { length: 64 }).primaryKey(),
    runId: text('run_id', { length: 64 }),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
    finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
    requestedCount: integer('requested_count').notNull(),
    outcome: text('outcome', { length: 32 }).notNull(),
    failedCount: integer('failed_count').notNull(),
    ...({
      completed: integer('completed_count').notNull(),
      finished_elsewhere: integer('finished_elsewhere_count').notNull().default(0),
      not_found: integer('not_found_count').notNull().default(0),
      failed_requirements: integer('failed_requirements_count').notNull().default(0),
      not_notified: integer('not_notified_count').notNull().default(0),
      not_updated: integer('not_updated_count').notNull().default(0),
      claimed_elsewhere: integer('claimed_elsewhere_count').notNull().default(0),
    } satisfies Record<CallOutcome, unknown>),
    response: text('response'),
  },
  (table) => [index('completion_calls_run_id_idx').on(table.runId)],
);

/**
 * What happened to each requested order in a run, queryable by order. No foreign key to
 * ORDERS: not-found ids are recorded too.
 */
export const completionCallOrders = sqliteTable(
  'completion_call_orders',
  {
    callId: text('call_id', { length: 64 })
      .notNull()
      .references(() => completionCalls.id),
    orderId: integer('order_id').notNull(),
    outcome: text('outcome', { length: 32 }).notNull(),
    /** JSON text of the reason(s); null for completed and not-found orders. */
    reason: text('reason'),
    reasonCode: text('reason_code', { length: 128 }),
  },
  (table) => [
    primaryKey({ columns: [table.callId, table.orderId] }),
    index('completion_call_orders_order_id_idx').on(table.orderId),
  ],
);

export const completionCallsRelations = relations(completionCalls, ({ many }) => ({
  orders: many(completionCallOrders),
}));

export const completionCallOrdersRelations = relations(completionCallOrders, ({ one }) => ({
  run: one(completionCalls, {
    fields: [completionCallOrders.callId],
    references: [completionCalls.id],
  }),
}));

/** The completion ledger (see the MySQL schema). Times are epoch milliseconds. */
export const completionLedger = sqliteTable(
  'completion_ledger',
  {
    orderId: integer('order_id').primaryKey(),
    state: text('state', { length: 16 }).notNull(),
    callId: text('call_id', { length: 64 }).notNull(),
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
    index('completion_ledger_call_id_idx').on(table.callId),
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

/** Scheduler runs (see the MySQL schema). */
export const schedulerRuns = sqliteTable(
  'scheduler_runs',
  {
    id: text('id', { length: 64 }).primaryKey(),
    triggeredBy: text('triggered_by', { length: 16 }).notNull(),
    status: text('status', { length: 32 }).notNull(),
    requestedAt: integer('requested_at').notNull(),
    startedAt: integer('started_at'),
    finishedAt: integer('finished_at'),
    updatedAt: integer('updated_at').notNull(),
    holder: text('holder', { length: 128 }),
    retryOf: text('retry_of', { length: 64 }),
    retryOutcome: text('retry_outcome', { length: 32 }),
    retryReason: text('retry_reason', { length: 128 }),
    /** Orders the run expects to handle, counted when it starts. */
    expectedCount: integer('expected_count'),
    pendingCount: integer('pending_count').notNull().default(0),
    settledCount: integer('settled_count').notNull().default(0),
    counts: text('counts'),
    detail: text('detail'),
    error: text('error', { length: 1000 }),
  },
  (table) => [index('scheduler_runs_status_idx').on(table.status)],
);

/** Scheduler instances (see the MySQL schema). */
export const schedulerInstances = sqliteTable('scheduler_instances', {
  instance: text('instance', { length: 128 }).primaryKey(),
  mode: text('mode', { length: 16 }).notNull(),
  cron: text('cron', { length: 128 }),
  timezone: text('timezone', { length: 64 }),
  nextRunAt: integer('next_run_at'),
  heartbeatAt: integer('heartbeat_at').notNull(),
  heartbeatEveryMs: integer('heartbeat_every_ms').notNull(),
  startedAt: integer('started_at').notNull(),
});
