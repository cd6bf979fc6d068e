/**
 * A claim racing another call's release, on the embedded database: the release lands between
 * this call's ignored insert and its read-back, so the order's row is gone when it is read.
 */
import { type SQL, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlCompletionLedger } from '../src/ledger/sql-completion-ledger.js';
import type { SqlExecutor } from '../src/ledger/sql-executor.js';
import { connectSqlite, type SqliteConnection } from '../src/sqlite/sqlite-database.js';
import { createEmbeddedTestDatabase, type TestDatabase } from '../src/testing/index.js';

/**
 * `db`, except that every read after a write first deletes `orderId`'s ledger row (another
 * call's release landing after this call's insert).
 */
function releasingBeforeReads(db: SqlExecutor, orderId: number): SqlExecutor {
  const state = { wrote: false };
  const over = (inner: SqlExecutor): SqlExecutor => ({
    ...inner,
    async run(query: SQL) {
      state.wrote = true;
      return inner.run(query);
    },
    async all<T>(query: SQL) {
      if (state.wrote)
        await inner.run(sql`DELETE FROM completion_ledger WHERE order_id = ${orderId}`);
      return inner.all<T>(query);
    },
    write: (work) => inner.write((next) => work(over(next))),
    transaction: (work) => inner.transaction((next) => work(over(next))),
  });
  return over(db);
}

describe('claim racing a release', () => {
  let database: TestDatabase;
  let connection: SqliteConnection;

  beforeAll(async () => {
    database = await createEmbeddedTestDatabase();
    connection = connectSqlite(database.url);
    await connection.migrate();
  });

  afterAll(async () => {
    connection?.client.close();
    await database?.drop();
  });

  it('reports an order whose row vanished before the read as claimed elsewhere', async () => {
    await connection.ledger.claim({ callId: 'other', orderIds: [2], leaseMs: 60_000 });
    const ledger = new SqlCompletionLedger(releasingBeforeReads(connection.executor, 2), 1000);

    const result = await ledger.claim({
      callId: 'mine',
      orderIds: [3, 1, 2],
      leaseMs: 60_000,
    });

    expect(result).toEqual({ toNotify: [1, 3], alreadyNotified: [], claimedElsewhere: [2] });
  });
});
