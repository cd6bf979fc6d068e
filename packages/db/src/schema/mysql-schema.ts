/**
 * The MySQL/MariaDB schema: the original system's four tables, column for column, plus the
 * tables this service adds. Pure declarations: importing this opens no connection.
 */
import type { CallOutcome } from '@ocs/domain';
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
 * keep counts here and one completion_call_orders row per failed id.
 */
export const completionCalls = mysqlTable(
  'completion_calls',
  {
    id: varchar('id', { length: 64 }).primaryKey(),
    /** The scheduler run the call belongs to; null for calls made outside a run. */
    runId: varchar('run_id', { length: 64 }),
    startedAt: datetime('started_at', { mode: 'date', fsp: 3 }).notNull(),
    finishedAt: datetime('finished_at', { mode: 'date', fsp: 3 }),
    requestedCount: int('requested_count').notNull(),
    outcome: varchar('outcome', { length: 32 }).notNull(),
    failedCount: int('failed_count').notNull(),
    // One count per call outcome of @ocs/domain's table, named `<outcome>_count`.
    ...({
      completed: int('completed_count').notNull(),
      finished_elsewhere: int('finished_elsewhere_count').notNull().default(0),
      not_found: int('not_found_count').notNull().default(0),
      failed_requirements: int('failed_requirements_count').notNull().default(0),
      not_notified: int('not_notified_count').notNull().default(0),
      not_updated: int('not_updated_count').notNull().default(0),
      claimed_elsewhere: int('claimed_elsewhere_count').notNull().default(0),
    } satisfies Record<CallOutcome, unknown>),
    response: longtext('response'),
  },
  (table) => [index('completion_calls_run_id_idx').on(table.runId)],
);

/**
 * What happened to each requested order in a run, queryable by order. No foreign key to
 * ORDERS: not-found ids are recorded too.
 */
export const completionCallOrders = mysqlTable(
  'completion_call_orders',
  {
    callId: varchar('call_id', { length: 64 })
      .notNull()
      .references(() => completionCalls.id),
    orderId: int('order_id').notNull(),
    outcome: varchar('outcome', { length: 32 }).notNull(),
    /** JSON text of the reason(s); null for completed and not-found orders. */
    reason: longtext('reason'),
    /** What failures are grouped by (see `classifyResponse`), e.g. `ORDER.TOO_RECENT`. */
    reasonCode: varchar('reason_code', { length: 128 }),
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
    callId: varchar('call_id', { length: 64 }).notNull(),
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
    index('completion_ledger_call_id_idx').on(table.callId),
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

/**
 * Scheduler runs: what one scheduler does under its lock (cron, `run-once`, or requested from
 * the admin app), with its progress and counts by outcome as it goes. Times are epoch
 * milliseconds in the database's clock.
 */
export const schedulerRuns = mysqlTable(
  'scheduler_runs',
  {
    id: varchar('id', { length: 64 }).primaryKey(),
    /** `cron`, `run-once`, `admin` (requested from the admin app) or `retry`. */
    triggeredBy: varchar('triggered_by', { length: 16 }).notNull(),
    /** `requested`, `running`, `finished`, `finished_with_orders_left`, `failed`, `abandoned`. */
    status: varchar('status', { length: 32 }).notNull(),
    requestedAt: bigint('requested_at', { mode: 'number' }).notNull(),
    startedAt: bigint('started_at', { mode: 'number' }),
    finishedAt: bigint('finished_at', { mode: 'number' }),
    updatedAt: bigint('updated_at', { mode: 'number' }).notNull(),
    /** The scheduler instance that held the lock. */
    holder: varchar('holder', { length: 128 }),
    /** A retry: the run whose failures it retries, and the group (null: every retryable one). */
    retryOf: varchar('retry_of', { length: 64 }),
    retryOutcome: varchar('retry_outcome', { length: 32 }),
    retryReason: varchar('retry_reason', { length: 128 }),
    /** Orders the run expects to handle, counted when it starts. */
    expectedCount: int('expected_count'),
    pendingCount: int('pending_count').notNull().default(0),
    settledCount: int('settled_count').notNull().default(0),
    /** JSON: ids by outcome (the table of @ocs/domain), requirement failures by code. */
    counts: longtext('counts'),
    detail: longtext('detail'),
    error: varchar('error', { length: 1000 }),
  },
  (table) => [index('scheduler_runs_status_idx').on(table.status)],
);

/** Each scheduler reports itself here: its heartbeat, schedule and next run. */
export const schedulerInstances = mysqlTable('scheduler_instances', {
  instance: varchar('instance', { length: 128 }).primaryKey(),
  mode: varchar('mode', { length: 16 }).notNull(),
  cron: varchar('cron', { length: 128 }),
  timezone: varchar('timezone', { length: 64 }),
  nextRunAt: bigint('next_run_at', { mode: 'number' }),
  heartbeatAt: bigint('heartbeat_at', { mode: 'number' }).notNull(),
  heartbeatEveryMs: int('heartbeat_every_ms').notNull(),
  startedAt: bigint('started_at', { mode: 'number' }).notNull(),
});
