import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTransientDatabaseError, openDatabase } from '../src/client.js';
import { buildMySqlConnectionString } from '../src/connection-string.js';
import {
  checkMySqlTestServer,
  createEmbeddedTestDatabase,
  createMySqlTestDatabase,
  mySqlTestServerUrl,
  probeMySqlServer,
  type TestDatabase,
} from '../src/testing/index.js';

const server = await checkMySqlTestServer();

describe('probeMySqlServer', () => {
  // Port 1 on localhost refuses connections at once.
  const unreachable = 'mysql://root@127.0.0.1:1';

  it('when the server is unreachable in CI, fails loudly', async () => {
    await expect(probeMySqlServer(unreachable, { ci: true })).rejects.toThrow(/CI=true/);
  });

  it('when the server is unreachable locally, reports why the suites skip', async () => {
    const result = await probeMySqlServer(unreachable, { ci: false });
    expect(result.available).toBe(false);
    expect(result.skipReason).toContain('127.0.0.1:1');
  });
});

describe.skipIf(!server.available)('a built connection string against MariaDB', () => {
  const password = 'p@ss:w/rd#1';
  const user = `ocs_u_${randomBytes(4).toString('hex')}`;
  let database: TestDatabase;

  const admin = () => createConnection({ uri: mySqlTestServerUrl() });

  beforeAll(async () => {
    database = await createMySqlTestDatabase();
    const connection = await admin();
    try {
      await connection.query('CREATE USER ?@? IDENTIFIED BY ?', [user, '%', password]);
      await connection.query(`GRANT ALL ON \`${database.name}\`.* TO ?@?`, [user, '%']);
    } finally {
      await connection.end();
    }
  });

  afterAll(async () => {
    const connection = await admin();
    try {
      await connection.query('DROP USER IF EXISTS ?@?', [user, '%']);
    } finally {
      await connection.end();
    }
    await database?.drop();
  });

  it('logs in with a password full of URL delimiters through mysql2', async () => {
    const server = new URL(mySqlTestServerUrl());
    const url = buildMySqlConnectionString({
      host: server.hostname,
      port: Number(server.port || 3306),
      user,
      password,
      database: database.name,
    });
    const connection = await createConnection({ uri: url });
    try {
      const [rows] = await connection.query('SELECT CURRENT_USER() AS who, DATABASE() AS db');
      expect(rows).toEqual([{ who: `${user}@%`, db: database.name }]);
    } finally {
      await connection.end();
    }

    const db = openDatabase({ url });
    try {
      await db.ping();
      expect(db.dialect).toBe('mysql');
      expect(db.redactedUrl).not.toContain(encodeURIComponent(password));
    } finally {
      await db.close();
    }
  });
});

describe.skipIf(!server.available)('transient errors and pool usage (MariaDB)', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createMySqlTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('a killed connection and a refused one are transient; a bad statement is not', async () => {
    const connection = await createConnection({ uri: database.url });
    const admin = await createConnection({ uri: database.url });
    try {
      const [[row]] = (await connection.query('SELECT CONNECTION_ID() AS id')) as unknown as [
        { id: number }[],
      ];
      await admin.query(`KILL ${Number(row?.id)}`);
      const killed = await connection.query('SELECT 1').catch((error: unknown) => error);
      expect(killed).toBeInstanceOf(Error);
      expect(isTransientDatabaseError(killed)).toBe(true);

      const refused = await createConnection({ uri: 'mysql://root@127.0.0.1:1' }).catch(
        (error: unknown) => error,
      );
      expect(isTransientDatabaseError(refused)).toBe(true);

      const bad = await admin.query('SELECT * FROM no_such_table').catch((error: unknown) => error);
      expect(bad).toBeInstanceOf(Error);
      expect(isTransientDatabaseError(bad)).toBe(false);
    } finally {
      connection.destroy();
      await admin.end();
    }
  });

  it('reports the MySQL pool: its limit, open and idle connections, waiting queries', async () => {
    const db = openDatabase({ url: database.url, connectionLimit: 3 });
    try {
      expect(db.poolStats()).toEqual({ limit: 3, open: 0, idle: 0, waiting: 0 });
      await Promise.all([db.ping(), db.ping()]);
      const stats = db.poolStats();
      expect(stats?.open).toBeGreaterThanOrEqual(1);
      expect(stats?.idle).toBe(stats?.open);
      expect(stats?.waiting).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('has no pool to report on the embedded database', async () => {
    const embedded = await createEmbeddedTestDatabase();
    const db = openDatabase({ url: embedded.url });
    try {
      expect(db.poolStats()).toBeNull();
    } finally {
      await db.close();
      await embedded.drop();
    }
  });
});
