/**
 * The throwaway MariaDB databases of the suite: create, migrate and seed (through @ocs/db, the
 * way an operator would), snapshot the original four tables, break connections on purpose, drop.
 */
import { randomBytes } from 'node:crypto';
import {
  type GeneratedOrdersResult,
  openDatabase,
  realisticMix,
  seedGeneratedOrders,
} from '@ocs/db/client';
import { type Connection, createConnection, type RowDataPacket } from 'mysql2/promise';

/**
 * The server the suite's databases live on, read at each use: the Galera mode points it at a
 * node of its cluster once the cluster is up.
 */
export function mysqlServerUrl(): string {
  return process.env.MYSQL_TEST_URL || 'mysql://root@127.0.0.1:3306';
}

async function admin<T>(fn: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await createConnection({ uri: mysqlServerUrl(), connectTimeout: 5000 });
  try {
    return await fn(connection);
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

/** Fails loudly (the suite is about MariaDB) when the server does not answer a real login. */
export async function requireMariaDb(): Promise<string> {
  try {
    return await admin(async (c) => {
      const [rows] = await c.query<RowDataPacket[]>('SELECT VERSION() AS v');
      return String(rows[0]?.v);
    });
  } catch (error) {
    throw new Error(
      `The fault suite needs MariaDB/MySQL at ${mysqlServerUrl().replace(/\/\/[^@]*@/, '//***@')} ` +
        `(set MYSQL_TEST_URL): ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

export interface FaultDatabase {
  name: string;
  url: string;
  seed: GeneratedOrdersResult;
  drop(): Promise<void>;
}

/**
 * Creates `ocs_faults_<random>`, applies the migrations and seeds `orders` generated orders
 * (the realistic mix, ~70% eligible; `randomSeed` fixed so two installations get equal data).
 */
export async function createSeededDatabase(
  orders: number,
  randomSeed = 1,
  now = new Date(),
): Promise<FaultDatabase> {
  const name = `ocs_faults_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE \`${name}\``));
  const url = new URL(mysqlServerUrl());
  url.pathname = `/${name}`;
  const database = openDatabase({ url: url.toString() });
  let seed: GeneratedOrdersResult;
  try {
    await database.migrate();
    seed = await seedGeneratedOrders(database, orders, { mix: realisticMix, randomSeed, now });
  } finally {
    await database.close();
  }
  return {
    name,
    url: url.toString(),
    seed,
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS \`${name}\``)).then(() => {}),
  };
}

/** `ocs_faults_<random>` with nothing in it: for replicas that migrate it themselves. */
export async function createEmptyDatabase(): Promise<Omit<FaultDatabase, 'seed'>> {
  const name = `ocs_faults_${randomBytes(5).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE \`${name}\``));
  const url = new URL(mysqlServerUrl());
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS \`${name}\``)).then(() => {}),
  };
}

/** Seeds `orders` generated orders into a migrated database (the realistic mix). */
export async function seedInto(url: string, orders: number): Promise<GeneratedOrdersResult> {
  const database = openDatabase({ url });
  try {
    return await seedGeneratedOrders(database, orders, { mix: realisticMix, randomSeed: 1 });
  } finally {
    await database.close();
  }
}

/**
 * Drops databases a crashed earlier run of this suite left behind — not those of a suite
 * running beside this one on the same server (another worktree, another engineer): a database
 * with a connection, or whose tables were created in the last 15 minutes, is in use.
 */
export async function dropLeftovers(): Promise<void> {
  await admin(async (c) => {
    const [rows] = await c.query<RowDataPacket[]>(
      `SELECT s.SCHEMA_NAME AS name,
              (SELECT COUNT(*) FROM information_schema.PROCESSLIST p WHERE p.DB = s.SCHEMA_NAME) AS connections,
              (SELECT MAX(t.CREATE_TIME) > NOW() - INTERVAL 15 MINUTE FROM information_schema.TABLES t
                WHERE t.TABLE_SCHEMA = s.SCHEMA_NAME) AS recent
         FROM information_schema.SCHEMATA s WHERE s.SCHEMA_NAME LIKE 'ocs\\_faults\\_%'`,
    );
    for (const row of rows) {
      if (Number(row.connections) > 0 || Number(row.recent) === 1) continue;
      await c.query(`DROP DATABASE IF EXISTS \`${String(row.name)}\``);
    }
  });
}

