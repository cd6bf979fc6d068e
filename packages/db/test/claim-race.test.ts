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

const t0 = new Date('2026-06-15T00:00:00.000Z');
const lease = new Date(t0.getTime() + 60_000);

/** `db`, except that every read first deletes `orderId`'s ledger row (another call's release). */
function releasingBeforeReads(db: SqlExecutor, orderId: number): SqlExecutor {
  return {
    ...db,
    async all<T>(query: SQL) {
      await db.run(sql`DELETE FROM completion_ledger WHERE order_id = ${orderId}`);
      return db.all<T>(query);
    },
    write: (work) => db.write((inner) => work(releasingBeforeReads(inner, orderId))),
    transaction: (work) => db.transaction((inner) => work(releasingBeforeReads(inner, orderId))),
  };
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
    await connection.ledger.claim({ runId: 'other', orderIds: [2], now: t0, leaseUntil: lease });
    const ledger = new SqlCompletionLedger(releasingBeforeReads(connection.executor, 2), 1000);

    const result = await ledger.claim({
      runId: 'mine',
      orderIds: [3, 1, 2],
      now: t0,
      leaseUntil: lease,
    });

    expect(result).toEqual({ toNotify: [1, 3], alreadyNotified: [], claimedElsewhere: [2] });
  });
});
