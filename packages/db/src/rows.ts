/**
 * Row types derived from the drizzle schemas, and the few helpers that let one statement,
 * written once, read and write them on any dialect: the dialect's own table and column
 * objects render its quoting and convert values to and from its driver (a DATETIME string on
 * MySQL, epoch milliseconds on SQLite), exactly as drizzle's query builders do.
 */
import {
  type Column,
  getTableColumns,
  getTableName,
  Param,
  type SQL,
  type SQLChunk,
  StringChunk,
  sql,
  type Table,
} from 'drizzle-orm';
import type * as mysql from './schema/mysql-schema.js';
import type * as sqlite from './schema/sqlite-schema.js';

/** Every dialect's schema declares the same tables with the same columns and row types. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? A : never) : never;
type RowOf<K extends keyof typeof mysql & keyof typeof sqlite> = Same<
  (typeof mysql)[K] extends Table ? (typeof mysql)[K]['$inferSelect'] : never,
  (typeof sqlite)[K] extends Table ? (typeof sqlite)[K]['$inferSelect'] : never
>;
type InsertOf<K extends keyof typeof mysql & keyof typeof sqlite> = Same<
  (typeof mysql)[K] extends Table ? (typeof mysql)[K]['$inferInsert'] : never,
  (typeof sqlite)[K] extends Table ? (typeof sqlite)[K]['$inferInsert'] : never
>;

export type OrderStateRow = RowOf<'orderStates'>;
export type OrderRow = RowOf<'orders'>;
export type OrderInsert = InsertOf<'orders'>;
export type OrderLineRow = RowOf<'orderLines'>;
export type OrderLineInsert = InsertOf<'orderLines'>;
export type ProductRow = RowOf<'products'>;
export type ProductInsert = InsertOf<'products'>;
export type CompletionCallRow = RowOf<'completionCalls'>;
export type CompletionCallInsert = InsertOf<'completionCalls'>;
export type CompletionCallOrderRow = RowOf<'completionCallOrders'>;
export type CompletionCallOrderInsert = InsertOf<'completionCallOrders'>;
export type CompletionLedgerRow = RowOf<'completionLedger'>;
export type SchedulerRunRow = RowOf<'schedulerRuns'>;
export type SchedulerInstanceRow = RowOf<'schedulerInstances'>;

/** A drizzle table whose rows are `Row`, whichever dialect declared it. */
export type TableOf<Row> = Table & { readonly $inferSelect: Row } & {
  readonly [K in keyof Row]: Column;
};

/**
 * A row as a driver hands it over for raw SQL (the ledger's and the runs' statements, which
 * read computed columns too): MySQL may give BIGINT and COUNT as strings or bigints.
 */
export type StoredRow<Row> = {
  [K in keyof Row]: Row[K] extends number
    ? number | string | bigint
    : Row[K] extends number | null
      ? number | string | bigint | null
      : Row[K];
};

type Key<T extends Table> = keyof T['$inferSelect'] & string;

function column<T extends Table>(table: T, key: string): Column {
  const found = (getTableColumns(table) as Record<string, Column | undefined>)[key];
  if (!found) throw new TypeError(`no column ${key} in ${getTableName(table)}`);
  return found;
}

/**
 * `table.column AS key, ...`: the columns named as the row's properties, so `decode` reads them
 * back. With `alias`, qualified by that alias instead of the table's name.
 */
export function columnsAs<T extends Table>(table: T, keys: readonly Key<T>[], alias?: string): SQL {
  return sql.join(
    keys.map((key) => {
      const name = sql.identifier(column(table, key).name);
      const source = alias === undefined ? sql`${table}.${name}` : sql`${sql.raw(alias)}.${name}`;
      return sql`${source} AS ${sql.identifier(key)}`;
    }),
    sql`, `,
  );
}

/** Every column of `table`, as its row's property names. */
export function allKeys<T extends Table>(table: T): Key<T>[] {
  return Object.keys(getTableColumns(table)) as Key<T>[];
}

/** Reads rows selected with `columnsAs(table, keys)` through the dialect's column mapping. */
export function decoder<T extends Table, K extends Key<T>>(
  table: T,
  keys: readonly K[],
): (raw: Record<string, unknown>) => Pick<T['$inferSelect'], K> {
  const columns = keys.map((key) => [key, column(table, key)] as const);
  return (raw) => {
    const row: Record<string, unknown> = {};
    for (const [key, col] of columns) {
      const value = raw[key];
      row[key] = value === null || value === undefined ? null : col.mapFromDriverValue(value);
    }
    return row as Pick<T['$inferSelect'], K>;
  };
}

