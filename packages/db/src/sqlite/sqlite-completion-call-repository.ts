/** CompletionCallRepository on sqlite: the run row, plus one row per order that did not complete. */
import { and, asc, desc, eq, getTableColumns, lt } from 'drizzle-orm';
import { sqliteMaxVariables } from '../chunks.js';
import {
  CompletionCallRepositoryBase,
  type RunEndRow,
  type RunStartRow,
} from '../completion-call-repository-base.js';
import type { CallOrderRow } from '../mapping.js';
import {
  completionCallOrders,
  completionCalls,
  completionLedger,
} from '../schema/sqlite-schema.js';
import type { SqliteDatabase } from './sqlite-order-repository.js';
import { noWriteLock, type WriteLock } from './write-lock.js';

const { response: _response, ...summaryColumns } = getTableColumns(completionCalls);

export class SqliteCompletionCallRepository extends CompletionCallRepositoryBase {
  readonly #db: SqliteDatabase;
  readonly #writeLock: WriteLock;

  constructor(db: SqliteDatabase, writeLock: WriteLock = noWriteLock) {
    super(sqliteMaxVariables);
    this.#db = db;
    this.#writeLock = writeLock;
  }

  protected async insertRun(row: RunStartRow): Promise<void> {
    await this.#writeLock(() => this.#db.insert(completionCalls).values(row));
  }

  protected async updateRun(id: string, end: RunEndRow, failureChunks: CallOrderRow[][]) {
    await this.#writeLock(() =>
      this.#db.transaction(async (tx) => {
        await tx.update(completionCalls).set(end).where(eq(completionCalls.id, id));
        for (const rows of failureChunks) await tx.insert(completionCallOrders).values(rows);
      }),
    );
  }

  protected async selectRun(id: string) {
    const [row] = await this.#db.select().from(completionCalls).where(eq(completionCalls.id, id));
    return row;
  }

  protected selectFailures(id: string) {
    return this.#db
      .select({
        orderId: completionCallOrders.orderId,
        outcome: completionCallOrders.outcome,
        reason: completionCallOrders.reason,
        reasonCode: completionCallOrders.reasonCode,
      })
      .from(completionCallOrders)
      .where(eq(completionCallOrders.callId, id))
      .orderBy(asc(completionCallOrders.orderId)) as Promise<Omit<CallOrderRow, 'callId'>[]>;
  }

  protected async selectFinishedIds(id: string) {
    const rows = await this.#db
      .select({ orderId: completionLedger.orderId })
      .from(completionLedger)
      .where(and(eq(completionLedger.callId, id), eq(completionLedger.state, 'finished')));
    return rows.map((row) => row.orderId);
  }

  protected selectSummaries(before: string | undefined, limit: number, runId?: string) {
    return this.#db
      .select(summaryColumns)
      .from(completionCalls)
      .where(
        and(
          before === undefined ? undefined : lt(completionCalls.id, before),
          runId === undefined ? undefined : eq(completionCalls.runId, runId),
        ),
      )
      .orderBy(desc(completionCalls.id))
      .limit(limit);
  }
}