export async function query<T extends RowDataPacket>(
  databaseUrl: string,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  const connection = await createConnection({ uri: databaseUrl, connectTimeout: 5000 });
  try {
    const [rows] = await connection.query<T[]>(sql, values);
    return rows;
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

/** The original four tables, row by row (primary key -> the row as JSON). */
export interface Snapshot {
  tables: Record<string, Map<number, string>>;
  /** OrderStateId of each OrderState name. */
  stateIds: Record<string, number>;
}

const snapshotQueries: Record<string, string> = {
  ORDER_STATES: 'SELECT Id, OrderState FROM ORDER_STATES',
  PRODUCTS: 'SELECT Id, ProductName FROM PRODUCTS',
  ORDERS:
    "SELECT Id, DATE_FORMAT(OrderDate, '%Y-%m-%d %H:%i:%s.%f') AS OrderDate, OrderStateId FROM ORDERS",
  ORDER_LINES: 'SELECT Id, OrderId, ProductId, OrderedQuantity, DeliveredQuantity FROM ORDER_LINES',
};

export async function snapshot(databaseUrl: string): Promise<Snapshot> {
  const connection = await createConnection({ uri: databaseUrl, connectTimeout: 5000 });
  try {
    const tables: Record<string, Map<number, string>> = {};
    for (const [table, sql] of Object.entries(snapshotQueries)) {
      const [rows] = await connection.query<RowDataPacket[]>(sql);
      tables[table] = new Map(rows.map((row) => [Number(row.Id), JSON.stringify(row)]));
    }
    const stateIds: Record<string, number> = {};
    for (const row of tables.ORDER_STATES?.values() ?? []) {
      const { Id, OrderState } = JSON.parse(row) as { Id: number; OrderState: string };
      stateIds[OrderState] = Id;
    }
    return { tables, stateIds };
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

export interface SnapshotDiff {
  /** Order ids that went SUBMITTED -> FINISHED and nothing else. */
  finished: Set<number>;
  /** Every other difference, described (rows added, removed or changed). */
  unexpected: string[];
}

export function diffSnapshots(before: Snapshot, after: Snapshot): SnapshotDiff {
  const finished = new Set<number>();
  const unexpected: string[] = [];
  const submitted = before.stateIds.SUBMITTED;
  const finishedId = before.stateIds.FINISHED;
  for (const [table, rowsBefore] of Object.entries(before.tables)) {
    const rowsAfter = after.tables[table] ?? new Map<number, string>();
    for (const [id, row] of rowsBefore) {
      const now = rowsAfter.get(id);
      if (now === undefined) {
        unexpected.push(`${table} ${id} deleted`);
        continue;
      }
      if (now === row) continue;
      if (table === 'ORDERS') {
        const was = JSON.parse(row) as Record<string, unknown>;
        const is = JSON.parse(now) as Record<string, unknown>;
        if (
          was.OrderDate === is.OrderDate &&
          was.OrderStateId === submitted &&
          is.OrderStateId === finishedId
        ) {
          finished.add(id);
          continue;
        }
      }
      unexpected.push(`${table} ${id} changed: ${row} -> ${now}`);
    }
    for (const id of rowsAfter.keys()) {
      if (!rowsBefore.has(id)) unexpected.push(`${table} ${id} inserted`);
    }
  }
  return { finished, unexpected };
}

/**
 * Kills every connection to `databaseName` except the caller's, from a separate root
 * connection (`SHOW PROCESSLIST` + `KILL`); MariaDB itself keeps running for other suites.
 */
export async function killConnections(admin: Connection, databaseName: string): Promise<number> {
  const [rows] = await admin.query<RowDataPacket[]>(
    'SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()',
    [databaseName],
  );
  let killed = 0;
  for (const row of rows) {
    try {
      await admin.query(`KILL ${Number(row.ID)}`);
      killed++;
    } catch {
      // It ended on its own meanwhile.
    }
  }
  return killed;
}

/**
 * "The database is down for `ms`": every connection to it is killed again and again, every
 * `everyMs`, so no query on it can finish. Resolves with the number of connections killed.
 */
export async function killConnectionsFor(
  databaseName: string,
  ms: number,
  everyMs = 50,
): Promise<number> {
  const connection = await createConnection({ uri: mysqlServerUrl(), connectTimeout: 5000 });
  try {
    let killed = 0;
    const until = Date.now() + ms;
    while (Date.now() < until) {
      killed += await killConnections(connection, databaseName);
      await new Promise((done) => setTimeout(done, everyMs));
    }
    return killed;
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

/**
 * How far (days) the closest order date is from the six-month boundary as the database's clock
 * sees it: a replica whose clock is off by hours must not change which orders are eligible.
 */
export async function boundaryMarginDays(databaseUrl: string): Promise<number> {
  const rows = await query<{ margin: number | null } & RowDataPacket>(
    databaseUrl,
    'SELECT MIN(ABS(TIMESTAMPDIFF(SECOND, OrderDate, NOW() - INTERVAL 6 MONTH))) / 86400 AS margin FROM ORDERS',
  );
  return Number(rows[0]?.margin ?? Number.POSITIVE_INFINITY);
}
