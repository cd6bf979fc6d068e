/** CompletionRunRepository on mysql: the run row, plus one row per order that did not complete. */
import { and, asc, desc, eq, getTableColumns, lt } from 'drizzle-orm';
import { mysqlMaxPlaceholders } from '../chunks.js';
import {
  CompletionRunRepositoryBase,
  type RunEndRow,
  type RunStartRow,
} from '../completion-run-repository-base.js';
import type { RunOrderRow } from '../mapping.js';
import { completionLedger, completionRunOrders, completionRuns } from '../schema/mysql-schema.js';
import type { MySqlDatabase } from './mysql-order-repository.js';

const { response: _response, ...summaryColumns } = getTableColumns(completionRuns);

export class MySqlCompletionRunRepository extends CompletionRunRepositoryBase {
  readonly #db: MySqlDatabase;

  constructor(db: MySqlDatabase) {
    super(mysqlMaxPlaceholders);
    this.#db = db;
  }

  protected async insertRun(row: RunStartRow): Promise<void> {
    await this.#db.insert(completionRuns).values(row);
  }

  protected async updateRun(id: string, end: RunEndRow, failureChunks: RunOrderRow[][]) {
    await this.#db.transaction(async (tx) => {
      await tx.update(completionRuns).set(end).where(eq(completionRuns.id, id));
      for (const rows of failureChunks) await tx.insert(completionRunOrders).values(rows);
    });
  }

  protected async selectRun(id: string) {
    const [row] = await this.#db.select().from(completionRuns).where(eq(completionRuns.id, id));
    return row;
  }

  protected selectFailures(id: string) {
    return this.#db
      .select({
        orderId: completionRunOrders.orderId,
        outcome: completionRunOrders.outcome,
        reason: completionRunOrders.reason,
      })
      .from(completionRunOrders)
      .where(eq(completionRunOrders.runId, id))
      .orderBy(asc(completionRunOrders.orderId)) as Promise<Omit<RunOrderRow, 'runId'>[]>;
  }

  protected async selectFinishedIds(id: string) {
    const rows = await this.#db
      .select({ orderId: completionLedger.orderId })
      .from(completionLedger)
      .where(and(eq(completionLedger.runId, id), eq(completionLedger.state, 'finished')));
    return rows.map((row) => row.orderId);
  }

  protected selectSummaries(before: string | undefined, limit: number) {
    return this.#db
      .select(summaryColumns)
      .from(completionRuns)
      .where(before === undefined ? undefined : lt(completionRuns.id, before))
      .orderBy(desc(completionRuns.id))
      .limit(limit);
  }
}
