/**
 * A deadline on every wait, against real MariaDB behind a real TCP proxy: a statement on a
 * black-holed connection (packets dropped, no RST, no FIN) fails within its deadline with an
 * error the ledger's write retry treats as transient, a refused one fails at once, the stuck
 * connection is never reused, and the server itself stops a statement past the limit.
 * Durations are checked only as upper bounds, with slack for a loaded two-core machine.
 */
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DatabaseDeadlineError,
  isTransientDatabaseError,
  type OcsDatabase,
  openDatabase,
} from '../src/client.js';
import { connectMySql, type MySqlConnection } from '../src/mysql/mysql-database.js';
import {
  checkMySqlTestServer,
  createMySqlTestDatabase,
  PartitionProxy,
  type TestDatabase,
} from '../src/testing/index.js';

const server = await checkMySqlTestServer();

async function failure(work: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = performance.now();
  try {
    await work;
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  throw new Error('expected the statement to fail');
}

describe.skipIf(!server.available)('MySQL deadlines through a TCP proxy', () => {
  let database: TestDatabase;
  let proxy: PartitionProxy;
  let mysql: MySqlConnection | undefined;
  let ocs: OcsDatabase | undefined;

  beforeAll(async () => {
    database = await createMySqlTestDatabase();
    proxy = await PartitionProxy.start('database', database.url);
  });
  afterEach(async () => {
    await proxy.setMode('forward');
    await mysql?.close().catch(() => undefined);
    await ocs?.close().catch(() => undefined);
    mysql = undefined;
    ocs = undefined;
  });
  afterAll(async () => {
    await proxy?.close();
    await database?.drop();
  });

  const connect = (queryTimeoutMs: number) => {
    mysql = connectMySql(proxy.rewrite(database.url), { queryTimeoutMs, connectionLimit: 2 });
    return mysql;
  };

  it('a statement on a black-holed connection fails within its deadline, as a transient error', async () => {
    const { db } = connect(1000);
    await db.execute(sql`SELECT 1`); // the pool holds an open connection now
    await proxy.setMode('blackhole');

    const { error, ms } = await failure(db.execute(sql`SELECT 1`));

    expect(error).toBeInstanceOf(Error);
    expect(isTransientDatabaseError(error)).toBe(true);
    expect(String((error as Error).message) + String((error as Error).cause)).toMatch(
      /did not answer within 1000 ms/,
    );
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(2500);
  });

  it('drops the connection that missed its deadline: after the partition heals, statements answer', async () => {
    const { db, nodes } = connect(800);
    const pool = nodes.current.pool;
    await db.execute(sql`SELECT 1`);
    await proxy.setMode('blackhole');
    await failure(db.execute(sql`SELECT 1`));
    await proxy.setMode('forward');

    // Had the stuck connection gone back to the pool, this would wait behind its command.
    const [rows] = await db.execute(sql`SELECT 41 + 1 AS answer`);
    expect((rows as unknown as { answer: number }[])[0]?.answer).toBe(42);
    const core = (pool as unknown as { pool: { _allConnections: { length: number } } }).pool;
    expect(core._allConnections.length).toBe(1);
  });

  it('a transaction on a black-holed connection fails within its statement deadline', async () => {
    const { db } = connect(1000);
    await db.execute(sql`CREATE TABLE IF NOT EXISTS deadline_probe (id INT PRIMARY KEY)`);
    const { error, ms } = await failure(
      db.transaction(async (tx) => {
        await tx.execute(sql`INSERT INTO deadline_probe (id) VALUES (1)`);
        await proxy.setMode('blackhole');
        await tx.execute(sql`INSERT INTO deadline_probe (id) VALUES (2)`);
      }),
    );
    expect(isTransientDatabaseError(error)).toBe(true);
    // The statement's deadline, then the rollback on the dropped connection fails at once.
    expect(ms).toBeLessThan(2500);
    await proxy.setMode('forward');
    const [rows] = await db.execute(sql`SELECT COUNT(*) AS n FROM deadline_probe`);
    expect(Number((rows as unknown as { n: number }[])[0]?.n)).toBe(0);
  });

  it('a new connection into a black hole fails within the statement deadline, not the connect timeout', async () => {
    const { db } = connect(1000);
    await proxy.setMode('blackhole'); // before the pool opened any connection: the handshake never comes
    const { error, ms } = await failure(db.execute(sql`SELECT 1`));
    expect(error).toBeInstanceOf(Error);
    expect(isTransientDatabaseError(error)).toBe(true);
    expect(ms).toBeLessThan(2500);
  });

  it('a refused connection fails fast, as a transient error', async () => {
    const { db } = connect(10_000);
    await proxy.setMode('refuse');
    const { error, ms } = await failure(db.execute(sql`SELECT 1`));
    expect(isTransientDatabaseError(error)).toBe(true);
    expect(ms).toBeLessThan(1500);
  });

  it('ping answers within its own short deadline when the database does not', async () => {
    ocs = openDatabase({ url: proxy.rewrite(database.url), queryTimeoutMs: 10_000 });
    await ocs.ping();
    await proxy.setMode('blackhole');
    const { error, ms } = await failure(ocs.ping(800));
    expect(error).toBeInstanceOf(DatabaseDeadlineError);
    expect(ms).toBeLessThan(1300);
    // Also when the pool must open a connection to answer.
    await ocs.close();
    ocs = openDatabase({ url: proxy.rewrite(database.url) });
    const fresh = await failure(ocs.ping());
    expect(fresh.error).toBeInstanceOf(DatabaseDeadlineError);
    expect(fresh.ms).toBeLessThan(1300);
  });

  it('sets the server-side statement limit on every pooled connection: MariaDB stops a longer statement', async () => {
    const { db } = connect(1500);
    const [rows] = await db.execute(sql`SELECT @@max_statement_time AS limitSeconds`);
    expect(Number((rows as unknown as { limitSeconds: unknown }[])[0]?.limitSeconds)).toBe(1.5);
    const { error } = await failure(db.execute(sql`SELECT SLEEP(5)`));
    // Either the server's 1969 or the client's deadline, whichever came first: both transient.
    expect(isTransientDatabaseError(error)).toBe(true);
  });

  it('migrations run on their own connection, without the pool statement limit', async () => {
    const { migrate } = connect(1000);
    await migrate();
    await migrate(); // nothing pending the second time
  });
});
