/**
 * One migrator at a time, however many replicas start at once and on whichever nodes of a
 * cluster. `GET_LOCK` and row locks are not seen across MariaDB Galera nodes, so the lock is a
 * guarded row: a migrator takes it with one autocommit UPDATE that only matches a free or
 * expired row (Galera's certification lets one of two such UPDATEs on different nodes commit;
 * the other fails with 1213, or is retried by Galera and matches nothing), renews it while
 * the migrations run, and frees it at the end. The others wait and then take it in turn,
 * finding nothing left to apply. A migrator that dies holds it only until its lease ends.
 *
 * The table is created with `CREATE TABLE IF NOT EXISTS` before the migrations (which cannot
 * create the table that guards them); DDL in Galera is replicated in total order.
 */
import { randomUUID } from 'node:crypto';
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { mysqlErrors } from './mysql-errors.js';

export const migrationLockTable = 'ocs_migration_lock';

export interface MigrationLockOptions {
  /** The lease of the lock; renewed every third of it. Default 30,000 ms. */
  leaseMs?: number;
  /** How long to wait for another migrator before giving up. Default 600,000 ms. */
  waitMs?: number;
  /** How often a waiting migrator tries again. Default 250 ms. */
  pollMs?: number;
  holder?: string;
}

/** The migrator gave up waiting for the one that holds the lock. */
export class MigrationLockTimeoutError extends Error {
  override name = 'MigrationLockTimeoutError';
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

export async function withMigrationLock<T>(
  connection: Connection,
  work: () => Promise<T>,
  options: MigrationLockOptions = {},
): Promise<T> {
  const leaseMs = options.leaseMs ?? 30_000;
  const waitMs = options.waitMs ?? 600_000;
  const pollMs = options.pollMs ?? 250;
  const holder = options.holder ?? randomUUID();
  // Reads on this connection see what other nodes committed (Galera); elsewhere a no-op or
  // an unknown variable, which is fine.
  await connection.query('SET SESSION wsrep_sync_wait = 1').catch(() => undefined);
  await connection.query(`CREATE TABLE IF NOT EXISTS ${migrationLockTable} (
      id TINYINT NOT NULL PRIMARY KEY,
      holder VARCHAR(64) NOT NULL,
      lease_until DATETIME(3) NOT NULL
    ) ENGINE=InnoDB`);

  const take = async (): Promise<boolean> => {
    try {
      await connection.query(
        `INSERT IGNORE INTO ${migrationLockTable} (id, holder, lease_until) VALUES (1, '', NOW(3))`,
      );
      const [result] = await connection.query<ResultSetHeader>(
        `UPDATE ${migrationLockTable}
          SET holder = ?, lease_until = NOW(3) + INTERVAL ? MICROSECOND
          WHERE id = 1 AND (holder = '' OR holder = ? OR lease_until <= NOW(3))`,
        [holder, leaseMs * 1000, holder],
      );
      return result.affectedRows === 1;
    } catch (error) {
      // Lost a certification or a deadlock, or waited too long: lost this round, not an error.
      if (mysqlErrors.isLockConflict(error)) return false;
      throw error;
    }
  };

  const started = performance.now();
  while (!(await take())) {
    if (performance.now() - started > waitMs) {
      const [rows] = await connection
        .query<RowDataPacket[]>(`SELECT holder, lease_until FROM ${migrationLockTable}`)
        .catch(() => [[] as RowDataPacket[]]);
      throw new MigrationLockTimeoutError(
        `Waited ${Math.round(waitMs / 1000)} s for another migrator (${String(rows[0]?.holder ?? 'unknown')}, lease until ${String(rows[0]?.lease_until ?? '?')}) to finish the migrations`,
      );
    }
    await sleep(pollMs);
  }

  let renewal: Promise<unknown> = Promise.resolve();
  const renew = setInterval(
    () => {
      renewal = take().catch(() => false);
    },
    Math.max(100, Math.floor(leaseMs / 3)),
  );
  try {
    return await work();
  } finally {
    clearInterval(renew);
    await renewal;
    await connection
      .query(`UPDATE ${migrationLockTable} SET holder = '' WHERE id = 1 AND holder = ?`, [holder])
      .catch(() => undefined); // its lease ends by itself
  }
}
