/**
 * The MariaDB side of the benchmark: throwaway databases (created, migrated, seeded, dropped),
 * the server's statement counters, storage per table, and the post-run state check.
 */
import { randomBytes } from 'node:crypto';
import { type OcsDatabase, openDatabase } from '@ocs/db/client';
import { type Connection, createConnection, type RowDataPacket } from 'mysql2/promise';
import { idsByKind, kindExpression, kindIndex, seedOrdersInDatabase } from './sql-seed.js';

export const defaultServerUrl = 'mysql://root@127.0.0.1:3306';

export interface SeededDatabase {
  url: string;
  name: string;
  n: number;
  /** The seed every order's values derive from (see sql-seed.ts), for checks in SQL. */
  randomSeed: number;
  seedSeconds: number;
  /** Ids that pass every default requirement at `now`. */
  eligible: number[];
  /** Ids seeded as FINISHED already. */
  preFinished: number[];
  /** SUBMITTED ids (eligible or not): what the scheduler has pending. */
  submitted: number;
  ids: number[];
  drop(): Promise<void>;
}

/** An empty `ocs_bench_<random>` database on the server, its URL and how to drop it. */
async function createBenchDatabase(serverUrl: string) {
  const name = `ocs_bench_${randomBytes(5).toString('hex')}`;
  await withConnection(serverUrl, (c) => c.query(`CREATE DATABASE \`${name}\``));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const drop = () =>
    withConnection(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS \`${name}\``)).then(
      () => undefined,
    );
  return { name, url: url.toString(), drop };
}

/**
 * Creates `ocs_bench_<random>`, applies the migrations and seeds N generated orders with the
 * realistic mix (about 70% eligible) inside the database (sql-seed.ts). The same `now` and
 * random seed give the same data in every database of one run, so every scenario works on the
 * same shape.
 */
export async function seedDatabase(
  serverUrl: string,
  n: number,
  now: Date,
  randomSeed = 1,
): Promise<SeededDatabase> {
  const { name, url, drop } = await createBenchDatabase(serverUrl);
  let db: OcsDatabase | undefined;
  try {
    db = openDatabase({ url });
    await db.migrate();
    await db.close();
    db = undefined;
    const { firstId, seedSeconds } = await withConnection(url, (c) =>
      seedOrdersInDatabase(c, n, { now, randomSeed }),
    );
    const byKind = idsByKind(firstId, n, randomSeed);
    return {
      url,
      name,
      n,
      randomSeed,
      seedSeconds,
      eligible: byKind.eligible,
      preFinished: byKind.finished,
      submitted: n - byKind.finished.length,
      ids: Array.from({ length: n }, (_, i) => firstId + i),
      drop,
    };
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  } finally {
    await db?.close();
  }
}

/**
 * A second database with exactly the same data: migrated like the first, then the original
 * tables copied server-side (INSERT ... SELECT), much faster than seeding again at 1M.
 */
export async function cloneDatabase(
  serverUrl: string,
  source: SeededDatabase,
): Promise<SeededDatabase> {
  const { name, url, drop } = await createBenchDatabase(serverUrl);
  try {
    const db = openDatabase({ url });
    try {
      await db.migrate();
    } finally {
      await db.close();
    }
    const started = performance.now();
    await withConnection(url, async (c) => {
      await c.query('SET FOREIGN_KEY_CHECKS = 0');
      for (const table of ['ORDER_LINES', 'ORDERS', 'PRODUCTS', 'ORDER_STATES']) {
        await c.query(`DELETE FROM \`${table}\``);
      }
      for (const table of ['ORDER_STATES', 'PRODUCTS', 'ORDERS', 'ORDER_LINES']) {
        await c.query(`INSERT INTO \`${table}\` SELECT * FROM \`${source.name}\`.\`${table}\``);
      }
    });
    return {
      ...source,
      url,
      name,
      seedSeconds: (performance.now() - started) / 1000,
      drop,
    };
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }
}

export async function withConnection<T>(
  url: string,
  fn: (c: Connection) => Promise<T>,
): Promise<T> {
  const connection = await createConnection({ uri: url });
  try {
    return await fn(connection);
  } finally {
    await connection.end();
  }
}

/** `Com_*` and `Questions` from SHOW GLOBAL STATUS. */
export type StatusCounters = Record<string, number>;

export async function readStatus(serverUrl: string): Promise<StatusCounters> {
  return withConnection(serverUrl, async (c) => {
    const [rows] = await c.query<RowDataPacket[]>(
      "SHOW GLOBAL STATUS WHERE Variable_name LIKE 'Com\\_%' OR Variable_name = 'Questions'",
    );
    return Object.fromEntries(rows.map((row) => [row.Variable_name, Number(row.Value)]));
  });
}

export interface SqlStatements {
  /** `Questions`: statements the server executed for clients (the whole MariaDB, see note). */
  questions: number;
  select: number;
  insert: number;
  update: number;
  delete: number;
  begin: number;
  commit: number;
  rollback: number;
  /** Prepared statements executed / prepared (mysql2 `execute`). */
  stmtExecute: number;
  stmtPrepare: number;
  /** Every `Com_*` counter that moved. */
  all: Record<string, number>;
}

/**
 * Deltas of the global counters. They are global: anything else running on the same MariaDB
 * in the window is counted too (the benchmark's own few check queries are outside the window,
 * except one `SHOW GLOBAL STATUS` at each end). `backgroundQuestionsPerSecond` in the results
 * says how busy the server was just before.
 */
