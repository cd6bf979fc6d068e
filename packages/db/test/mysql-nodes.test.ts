/**
 * Several hosts in one URL, against real MariaDB behind two real TCP proxies (two "nodes" of
 * the same database): statements go to the first listed node, move to the next when it
 * refuses or stops answering, come back once it answers again, and `nodeHealth` says which
 * node answers and which is in use. Migrations started by many replicas at once run one at
 * a time. (A Galera node answering 1047 is shown by the fault suite's Galera mode.)
 */

import { waitUntil } from '@ocs/test-support';
import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isTransientDatabaseError, type OcsDatabase, openDatabase } from '../src/client.js';
import { migrationLockTable } from '../src/mysql/migration-lock.js';
import {
  checkMySqlTestServer,
  createMySqlTestDatabase,
  PartitionProxy,
  type TestDatabase,
} from '../src/testing/index.js';

const server = await checkMySqlTestServer();

/** Both proxies' host:port, first `first`, as a multi-host URL of `database`. */
function listing(database: TestDatabase, ...proxies: PartitionProxy[]): string {
  const single = new URL(database.url);
  const hosts = proxies.map((proxy) => `127.0.0.1:${proxy.port}`).join(',');
  const credentials = single.password
    ? `${single.username}:${single.password}@`
    : single.username
      ? `${single.username}@`
      : '';
  return `mysql://${credentials}${hosts}${single.pathname}${single.search}`;
}

