/**
 * An installation that recorded calls before they were named calls (the tables
 * `completion_runs` / `completion_run_orders`, outcomes under their old names): migrating it
 * keeps every row, and they read back under the outcome table's keys (mapped at the read, not
 * rewritten). On MariaDB and on the embedded database, from the migrations as they stood then.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { drizzle as drizzleSqlite } from 'drizzle-orm/libsql';
import { migrate as migrateSqlite } from 'drizzle-orm/libsql/migrator';
import { drizzle as drizzleMySql } from 'drizzle-orm/mysql2';
import { migrate as migrateMySql } from 'drizzle-orm/mysql2/migrator';
import { createConnection } from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { type OcsDatabase, openDatabase } from '../src/client.js';
import { mysqlMigrationsFolder } from '../src/mysql/mysql-database.js';
import { sqliteMigrationsFolder } from '../src/sqlite/sqlite-database.js';
import {
  checkMySqlTestServer,
  createEmbeddedTestDatabase,
  createMySqlTestDatabase,
} from '../src/testing/index.js';

const server = await checkMySqlTestServer();
const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** The migrations folder as it was before `tag` (that one and the later ones left out). */
function migrationsBefore(folder: string, tag: string): string {
  const copy = mkdtempSync(join(tmpdir(), 'ocs-migrations-'));
  folders.push(copy);
  cpSync(folder, copy, { recursive: true });
  const journalPath = join(copy, 'meta/_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { tag: string }[] };
  const at = journal.entries.findIndex((e) => e.tag === tag);
  expect(at).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, at);
  writeFileSync(journalPath, JSON.stringify(journal));
  return copy;
}

const oldRows: [number, string, string | null][] = [
  [11, 'not-found', null],
  [
    12,
    'requirements-failed',
    JSON.stringify([{ requirement: 'order-age', code: 'ORDER.TOO_RECENT', message: 'new' }]),
  ],
  [
    13,
    'notification-failed',
    JSON.stringify({ kind: 'circuit-open', message: 'open', attempts: 0 }),
  ],
  [14, 'update-failed', JSON.stringify({ code: 'UPDATE.FAILED', message: 'rolled back' })],
  [
    15,
    'update-failed',
    JSON.stringify({ code: 'UPDATE.NOT_SUBMITTED', message: 'finished by another' }),
  ],
  [16, 'claimed-elsewhere', JSON.stringify({ code: 'CLAIM.CLAIMED_ELSEWHERE', message: 'held' })],
];

const expected: [number, string][] = [
  [11, 'not_found'],
  [12, 'failed_requirements'],
  [13, 'not_notified'],
  [14, 'not_updated'],
  [15, 'finished_elsewhere'],
  [16, 'claimed_elsewhere'],
];

/** Each old row through the repositories: its order's history and the call's response. */
async function readBack(db: OcsDatabase) {
  const history: [number, string][] = [];
  for (const [orderId] of expected) {
    const [entry] = await db.ledgerQueries.orderHistory(orderId, 5);
    history.push([orderId, entry?.outcome ?? '(none)']);
  }
  expect(history).toEqual(expected);
  const call = await db.calls.findById('old-call');
  expect(call?.response.notFoundOrderIds).toEqual([11]);
  expect(call?.response.unsuccessfulOrders.map((o) => o.orderId)).toEqual([12]);
  expect(call?.response.unsuccessfullyNotifiedOrders.map((o) => o.orderId)).toEqual([13]);
  expect(call?.response.unsuccessfullyUpdatedOrders.map((o) => o.orderId)).toEqual([14, 15]);
  expect(call?.response.claimedElsewhereOrders.map((o) => o.orderId)).toEqual([16]);
  expect(call?.counts.not_found).toBe(1);
}

describe('calls stored before the rename', () => {
  it.skipIf(!server.available)('MariaDB: migrated, they read back under the keys', async () => {
    const testDb = await createMySqlTestDatabase();
    const raw = await createConnection({ uri: testDb.url, multipleStatements: true });
    try {
      await migrateMySql(drizzleMySql(raw), {
        migrationsFolder: migrationsBefore(mysqlMigrationsFolder, '0004_calls_renamed'),
      });
      await raw.query(
        `INSERT INTO completion_runs (id, started_at, finished_at, requested_count, outcome,
           completed_count, failed_count, not_found_count) VALUES ('old-call', NOW(3), NOW(3), 6, 'COMPLETED', 0, 6, 1)`,
      );
      for (const [orderId, outcome, reason] of oldRows) {
        await raw.query(
          'INSERT INTO completion_run_orders (run_id, order_id, outcome, reason) VALUES (?, ?, ?, ?)',
          ['old-call', orderId, outcome, reason],
        );
      }
      const db = openDatabase({ url: testDb.url });
      await db.migrate();
      await readBack(db);
      await db.close();
    } finally {
      await raw.end();
      await testDb.drop();
    }
  });

  it('embedded: migrated, they read back under the keys', async () => {
    const testDb = await createEmbeddedTestDatabase();
    const raw = createClient({ url: testDb.url });
    try {
      await migrateSqlite(drizzleSqlite(raw), {
        migrationsFolder: migrationsBefore(sqliteMigrationsFolder, '0005_calls_renamed'),
      });
      await raw.execute(
        `INSERT INTO completion_runs (id, started_at, finished_at, requested_count, outcome,
           completed_count, failed_count, not_found_count) VALUES ('old-call', 0, 0, 6, 'COMPLETED', 0, 6, 1)`,
      );
      for (const [orderId, outcome, reason] of oldRows) {
        await raw.execute({
          sql: 'INSERT INTO completion_run_orders (run_id, order_id, outcome, reason) VALUES (?, ?, ?, ?)',
          args: ['old-call', orderId, outcome, reason],
        });
      }
      raw.close();
      const db = openDatabase({ url: testDb.url });
      await db.migrate();
      await readBack(db);
      await db.close();
    } finally {
      await testDb.drop();
    }
  });
});
