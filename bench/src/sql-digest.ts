/**
 * `--sql-digest`: where the database's time goes, statement by statement. MariaDB's slow query
 * log with `long_query_time = 0` records every statement of ours' run with its time and rows
 * examined; Percona's `pt-query-digest` (Debian package `percona-toolkit`) groups them by
 * shape. Only for a MariaDB on this machine (the log is a file the database server writes).
 * The log costs the database time of its own, so a digested run is not a timed one.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { withConnection } from './mariadb.js';

export interface SlowLog {
  /** Stops logging, restores the settings and writes `<name>.log` and `<name>.digest.txt`. */
  stop(): Promise<{ log: string; digest: string | null }>;
}

const settings = ['slow_query_log', 'slow_query_log_file', 'long_query_time'] as const;

/**
 * Starts logging every statement. `long_query_time` is read when a connection opens, so call
 * this before the server opens its pool.
 */
export async function startSlowLog(
  mysqlUrl: string,
  outDir: string,
  name: string,
): Promise<SlowLog> {
  // The database server writes the file: somewhere it may, then copied out.
  const file = join(tmpdir(), `ocs-bench-${name}-${process.pid}.slow.log`);
  rmSync(file, { force: true });
  writeFileSync(file, '');
  chmodSync(file, 0o666);
  const previous = await withConnection(mysqlUrl, async (c) => {
    const [rows] = await c.query<RowDataPacket[]>(
      `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${settings.map(() => '?').join(', ')})`,
      [...settings],
    );
    await c.query('SET GLOBAL slow_query_log_file = ?', [file]);
    await c.query('SET GLOBAL long_query_time = 0');
    await c.query('SET GLOBAL slow_query_log = 1');
    return Object.fromEntries(rows.map((row) => [row.Variable_name, String(row.Value)]));
  });
  return {
    async stop() {
      await withConnection(mysqlUrl, async (c) => {
        await c.query('SET GLOBAL slow_query_log = ?', [previous.slow_query_log === 'ON' ? 1 : 0]);
        await c.query('SET GLOBAL long_query_time = ?', [Number(previous.long_query_time ?? 10)]);
        if (previous.slow_query_log_file)
          await c.query('SET GLOBAL slow_query_log_file = ?', [previous.slow_query_log_file]);
      });
      mkdirSync(outDir, { recursive: true });
      const log = join(outDir, `${name}.slow.log`);
      copyFileSync(file, log);
      rmSync(file, { force: true });
      if (!existsSync('/usr/bin/pt-query-digest')) return { log, digest: null };
      const digest = join(outDir, `${name}.digest.txt`);
      writeFileSync(
        digest,
        execFileSync('pt-query-digest', ['--limit', '20', log], { maxBuffer: 64 * 2 ** 20 }),
      );
      return { log, digest };
    },
  };
}
