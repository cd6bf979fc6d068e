/**
 * Named leases (e.g. the scheduler's single-runner lock) and the installation id, on either
 * dialect. A lease is held by one holder until it ends; its holder renews it by acquiring
 * again, and anyone may take it once it has ended, so a crashed holder blocks no one for long.
 * Its end is written and compared in the database's clock, so a holder or a contender whose
 * own clock is off cannot cut a live lease short or stretch a dead one.
 */
import { randomUUID } from 'node:crypto';
import type { LeaseRepository, LeaseState } from '@ocs/domain';
import { sql } from 'drizzle-orm';
import type { SqlExecutor } from './sql-executor.js';

export class SqlLeaseRepository implements LeaseRepository {
  readonly #db: SqlExecutor;

  constructor(db: SqlExecutor) {
    this.#db = db;
  }

  acquire(name: string, holder: string, ttlMs: number): Promise<LeaseState> {
    if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new TypeError(`not a lease: ${ttlMs}`);
    return this.#db.write(async (db) => {
      // The holder may release (delete) the row between our ignored insert and the read: then
      // the lease is free, and the next round inserts it. A few rounds, not forever.
      for (let round = 1; ; round++) {
        await db.run(sql`${db.insertIgnore} leases (name, holder, lease_until, acquired_at)
          VALUES (${name}, ${holder}, ${db.nowMs} + ${ttlMs}, ${db.nowMs})`);
        await db.run(sql`UPDATE leases SET holder = ${holder}, lease_until = ${db.nowMs} + ${ttlMs},
            acquired_at = CASE WHEN holder = ${holder} THEN acquired_at ELSE ${db.nowMs} END
          WHERE name = ${name} AND (holder = ${holder} OR lease_until <= ${db.nowMs})`);
        const [row] = await db.all<{ holder: string; lease_until: number }>(
          sql`SELECT holder, lease_until FROM leases WHERE name = ${name}`,
        );
        if (row) {
          return {
            acquired: row.holder === holder,
            holder: row.holder,
            leaseUntil: new Date(Number(row.lease_until)),
          };
        }
        if (round >= 3) throw new Error(`the lease ${name} keeps being released while taken`);
      }
    });
  }

  async release(name: string, holder: string): Promise<void> {
    await this.#db.write((db) =>
      db.run(sql`DELETE FROM leases WHERE name = ${name} AND holder = ${holder}`),
    );
  }
}

/** The installation id: `configured` when set, else the one stored at first start. */
export async function resolveInstallationId(
  db: SqlExecutor,
  configured: string | undefined,
): Promise<string> {
  if (configured) return configured;
  return db.write(async (q) => {
    await q.run(sql`${q.insertIgnore} service_settings (name, value)
      VALUES ('installation-id', ${randomUUID()})`);
    const [row] = await q.all<{ value: string }>(
      sql`SELECT value FROM service_settings WHERE name = 'installation-id'`,
    );
    if (!row) throw new Error('service_settings has no installation-id row');
    return row.value;
  });
}
