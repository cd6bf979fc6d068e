/**
 * Operators' queries over the completion ledger and the run records, on either dialect (the
 * statements are plain SQL both accept, through the same `SqlExecutor` as the ledger).
 *
 * Times: ledger columns are epoch milliseconds on both dialects; `completion_calls.started_at`
 * is a DATETIME(3) in UTC on MySQL and epoch milliseconds on SQLite, so it is read as text
 * (MySQL) or a number (SQLite) and turned into a Date here, never through a driver's time zone.
 */
import type {
  CompletionCallOutcome,
  HeldClaims,
  LedgerEntry,
  LedgerQueries,
  LedgerState,
  OrderId,
  OrderRunOutcome,
  ReleaseOutcome,
  RunsPerDay,
} from '@ocs/domain';
import { type SQL, sql } from 'drizzle-orm';
import type { DatabaseDialect } from '../dialect.js';
import { storedOutcome } from '../mapping.js';
import {
  type CompletionLedgerRow,
  completionLedgerColumns,
  type StoredRow,
  selectNamed,
} from '../rows.js';
import type { SqlExecutor } from './sql-executor.js';

type LedgerRow = StoredRow<CompletionLedgerRow>;

const ledgerColumns = selectNamed(completionLedgerColumns);
/** The ledger's columns qualified by a table alias. */
const ledgerColumnsOf = (alias: string) => selectNamed(completionLedgerColumns, alias);

const millis = (value: number | string | bigint): Date => new Date(Number(value));

/** A run's start as stored: epoch ms (SQLite) or `YYYY-MM-DD HH:MM:SS.mmm` in UTC (MySQL). */
export function storedRunTime(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number' || typeof value === 'bigint') return new Date(Number(value));
  const text = String(value);
  if (/^\d+$/.test(text)) return new Date(Number(text));
  return new Date(`${text.replace(' ', 'T')}Z`);
}

function toEntry(row: LedgerRow): LedgerEntry {
  return {
    orderId: Number(row.orderId),
    state: row.state as LedgerState,
    callId: row.callId,
    claimedAt: millis(row.claimedAt),
    leaseUntil: millis(row.leaseUntil),
    notifiedAt: row.notifiedAt === null ? null : millis(row.notifiedAt),
    finishedAt: row.finishedAt === null ? null : millis(row.finishedAt),
    claims: Number(row.claims),
  };
}

function parseReason(reason: string | null): unknown {
  if (reason === null) return null;
  try {
    return JSON.parse(reason);
  } catch {
    return reason;
  }
}

export class SqlLedgerQueries implements LedgerQueries {
  readonly #db: SqlExecutor;
  /** `started_at` as something `storedRunTime` reads without a time zone. */
  readonly #startedAt: SQL;

  /** The executor says how its dialect stores times; `_dialect` is no longer needed. */
  constructor(db: SqlExecutor, _dialect?: DatabaseDialect) {
    this.#db = db;
    this.#startedAt = db.storedTime(sql.raw('r.started_at'));
  }