/** One value bound through its column's mapping (a Date as the dialect stores it). */
function bound(col: Column, value: unknown): Param {
  return new Param(value ?? null, col);
}

/**
 * `INSERT INTO table (columns) VALUES (...), (...)`, one row each, the columns being the keys
 * of the first row; `verb` replaces `INSERT INTO` (e.g. the dialect's insert-or-ignore). The
 * values are one flat list of chunks: seeds insert thousands of rows per statement.
 */
export function insertRows<T extends Table>(
  table: T,
  rows: readonly Partial<T['$inferInsert']>[],
  verb: SQL = sql.raw('INSERT INTO'),
): SQL {
  const keys = Object.keys(rows[0] ?? {});
  if (keys.length === 0) throw new TypeError('nothing to insert');
  const columns = keys.map((key) => column(table, key));
  // Plain chunks, not nested SQL: each nested SQL costs a merge when the query is built.
  const open = new StringChunk('(');
  const comma = new StringChunk(', ');
  const close = new StringChunk(')');
  const chunks: SQLChunk[] = [];
  for (const row of rows) {
    const record = row as Record<string, unknown>;
    if (Object.keys(record).length !== keys.length || !keys.every((key) => key in record)) {
      throw new TypeError(`every row inserted into one statement needs the columns ${keys}`);
    }
    if (chunks.length > 0) chunks.push(comma);
    chunks.push(open);
    columns.forEach((col, i) => {
      if (i > 0) chunks.push(comma);
      chunks.push(bound(col, record[keys[i] as string]));
    });
    chunks.push(close);
  }
  const names = sql.join(
    columns.map((col) => sql.identifier(col.name)),
    comma,
  );
  return sql`${verb} ${table} (${names}) VALUES ${sql.join(chunks)}`;
}

/**
 * `UPDATE table SET column = value, ...` (no WHERE: the caller adds it). Keys whose value is
 * `undefined` are left out, as drizzle's `.set()` does; `null` sets NULL.
 */
export function updateSet<T extends Table>(table: T, values: Partial<T['$inferInsert']>): SQL {
  const record = values as Record<string, unknown>;
  const keys = Object.keys(record).filter((key) => record[key] !== undefined);
  if (keys.length === 0) throw new TypeError('nothing to update');
  const set = sql.join(
    keys.map(
      (key) =>
        sql`${sql.identifier(column(table, key).name)} = ${bound(column(table, key), record[key])}`,
    ),
    sql`, `,
  );
  return sql`UPDATE ${table} SET ${set}`;
}

/**
 * The SQL names of a table's columns by row key, for the raw statements of the ledger and the
 * runs (which take only an executor): every key of the row type, checked by the compiler, and
 * against both schemas by `rows.test.ts`.
 */
export type ColumnNames<Row> = { readonly [K in keyof Row]-?: string };

export const completionLedgerColumns: ColumnNames<CompletionLedgerRow> = {
  orderId: 'order_id',
  state: 'state',
  callId: 'call_id',
  leaseUntil: 'lease_until',
  claimedAt: 'claimed_at',
  notifiedAt: 'notified_at',
  finishedAt: 'finished_at',
  claims: 'claims',
};

export const schedulerRunColumns: ColumnNames<SchedulerRunRow> = {
  id: 'id',
  triggeredBy: 'triggered_by',
  status: 'status',
  requestedAt: 'requested_at',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  updatedAt: 'updated_at',
  holder: 'holder',
  retryOf: 'retry_of',
  retryOutcome: 'retry_outcome',
  retryReason: 'retry_reason',
  expectedCount: 'expected_count',
  pendingCount: 'pending_count',
  settledCount: 'settled_count',
  counts: 'counts',
  detail: 'detail',
  error: 'error',
};

export const schedulerInstanceColumns: ColumnNames<SchedulerInstanceRow> = {
  instance: 'instance',
  mode: 'mode',
  cron: 'cron',
  timezone: 'timezone',
  nextRunAt: 'next_run_at',
  heartbeatAt: 'heartbeat_at',
  heartbeatEveryMs: 'heartbeat_every_ms',
  startedAt: 'started_at',
};

/**
 * `alias.column AS key, ...` for `keys` (default: all) of a `ColumnNames` table, so a raw row
 * comes back under the row type's keys (as a `StoredRow`).
 */
export function selectNamed<Row>(
  names: ColumnNames<Row>,
  alias?: string,
  keys: readonly (keyof Row & string)[] = Object.keys(names) as (keyof Row & string)[],
): SQL {
  const prefix = alias === undefined ? '' : `${alias}.`;
  return sql.join(
    keys.map((key) => sql`${sql.raw(`${prefix}${names[key]}`)} AS ${sql.identifier(key)}`),
    sql`, `,
  );
}
