/**
 * CompletionCallRepository on any SQL dialect: a call row written when the call starts and
 * completed when it ends (counts, plus one row per id that failed), keyset paging and the
 * mapping back to domain calls. Completed ids are not copied per call: the ledger says which
 * call finished each order.
 */
import {
  type CompletionCall,
  type CompletionCallEnd,
  type CompletionCallPage,
  type CompletionCallRepository,
  type CompletionCallStart,
  countsOf,
} from '@ocs/domain';
import { and, desc, eq, lt, type SQL, sql } from 'drizzle-orm';
import { chunk, rowsPerInsert } from './chunks.js';
import type { DialectTables, SqlDialect } from './dialect.js';
import { noRetry, type SqlExecutor } from './ledger/sql-executor.js';
import { legacyResponse, toCallSummary, toFailureRows, toResponse } from './mapping.js';
import { keysetPage } from './paging.js';
import {
  allKeys,
  type CompletionCallRow,
  columnsAs,
  decoder,
  insertRows,
  updateSet,
} from './rows.js';

type CallKey = keyof CompletionCallRow & string;

const failureKeys = ['orderId', 'outcome', 'reason', 'reasonCode'] as const;

export class SqlCompletionCallRepository implements CompletionCallRepository {
  readonly #q: SqlExecutor;
  readonly #t: DialectTables;
  readonly #failureRowsPerInsert: number;
  readonly #callKeys: CallKey[];
  readonly #summaryKeys: CallKey[];

  constructor(dialect: SqlDialect) {
    this.#q = dialect.executor;
    this.#t = dialect.tables;
    // Sized as it always was (the rows have five columns; 5,000 rows stay within any limit).
    this.#failureRowsPerInsert = rowsPerInsert(4, dialect.maxPlaceholders);
    this.#callKeys = allKeys(this.#t.completionCalls) as CallKey[];
    this.#summaryKeys = this.#callKeys.filter((key) => key !== 'response');
  }

  async start(call: CompletionCallStart): Promise<void> {
    const { completionCalls } = this.#t;
    await this.#q.write(
      (q) =>
        q.run(
          insertRows(completionCalls, [
            {
              id: call.id,
              runId: call.runId ?? null,
              startedAt: call.startedAt,
              requestedCount: call.requestedCount,
              outcome: 'RUNNING',
              completed: 0,
              failedCount: 0,
            },
          ]),
        ),
      noRetry,
    );
  }

  /** In one transaction: update the call row, then insert each chunk of failure rows. */
  async complete(id: string, { finishedAt, outcome, response }: CompletionCallEnd): Promise<void> {
    const { completionCalls, completionCallOrders } = this.#t;
    const failures = toFailureRows(id, response);
    const counts = countsOf(response);
    await this.#q.transaction(async (q) => {
      await q.run(
        sql`${updateSet(completionCalls, {
          finishedAt,
          outcome,
          failedCount: failures.length,
          ...counts,
        })} WHERE ${eq(completionCalls.id, id)}`,
      );
      for (const rows of chunk(failures, this.#failureRowsPerInsert)) {
        await q.run(insertRows(completionCallOrders, rows));
      }
    }, noRetry);
  }

  async findById(id: string): Promise<CompletionCall | null> {
    const { completionCalls, completionCallOrders, completionLedger } = this.#t;
    const [row] = await this.#select(completionCalls, this.#callKeys, eq(completionCalls.id, id));
    if (!row) return null;
    const { response, ...summary } = row;
    if (response !== null) return { ...toCallSummary(summary), response: legacyResponse(response) };
    const failures = await this.#q.all<Record<string, unknown>>(
      sql`SELECT ${columnsAs(completionCallOrders, failureKeys)} FROM ${completionCallOrders}
        WHERE ${eq(completionCallOrders.callId, id)} ORDER BY ${completionCallOrders.orderId}`,
    );
    // Ids the ledger records as finished by this call.
    const finished = await this.#q.all<Record<string, unknown>>(
      sql`SELECT ${columnsAs(completionLedger, ['orderId'])} FROM ${completionLedger}
        WHERE ${and(eq(completionLedger.callId, id), eq(completionLedger.state, 'finished'))}`,
    );
    return {
      ...toCallSummary(summary),
      response: toResponse(
        finished.map(decoder(completionLedger, ['orderId'])).map((r) => r.orderId),
        failures.map(decoder(completionCallOrders, failureKeys)),
      ),
    };
  }

  async list(query: {
    before?: string | undefined;
    limit: number;
    runId?: string | undefined;
  }): Promise<CompletionCallPage> {
    const { completionCalls } = this.#t;
    // Newest first (descending id), before `before`.
    const rows = await this.#select(
      completionCalls,
      this.#summaryKeys,
      and(
        query.before === undefined ? undefined : lt(completionCalls.id, query.before),
        query.runId === undefined ? undefined : eq(completionCalls.runId, query.runId),
      ),
      sql` ORDER BY ${desc(completionCalls.id)} LIMIT ${query.limit + 1}`,
    );
    const page = keysetPage(rows, query.limit, (row) => row.id);
    return { runs: page.rows.map(toCallSummary), nextCursor: page.nextCursor };
  }

  async #select<K extends CallKey>(
    table: DialectTables['completionCalls'],
    keys: readonly K[],
    where: SQL | undefined,
    tail: SQL = sql``,
  ) {
    const rows = await this.#q.all<Record<string, unknown>>(
      sql`SELECT ${columnsAs(table, keys)} FROM ${table}${where ? sql` WHERE ${where}` : sql``}${tail}`,
    );
    return rows.map(decoder(table, keys));
  }
}
