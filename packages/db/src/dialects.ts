/**
 * The dialects `openDatabase` knows, by URL prefix: each with its connect function and its
 * error classifier. A new dialect is one line here (after its schema, migrations, description
 * and connect function).
 */

import type { DialectConnection } from './database.js';
import type { DatabaseErrorClassifier } from './database-errors.js';
import { openMySql } from './mysql/mysql-database.js';
import { mysqlErrors } from './mysql/mysql-errors.js';
import type { OpenDatabaseOptions } from './open-options.js';
import { openSqlite } from './sqlite/sqlite-database.js';
import { sqliteErrors } from './sqlite/sqlite-dialect.js';

export interface RegisteredDialect {
  /** URLs starting with this open this dialect. */
  prefix: string;
  open(url: string, options: OpenDatabaseOptions): DialectConnection;
  errors: DatabaseErrorClassifier;
}

export const dialects: readonly RegisteredDialect[] = [
  { prefix: 'mysql://', open: openMySql, errors: mysqlErrors },
  { prefix: 'file:', open: openSqlite, errors: sqliteErrors },
];