  async entry(orderId: OrderId): Promise<LedgerEntry | null> {
    const [row] = await this.#db.all<LedgerRow>(
      sql`SELECT ${ledgerColumns} FROM completion_ledger WHERE order_id = ${orderId}`,
    );
    return row ? toEntry(row) : null;
  }

  async orderHistory(orderId: OrderId, limit: number): Promise<OrderRunOutcome[]> {
    const rows = await this.#db.all<{
      call_id: string;
      started_at: unknown;
      call_outcome: string;
      outcome: string;
      reason: string | null;
    }>(sql`SELECT o.call_id AS call_id, ${this.#startedAt} AS started_at, r.outcome AS call_outcome,
        o.outcome AS outcome, o.reason AS reason
      FROM completion_call_orders o JOIN completion_calls r ON r.id = o.call_id
      WHERE o.order_id = ${orderId}
      ORDER BY o.call_id DESC LIMIT ${Math.trunc(limit)}`);
    return rows.map((row) => ({
      callId: row.call_id,
      startedAt: storedRunTime(row.started_at),
      runOutcome: row.call_outcome as CompletionCallOutcome,
      outcome: storedOutcome(row.outcome, row.reason),
      reason: parseReason(row.reason),
    }));
  }

  async staleClaims(limit: number): Promise<LedgerEntry[]> {
    // The ledger has no index on its state (see the schema), so this reads the ledger or the
    // SUBMITTED orders, whichever the planner prefers: 12 ms for 70k ledger rows on MariaDB.
    // An operator's page pays that, not every completed order.
    const rows = await this.#db.all<LedgerRow>(
      sql`SELECT ${ledgerColumnsOf('l')} FROM ORDER_STATES s
        JOIN ORDERS o ON o.OrderStateId = s.Id
        JOIN completion_ledger l ON l.order_id = o.Id
        WHERE s.OrderState = 'SUBMITTED'
          AND ((l.state IN ('claimed', 'notified') AND l.lease_until <= ${this.#db.nowMs})
            OR l.state = 'unconfirmed')
        ORDER BY l.claimed_at, l.order_id LIMIT ${Math.trunc(limit)}`,
    );
    return rows.map(toEntry);
  }

  async heldClaims(): Promise<HeldClaims> {
    // The same join as staleClaims, so it reads what the pending pages would have left out.
    const [row] = await this.#db.all<{
      live: number | string | null;
      oldest: number | string | null;
      now_ms: number | string;
      held: number | string | null;
    }>(
      sql`SELECT
          SUM(CASE WHEN l.state IN ('claimed', 'notified') AND l.lease_until > ${this.#db.nowMs}
            THEN 1 ELSE 0 END) AS live,
          MIN(CASE WHEN l.state IN ('claimed', 'notified') AND l.lease_until > ${this.#db.nowMs}
            THEN l.claimed_at END) AS oldest,
          SUM(CASE WHEN l.state = 'unconfirmed' THEN 1 ELSE 0 END) AS held,
          ${this.#db.nowMs} AS now_ms
        FROM ORDER_STATES s
        JOIN ORDERS o ON o.OrderStateId = s.Id
        JOIN completion_ledger l ON l.order_id = o.Id
        WHERE s.OrderState = 'SUBMITTED'`,
    );
    const oldest = row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest);
    return {
      heldByOtherCalls: Number(row?.live ?? 0),
      oldestClaimAgeMs: oldest === null ? null : Math.max(0, Number(row?.now_ms) - oldest),
      heldForOperator: Number(row?.held ?? 0),
    };
  }

  async releaseStaleClaim(orderId: OrderId): Promise<ReleaseOutcome> {
    return this.#db.write(async (db) => {
      // Both statements re-check the lease, so a call that took the order over meanwhile keeps it.
      // A held (unconfirmed) claim is the operator's to release at any time: the next call
      // sends its notification again.
      const deleted = await db.run(sql`DELETE FROM completion_ledger
        WHERE order_id = ${orderId}
          AND ((state = 'claimed' AND lease_until <= ${db.nowMs}) OR state = 'unconfirmed')`);
      if (deleted > 0) return 'released';
      const ended = await db.run(sql`UPDATE completion_ledger SET lease_until = 0
        WHERE order_id = ${orderId} AND state = 'notified' AND lease_until <= ${db.nowMs}`);
      return ended > 0 ? 'handed-over' : 'not-stale';
    });
  }

  async callsPerDay(since: Date): Promise<RunsPerDay[]> {
    // Runs are few (one per scheduler batch): read the recent ones and group in code, which
    // keeps the day boundary in UTC on both dialects. Ids are time-ordered (UUIDv7).
    const rows = await this.#db.all<{
      started_at: unknown;
      completed_count: number | string;
      failed_count: number | string;
    }>(sql`SELECT ${this.#startedAt} AS started_at, r.completed_count AS completed_count,
        r.failed_count AS failed_count
      FROM completion_calls r ORDER BY r.id DESC LIMIT 100000`);
    const days = new Map<string, RunsPerDay>();
    for (const row of rows) {
      const startedAt = storedRunTime(row.started_at);
      if (startedAt < since) continue;
      const day = startedAt.toISOString().slice(0, 10);
      const entry = days.get(day) ?? { day, runs: 0, completed: 0, failed: 0 };
      entry.runs += 1;
      entry.completed += Number(row.completed_count);
      entry.failed += Number(row.failed_count);
      days.set(day, entry);
    }
    return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
  }
}
