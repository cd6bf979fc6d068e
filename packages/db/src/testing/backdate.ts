/**
 * Time passing in the database's clock, for tests: leases are written and judged in it, so
 * moving a table's times back by `ms` is what `ms` of waiting (or a claim made `ms` earlier)
 * would do, without the wait and whatever the test process's clock says.
 */
import { createClient } from '@libsql/client';
import { createConnection } from 'mysql2/promise';

const timeColumns = {
  completion_ledger: ['lease_until', 'claimed_at', 'notified_at', 'finished_at'],
  leases: ['lease_until', 'acquired_at'],
  scheduler_instances: ['heartbeat_at', 'started_at'],
} as const;

/** Moves every time of `table` back by `ms` (a handed-over lease, 0, stays ended). */
export async function backdate(
  url: string,
  table: keyof typeof timeColumns,
  ms: number,
): Promise<void> {
  const by = Math.trunc(ms);
  const set = timeColumns[table]
    .map(
      (column) => `${column} = CASE WHEN ${column} > 0 THEN ${column} - ${by} ELSE ${column} END`,
    )
    .join(', ');
  const statement = `UPDATE ${table} SET ${set}`;
  if (url.startsWith('mysql://')) {
    const connection = await createConnection({ uri: url });
    try {
      await connection.query(statement);
    } finally {
      await connection.end();
    }
    return;
  }
  const client = createClient({ url });
  try {
    await client.execute(statement);
  } finally {
    client.close();
  }
}
