/** CompletionRunRepository on MySQL/MariaDB: the run row with its response, plus one row per order. */
import { desc, eq, getTableColumns, lt } from 'drizzle-orm';
import { mysqlMaxPlaceholders } from '../chunks.js';
import { CompletionRunRepositoryBase } from '../completion-run-repository-base.js';
import type { RunOrderRow, RunRow } from '../mapping.js';
import { completionRunOrders, completionRuns } from '../schema/mysql-schema.js';
import type { MySqlDatabase } from './mysql-order-repository.js';

const { response: _response, ...summaryColumns } = getTableColumns(completionRuns);

export class MySqlCompletionRunRepository extends CompletionRunRepositoryBase {
  readonly #db: MySqlDatabase;

  constructor(db: MySqlDatabase) {
    super(mysqlMaxPlaceholders);
    this.#db = db;
  }

  protected async insertRun(run: RunRow, orderRowChunks: RunOrderRow[][]): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.insert(completionRuns).values(run);
      for (const rows of orderRowChunks) await tx.insert(completionRunOrders).values(rows);
    });
  }

  protected async selectRun(id: string) {
    const [row] = await this.#db.select().from(completionRuns).where(eq(completionRuns.id, id));
    return row;
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
