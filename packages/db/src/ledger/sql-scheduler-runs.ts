/**
 * Scheduler runs and the schedulers' heartbeats, on either dialect through the ledger's
 * `SqlExecutor`. Every time is epoch milliseconds in the database's clock (`nowMs`), so a
 * scheduler or a replica whose clock is off cannot make a live run look abandoned.
 *
 * A run's failures are not copied: they are its calls' failure rows (`completion_call_orders`
 * of the calls whose `run_id` is the run), each order's last one in the run, minus the orders
 * a later call of the run finished.
 */
import {
  type FailureGroup,
  type FailureSelector,
  isRetryable,
  type Outcome,
  outcomeCountsSchema,
  outcomeSchema,
  type RunEnd,
  type RunProgress,
  type RunRequest,
  type RunTrigger,
  retryableOutcomes,
  runStatusSchema,
  runTriggerSchema,
  type SchedulerInstance,
  type SchedulerReport,
  type SchedulerRun,
  type SchedulerRunPage,
  type SchedulerRunRepository,
  schedulerLockName,
  zeroCounts,
} from '@ocs/domain';
import { type SQL, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import {
  type SchedulerInstanceRow,
  type SchedulerRunRow,
  type StoredRow,
  schedulerInstanceColumns,
  schedulerRunColumns,
  selectNamed,
} from '../rows.js';
import type { SqlExecutor } from './sql-executor.js';
import { storedRunTime } from './sql-ledger-queries.js';

type Num = number | string | bigint;

/** A run as read back, its status computed (`statusColumns`). */
type RunRow = StoredRow<SchedulerRunRow>;

const millis = (value: Num): Date => new Date(Number(value));
const maybeMillis = (value: Num | null): Date | null => (value === null ? null : millis(value));

/** The run's status as stored, or `abandoned` when it runs under a lock its holder lost. */
const statusColumns = (db: SqlExecutor) => sql`${selectNamed(
  schedulerRunColumns,
  'r',
  (Object.keys(schedulerRunColumns) as (keyof SchedulerRunRow)[]).filter((key) => key !== 'status'),
)},
  CASE WHEN r.status = 'running' AND NOT EXISTS (
      SELECT 1 FROM leases l WHERE l.name = ${schedulerLockName} AND l.holder = r.holder
        AND l.lease_until > ${db.nowMs})
    THEN 'abandoned' ELSE r.status END AS status`;

function toRun(row: RunRow): SchedulerRun {
  const detail = row.detail
    ? (JSON.parse(row.detail) as { failedRequirements?: Record<string, number>; notes?: string[] })
    : {};
  return {
    id: row.id,
    triggeredBy: runTriggerSchema.parse(row.triggeredBy),
    status: runStatusSchema.parse(row.status),
    requestedAt: millis(row.requestedAt),
    startedAt: maybeMillis(row.startedAt),
    finishedAt:
      row.status === 'abandoned' && row.finishedAt === null
        ? millis(row.updatedAt)
        : maybeMillis(row.finishedAt),
    updatedAt: millis(row.updatedAt),
    holder: row.holder,
    retryOf: row.retryOf,
    retryOutcome: row.retryOutcome === null ? null : outcomeSchema.parse(row.retryOutcome),
    retryReason: row.retryReason,
    expected: row.expectedCount === null ? null : Number(row.expectedCount),
    pending: Number(row.pendingCount),
    settled: Number(row.settledCount),
    counts: outcomeCountsSchema.parse(row.counts ? JSON.parse(row.counts) : zeroCounts()),
    failedRequirements: detail.failedRequirements ?? {},
    error: row.error,
    notes: detail.notes ?? [],
  };
}

function progressColumns(progress: RunProgress, notes?: string[]): SQL {
  const detail = JSON.stringify({ failedRequirements: progress.failedRequirements, notes });
  return sql`${
    progress.expected === null ? sql`` : sql`expected_count = ${progress.expected},`
  } pending_count = ${progress.pending}, settled_count = ${progress.settled},
    counts = ${JSON.stringify(progress.counts)}, detail = ${detail}`;
}

interface FailureRow {
  outcome: string;
  reason_code: string | null;
  count: Num;
  still_pending: Num | null;
  first_seen: unknown;
  last_seen: unknown;
  runs: Num;
}

export class SqlSchedulerRunRepository implements SchedulerRunRepository {
  readonly #db: SqlExecutor;
  readonly #startedAt: SQL;

  constructor(db: SqlExecutor) {
    this.#db = db;
    this.#startedAt = db.storedTime(sql.raw('c.started_at'));
  }

  async #byId(db: SqlExecutor, id: string): Promise<SchedulerRun | null> {
    const [row] = await db.all<RunRow>(
      sql`SELECT ${statusColumns(db)} FROM scheduler_runs r WHERE r.id = ${id}`,
    );
    return row ? toRun(row) : null;
  }

  async request(request: RunRequest): Promise<SchedulerRun> {
    const id = uuidv7();
    return this.#db.write(async (db) => {
      await db.run(sql`INSERT INTO scheduler_runs (id, triggered_by, status, requested_at,
          updated_at, retry_of, retry_outcome, retry_reason, counts)
        VALUES (${id}, ${request.triggeredBy}, 'requested', ${db.nowMs}, ${db.nowMs},
          ${request.retryOf ?? null}, ${request.retryOutcome ?? null}, ${request.retryReason ?? null},
          ${JSON.stringify(zeroCounts())})`);
      const run = await this.#byId(db, id);
      if (!run) throw new Error(`the requested run ${id} was not stored`);
      return run;
    });
  }

  begin(input: {
    holder: string;
    triggeredBy: RunTrigger;
    requestedRunId?: string | null;
  }): Promise<SchedulerRun | null> {
    return this.#db.transaction(async (db) => {
      // The caller holds the lock and runs one run at a time: any run still `running` (under
      // another holder, or its own earlier one whose end could not be recorded) is over.
      await db.run(sql`UPDATE scheduler_runs SET status = 'abandoned',
          finished_at = updated_at
        WHERE status = 'running'`);
      let id: string;
      if (input.requestedRunId) {
        id = input.requestedRunId;
        const taken = await db.run(sql`UPDATE scheduler_runs SET status = 'running',
            holder = ${input.holder}, started_at = ${db.nowMs}, updated_at = ${db.nowMs}
          WHERE id = ${id} AND status = 'requested'`);
        if (taken === 0) return null;
      } else {
        id = uuidv7();
        await db.run(sql`INSERT INTO scheduler_runs (id, triggered_by, status, requested_at,
            started_at, updated_at, holder, counts)
          VALUES (${id}, ${input.triggeredBy}, 'running', ${db.nowMs}, ${db.nowMs}, ${db.nowMs},
            ${input.holder}, ${JSON.stringify(zeroCounts())})`);
      }
      // What the run expects to handle: the SUBMITTED orders, or the failures it retries.
      const run = await this.#byId(db, id);
      const [counted] = await db.all<{ n: Num }>(
        run?.retryOf
          ? sql`SELECT COUNT(*) AS n FROM (${this.#retryable(run.retryOf, {
              outcome: run.retryOutcome,
              reasonCode: run.retryReason,
            })}) x`
          : sql`SELECT COUNT(*) AS n FROM ORDERS o JOIN ORDER_STATES s ON s.Id = o.OrderStateId
              WHERE s.OrderState = 'SUBMITTED'`,
      );
      await db.run(sql`UPDATE scheduler_runs SET expected_count = ${Number(counted?.n ?? 0)}
        WHERE id = ${id}`);
      return this.#byId(db, id);
    });
  }

  async report(id: string, holder: string, progress: RunProgress): Promise<boolean> {
    const changed = await this.#db.write((db) =>
      db.run(sql`UPDATE scheduler_runs SET ${progressColumns(progress)}, updated_at = ${db.nowMs}
        WHERE id = ${id} AND holder = ${holder} AND status = 'running'`),
    );
    return changed > 0;
  }

  async end(id: string, holder: string, end: RunEnd): Promise<boolean> {
    // A run marked abandoned (its lock was lost) may still say how it ended: its holder knows.
    const changed = await this.#db.write((db) =>
      db.run(sql`UPDATE scheduler_runs SET ${progressColumns(end, end.notes)},
          status = ${end.status}, error = ${end.error?.slice(0, 1000) ?? null},
          finished_at = ${db.nowMs}, updated_at = ${db.nowMs}
        WHERE id = ${id} AND holder = ${holder} AND status IN ('running', 'abandoned')`),
    );
    return changed > 0;
  }

  findById(id: string): Promise<SchedulerRun | null> {
    return this.#byId(this.#db, id);
  }

  async list(query: { before?: string | undefined; limit: number }): Promise<SchedulerRunPage> {
    const limit = Math.trunc(query.limit);
    const rows = await this.#db.all<RunRow>(
      sql`SELECT ${statusColumns(this.#db)} FROM scheduler_runs r
        ${query.before === undefined ? sql`` : sql`WHERE r.id < ${query.before}`}
        ORDER BY r.id DESC LIMIT ${limit + 1}`,
    );
    const page = rows.slice(0, limit).map(toRun);
    return { runs: page, nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
  }

  async retriesOf(runId: string): Promise<SchedulerRun[]> {
    const rows = await this.#db.all<RunRow>(
      sql`SELECT ${statusColumns(this.#db)} FROM scheduler_runs r
        WHERE r.retry_of = ${runId} ORDER BY r.id DESC LIMIT 100`,
    );
    return rows.map(toRun);
  }

  async cancel(id: string): Promise<boolean> {
    const changed = await this.#db.write((db) =>
      db.run(sql`UPDATE scheduler_runs SET status = 'failed',
          error = 'Cancelled by an operator before a scheduler took it',
          finished_at = ${db.nowMs}, updated_at = ${db.nowMs}
        WHERE id = ${id} AND status = 'requested'`),
    );
    return changed > 0;
  }

  async nextRequested(): Promise<SchedulerRun | null> {
    const [row] = await this.#db.all<RunRow>(
      sql`SELECT ${statusColumns(this.#db)} FROM scheduler_runs r
        WHERE r.status = 'requested' ORDER BY r.id LIMIT 1`,
    );
    return row ? toRun(row) : null;
  }

  async heartbeat(report: SchedulerReport): Promise<void> {
    await this.#db.write(async (db) => {
      const next = report.nextRunAt?.getTime() ?? null;
      const updated = await db.run(sql`UPDATE scheduler_instances SET mode = ${report.mode},
          cron = ${report.cron}, timezone = ${report.timezone}, next_run_at = ${next},
          heartbeat_at = ${db.nowMs}, heartbeat_every_ms = ${report.heartbeatEveryMs}
        WHERE instance = ${report.instance}`);
      if (updated > 0) return;
      await db.run(sql`${db.insertIgnore} scheduler_instances (instance, mode, cron, timezone,
          next_run_at, heartbeat_at, heartbeat_every_ms, started_at)
        VALUES (${report.instance}, ${report.mode}, ${report.cron}, ${report.timezone}, ${next},
          ${db.nowMs}, ${report.heartbeatEveryMs}, ${db.nowMs})`);
    });
  }

  async instances(): Promise<SchedulerInstance[]> {
    const rows = await this.#db.all<StoredRow<SchedulerInstanceRow> & { nowMs: Num }>(
      sql`SELECT ${selectNamed(schedulerInstanceColumns)}, ${this.#db.nowMs} AS ${sql.identifier('nowMs')}
      FROM scheduler_instances WHERE heartbeat_at > ${this.#db.nowMs} - 86400000
      ORDER BY heartbeat_at DESC LIMIT 20`,
    );
    return rows.map((row) => ({
      instance: row.instance,
      mode: row.mode === 'run-once' ? 'run-once' : 'daemon',
      cron: row.cron,
      timezone: row.timezone,
      nextRunAt: maybeMillis(row.nextRunAt),
      heartbeatEveryMs: Number(row.heartbeatEveryMs),
      heartbeatAt: millis(row.heartbeatAt),
      startedAt: millis(row.startedAt),
      alive: Number(row.nowMs) - Number(row.heartbeatAt) <= 3 * Number(row.heartbeatEveryMs),
    }));
  }

  /** Each order's last failure in run `runId`, unless a later call of the run finished it. */
  #finalFailures(runId: string): SQL {
    return sql`SELECT o.order_id AS order_id, o.outcome AS outcome, o.reason_code AS reason_code,
        ${this.#startedAt} AS started_at, c.run_id AS run_id
      FROM completion_calls c JOIN completion_call_orders o ON o.call_id = c.id
      WHERE c.run_id = ${runId}
        AND NOT EXISTS (SELECT 1 FROM completion_calls c2
          JOIN completion_call_orders o2 ON o2.call_id = c2.id
          WHERE c2.run_id = ${runId} AND o2.order_id = o.order_id AND c2.id > c.id)
        AND NOT EXISTS (SELECT 1 FROM completion_ledger l JOIN completion_calls c3 ON c3.id = l.call_id
          WHERE l.order_id = o.order_id AND l.state = 'finished' AND c3.run_id = ${runId}
            AND c3.id > c.id)`;
  }

  async #groups(failures: SQL): Promise<FailureGroup[]> {
    // Orders, not rows: across runs (and retry rounds) one order fails more than once.
    const rows = await this.#db.all<FailureRow>(sql`SELECT f.outcome AS outcome,
        f.reason_code AS reason_code, COUNT(DISTINCT f.order_id) AS count,
        COUNT(DISTINCT CASE WHEN s.OrderState = 'SUBMITTED' THEN f.order_id END) AS still_pending,
        MIN(f.started_at) AS first_seen, MAX(f.started_at) AS last_seen,
        COUNT(DISTINCT f.run_id) AS runs
      FROM (${failures}) f
        LEFT JOIN ORDERS ord ON ord.Id = f.order_id
        LEFT JOIN ORDER_STATES s ON s.Id = ord.OrderStateId
      GROUP BY f.outcome, f.reason_code
      ORDER BY COUNT(DISTINCT f.order_id) DESC, f.outcome, f.reason_code`);
    const groups: FailureGroup[] = [];
    for (const row of rows) {
      const outcome = outcomeSchema.safeParse(row.outcome);
      if (!outcome.success) continue;
      const examples = await this.#db.all<{
        order_id: Num;
      }>(sql`SELECT DISTINCT f.order_id AS order_id
        FROM (${failures}) f
        WHERE f.outcome = ${row.outcome} AND ${
          row.reason_code === null
            ? sql`f.reason_code IS NULL`
            : sql`f.reason_code = ${row.reason_code}`
        }
        ORDER BY f.order_id LIMIT 5`);
      groups.push({
        outcome: outcome.data,
        reasonCode: row.reason_code,
        count: Number(row.count),
        stillPending: Number(row.still_pending ?? 0),
        firstSeen: storedRunTime(row.first_seen),
        lastSeen: storedRunTime(row.last_seen),
        exampleIds: examples.map((e) => Number(e.order_id)),
        retryable: isRetryable(outcome.data),
        runs: Number(row.runs),
      });
    }
    return groups;
  }

  failureGroups(runId: string): Promise<FailureGroup[]> {
    return this.#groups(this.#finalFailures(runId));
  }

  failureGroupsSince(since: Date): Promise<FailureGroup[]> {
    // Every failure row of every run's calls since `since`: what keeps failing, since when.
    return this.#groups(sql`SELECT o.order_id AS order_id, o.outcome AS outcome,
        o.reason_code AS reason_code, ${this.#startedAt} AS started_at, c.run_id AS run_id
      FROM completion_calls c JOIN completion_call_orders o ON o.call_id = c.id
      WHERE c.run_id IS NOT NULL AND c.id >= ${uuidv7({ msecs: since.getTime(), random: new Uint8Array(16) })}`);
  }

  /** The ids of run `runId`'s retryable final failures that are still SUBMITTED. */
  #retryable(runId: string, selector: FailureSelector): SQL {
    const outcomes: Outcome[] = selector.outcome
      ? retryableOutcomes.filter((o) => o === selector.outcome)
      : retryableOutcomes;
    return sql`SELECT DISTINCT f.order_id AS order_id
      FROM (${this.#finalFailures(runId)}) f
        JOIN ORDERS ord ON ord.Id = f.order_id
        JOIN ORDER_STATES s ON s.Id = ord.OrderStateId
      WHERE s.OrderState = 'SUBMITTED'
        AND f.outcome IN (${sql.join(
          (outcomes.length > 0 ? outcomes : ['(none)']).map((o) => sql`${o}`),
          sql`, `,
        )})
        ${selector.reasonCode ? sql`AND f.reason_code = ${selector.reasonCode}` : sql``}`;
  }

  async retryIds(
    runId: string,
    selector: FailureSelector,
    page: { afterId?: number | undefined; limit: number },
  ): Promise<{ ids: number[]; nextCursor: number | null }> {
    const limit = Math.trunc(page.limit);
    const rows = await this.#db.all<{ order_id: Num }>(sql`SELECT r.order_id AS order_id
      FROM (${this.#retryable(runId, selector)}) r
      ${page.afterId === undefined ? sql`` : sql`WHERE r.order_id > ${page.afterId}`}
      ORDER BY r.order_id LIMIT ${limit + 1}`);
    const ids = rows.slice(0, limit).map((r) => Number(r.order_id));
    return { ids, nextCursor: rows.length > limit ? (ids.at(-1) ?? null) : null };
  }
}