export function statementDelta(before: StatusCounters, after: StatusCounters): SqlStatements {
  const d = (key: string) => Math.max(0, (after[key] ?? 0) - (before[key] ?? 0));
  const all: Record<string, number> = {};
  for (const key of Object.keys(after)) {
    if (key.startsWith('Com_') && d(key) > 0) all[key] = d(key);
  }
  return {
    questions: d('Questions'),
    select: d('Com_select'),
    insert: d('Com_insert') + d('Com_insert_select'),
    update: d('Com_update') + d('Com_update_multi'),
    delete: d('Com_delete') + d('Com_delete_multi'),
    begin: d('Com_begin'),
    commit: d('Com_commit'),
    rollback: d('Com_rollback'),
    stmtExecute: d('Com_stmt_execute'),
    stmtPrepare: d('Com_stmt_prepare'),
    all,
  };
}

/** Questions per second on the whole MariaDB while the benchmark is idle. */
export async function backgroundRate(serverUrl: string, windowMs = 500): Promise<number> {
  const before = await readStatus(serverUrl);
  await new Promise((done) => setTimeout(done, windowMs));
  const after = await readStatus(serverUrl);
  // Minus the one SHOW STATUS of ours inside the window.
  return Math.max(0, ((after.Questions ?? 0) - (before.Questions ?? 0) - 1) / (windowMs / 1000));
}

export interface DatabaseCheck {
  /** Eligible orders now FINISHED. */
  eligibleFinished: number;
  /** Eligible orders not FINISHED (should be 0). */
  eligibleNotFinished: number;
  /** FINISHED orders that were neither eligible nor seeded FINISHED (should be 0). */
  wronglyFinished: number;
}

/**
 * Counted inside the database, with each order's kind computed there as the seed computed it,
 * so ten million orders are checked without reading them out.
 */
export async function checkDatabase(seeded: SeededDatabase): Promise<DatabaseCheck> {
  return withConnection(seeded.url, async (c) => {
    const [states] = await c.query<RowDataPacket[]>('SELECT Id, OrderState FROM ORDER_STATES');
    const finishedId = Number(states.find((s) => s.OrderState === 'FINISHED')?.Id);
    const first = seeded.ids[0] ?? 1;
    const last = seeded.ids[seeded.ids.length - 1] ?? 0;
    const kind = kindExpression('o.Id', seeded.randomSeed);
    const [[row]] = (await c.query<RowDataPacket[]>(
      `SELECT
         SUM(k.kind = ? AND k.finished) AS eligibleFinished,
         SUM(k.kind = ? AND NOT k.finished) AS eligibleNotFinished,
         SUM(k.kind NOT IN (?, ?) AND k.finished) AS wronglyFinished
       FROM (SELECT ${kind} AS kind, o.OrderStateId = ? AS finished
             FROM ORDERS o WHERE o.Id BETWEEN ? AND ?) k`,
      [
        kindIndex('eligible'),
        kindIndex('eligible'),
        kindIndex('eligible'),
        kindIndex('finished'),
        finishedId,
        first,
        last,
      ],
    )) as unknown as [RowDataPacket[]];
    const [[outside]] = (await c.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM ORDERS WHERE (Id < ? OR Id > ?) AND OrderStateId = ?',
      [first, last, finishedId],
    )) as unknown as [RowDataPacket[]];
    return {
      eligibleFinished: Number(row?.eligibleFinished ?? 0),
      eligibleNotFinished: Number(row?.eligibleNotFinished ?? 0),
      wronglyFinished: Number(row?.wronglyFinished ?? 0) + Number(outside?.n ?? 0),
    };
  });
}

export interface Storage {
  /** ORDER_STATES, ORDERS, PRODUCTS, ORDER_LINES: the original's tables. */
  originalTablesMb: number;
  /** Every other table: what this service adds (run records, ledger, ...). */
  serviceTablesMb: number;
  byTableMb: Record<string, number>;
}

const originalTables = new Set(['ORDER_STATES', 'ORDERS', 'PRODUCTS', 'ORDER_LINES']);

/** Data + index size per table after ANALYZE (InnoDB's figures are estimates, in pages). */
export async function measureStorage(seeded: SeededDatabase): Promise<Storage> {
  return withConnection(seeded.url, async (c) => {
    const [tables] = await c.query<RowDataPacket[]>(
      'SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
      [seeded.name],
    );
    const names = tables.map((t) => t.TABLE_NAME as string);
    if (names.length > 0) {
      await c.query(`ANALYZE TABLE ${names.map((name) => `\`${name}\``).join(', ')}`);
    }
    const [sizes] = await c.query<RowDataPacket[]>(
      'SELECT TABLE_NAME, DATA_LENGTH + INDEX_LENGTH AS bytes FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
      [seeded.name],
    );
    const byTableMb: Record<string, number> = {};
    let original = 0;
    let service = 0;
    for (const row of sizes) {
      const bytes = Number(row.bytes);
      byTableMb[row.TABLE_NAME] = Math.round((bytes / 2 ** 20) * 10) / 10;
      if (originalTables.has(row.TABLE_NAME)) original += bytes;
      else service += bytes;
    }
    return {
      originalTablesMb: Math.round((original / 2 ** 20) * 10) / 10,
      serviceTablesMb: Math.round((service / 2 ** 20) * 10) / 10,
      byTableMb,
    };
  });
}