describe.skipIf(!server.available)('MySQL with several hosts', () => {
  let database: TestDatabase;
  let a: PartitionProxy;
  let b: PartitionProxy;
  let ocs: OcsDatabase | undefined;

  beforeAll(async () => {
    database = await createMySqlTestDatabase();
    a = await PartitionProxy.start('node-a', database.url);
    b = await PartitionProxy.start('node-b', database.url);
  });
  afterEach(async () => {
    await a.setMode('forward');
    await b.setMode('forward');
    await ocs?.close().catch(() => undefined);
    ocs = undefined;
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  const open = (queryTimeoutMs = 1000) => {
    ocs = openDatabase({
      url: listing(database, a, b),
      queryTimeoutMs,
      connectTimeoutMs: 500,
      restoreNodeAfterMs: 300,
    });
    return ocs;
  };
  const answer = async (db: OcsDatabase) => {
    const now = await db.clock.now();
    return now instanceof Date;
  };
  const inUse = async (db: OcsDatabase) =>
    (await db.nodeHealth(500)).find((node) => node.inUse)?.name;

  it('uses the first listed node, and reports every node', async () => {
    const db = open();
    expect(await answer(db)).toBe(true);

    const health = await db.nodeHealth(500);

    expect(health).toEqual([
      { name: `127.0.0.1:${a.port}`, up: true, inUse: true },
      { name: `127.0.0.1:${b.port}`, up: true, inUse: false },
    ]);
  });

  it('a node that refuses: statements move to the next at once, and come back once it answers', async () => {
    const db = open();
    await answer(db);
    await a.setMode('refuse');

    // The open connections to A are cut (RST); the statement that finds out fails, and every
    // later one goes to B.
    await answer(db).catch((error: unknown) => {
      expect(isTransientDatabaseError(error)).toBe(true);
    });
    const started = performance.now();
    expect(await answer(db)).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
    const health = await db.nodeHealth(500);
    expect(health.map(({ up, inUse }) => ({ up, inUse }))).toEqual([
      { up: false, inUse: false },
      { up: true, inUse: true },
    ]);
    expect(health[0]?.error).toBeTruthy();

    await a.setMode('forward');
    await waitUntil(async () => (await inUse(db)) === `127.0.0.1:${a.port}`, {
      timeoutMs: 5000,
      what: 'queries on node a',
    });
    expect(await answer(db)).toBe(true);
  });

  it('a node that black-holes: one statement misses its deadline, the next runs on the next node', async () => {
    const db = open(800);
    await answer(db);
    await a.setMode('blackhole');

    const first = await answer(db).then(
      () => null,
      (error: unknown) => error,
    );
    expect(first).toBeInstanceOf(Error);
    expect(isTransientDatabaseError(first)).toBe(true);

    const started = performance.now();
    expect(await answer(db)).toBe(true);
    expect(performance.now() - started).toBeLessThan(800);
    expect(await inUse(db)).toBe(`127.0.0.1:${b.port}`);
  });

  it('every node down: the statement fails with a transient error, nothing hangs', async () => {
    const db = open(800);
    await a.setMode('refuse');
    await b.setMode('refuse');

    const error = await db.clock.now().then(
      () => null,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(Error);
    expect(isTransientDatabaseError(error)).toBe(true);
    await expect(db.ping(500)).rejects.toThrow();
  });

  it('a host list with a bad entry is refused, naming the entry', () => {
    expect(() => openDatabase({ url: 'mysql://root@127.0.0.1:3306,bad host:3306/x' })).toThrow(
      /host.*entry 2 of 2: "bad host:3306"/,
    );
  });
});

describe.skipIf(!server.available)('migrations started by many replicas at once', () => {
  let database: TestDatabase;
  let proxy: PartitionProxy;

  beforeAll(async () => {
    database = await createMySqlTestDatabase();
    proxy = await PartitionProxy.start('migrations', database.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await database?.drop();
  });

  it('five at once on an empty database: all succeed, each migration applied once, the lock freed', async () => {
    const replicas = Array.from({ length: 5 }, (_, i) =>
      openDatabase({ url: i % 2 === 0 ? database.url : proxy.rewrite(database.url) }),
    );
    try {
      const results = await Promise.allSettled(replicas.map((db) => db.migrate()));

      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const connection = await createConnection({ uri: database.url });
      try {
        const [applied] = await connection.query<RowDataPacket[]>(
          'SELECT hash, COUNT(*) AS n FROM __drizzle_migrations GROUP BY hash HAVING n > 1',
        );
        expect(applied).toEqual([]);
        const [lock] = await connection.query<RowDataPacket[]>(
          `SELECT holder FROM ${migrationLockTable}`,
        );
        expect(lock).toEqual([{ holder: '' }]);
      } finally {
        await connection.end();
      }
      // The schema is there: a ledger query answers.
      const [db] = replicas;
      expect(await db?.ledgerQueries.heldClaims()).toEqual({
        heldByOtherCalls: 0,
        oldestClaimAgeMs: null,
        heldForOperator: 0,
      });
    } finally {
      await Promise.all(replicas.map((db) => db.close()));
    }
  });

  it('a migrator that died holding the lock blocks no replica when nothing is left to migrate', async () => {
    const connection = await createConnection({ uri: database.url });
    try {
      // A lease far longer than the test's timeout: waiting for it would fail the test.
      await connection.query(
        `UPDATE ${migrationLockTable} SET holder = 'dead-replica', lease_until = NOW(3) + INTERVAL 10 MINUTE WHERE id = 1`,
      );
      const db = openDatabase({ url: database.url });
      try {
        await db.migrate();
      } finally {
        await db.close();
      }
      const [rows] = await connection.query<RowDataPacket[]>(
        `SELECT holder FROM ${migrationLockTable}`,
      );
      expect(rows).toEqual([{ holder: 'dead-replica' }]);
    } finally {
      await connection.end();
    }
  });

  it('with migrations to apply, a dead migrator blocks the next only until its lease ends', async () => {
    const fresh = await createMySqlTestDatabase();
    const connection = await createConnection({ uri: fresh.url });
    try {
      await connection.query(`CREATE TABLE ${migrationLockTable} (
          id TINYINT NOT NULL PRIMARY KEY, holder VARCHAR(64) NOT NULL, lease_until DATETIME(3) NOT NULL
        ) ENGINE=InnoDB`);
      await connection.query(
        `INSERT INTO ${migrationLockTable} VALUES (1, 'dead-replica', NOW(3) + INTERVAL 1 SECOND)`,
      );
      const db = openDatabase({ url: fresh.url });
      try {
        const started = performance.now();
        await db.migrate();
        const ms = performance.now() - started;
        expect(ms).toBeGreaterThanOrEqual(700);
        expect(ms).toBeLessThan(10_000);
        expect(await db.orders.list({ limit: 1 })).toEqual({ orders: [], nextCursor: null });
      } finally {
        await db.close();
      }
      const [rows] = await connection.query<RowDataPacket[]>(
        `SELECT holder FROM ${migrationLockTable}`,
      );
      expect(rows).toEqual([{ holder: '' }]);
    } finally {
      await connection.end();
      await fresh.drop();
    }
  });
});
