/**
 * What a SQL dialect is to this package: its tables, how to run statements on it (the
 * executor, with the SQL fragments that truly differ) and how to read its errors. Every
 * repository is written once over this description; MySQL and SQLite each provide one, plus
 * their connect function. A new dialect is its schema, its migrations, its description and
 * its connect function.
 */
import type { DatabaseErrorClassifier } from './database-errors.js';
import type { SqlExecutor } from './ledger/sql-executor.js';
import type {
  CompletionCallOrderRow,
  CompletionCallRow,
  CompletionLedgerRow,
  OrderLineRow,
  OrderRow,
  OrderStateRow,
  ProductRow,
  TableOf,
} from './rows.js';

export type DatabaseDialect = 'mysql' | 'sqlite';

/** The dialect's drizzle tables the repositories read and write. */
export interface DialectTables {
  readonly orderStates: TableOf<OrderStateRow>;
  readonly orders: TableOf<OrderRow>;
  readonly orderLines: TableOf<OrderLineRow>;
  readonly products: TableOf<ProductRow>;
  readonly completionCalls: TableOf<CompletionCallRow>;
  readonly completionCallOrders: TableOf<CompletionCallOrderRow>;
  readonly completionLedger: TableOf<CompletionLedgerRow>;
}

export interface SqlDialect {
  readonly name: DatabaseDialect;
  readonly tables: DialectTables;
  readonly executor: SqlExecutor;
  readonly errors: DatabaseErrorClassifier;
  /** The most placeholders one statement may bind. */
  readonly maxPlaceholders: number;
}
