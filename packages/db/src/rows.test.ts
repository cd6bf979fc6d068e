import { getTableColumns, type Table } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  type ColumnNames,
  completionLedgerColumns,
  schedulerInstanceColumns,
  schedulerRunColumns,
} from './rows.js';
import * as mysql from './schema/mysql-schema.js';
import * as sqlite from './schema/sqlite-schema.js';

const namesOf = (table: Table) =>
  Object.fromEntries(Object.entries(getTableColumns(table)).map(([key, col]) => [key, col.name]));

describe.each([
  ['MySQL', mysql],
  ['SQLite', sqlite],
])('the column names of the raw statements, against the %s schema', (_name, schema) => {
  it.each<[string, Table, ColumnNames<unknown>]>([
    ['completion_ledger', schema.completionLedger, completionLedgerColumns],
    ['scheduler_runs', schema.schedulerRuns, schedulerRunColumns],
    ['scheduler_instances', schema.schedulerInstances, schedulerInstanceColumns],
  ])('%s', (_table, table, names) => {
    expect(names).toEqual(namesOf(table));
  });
});
