/** CompletionRunRepository on the embedded SQLite database: the run row with its response, plus one row per order. */
import type { CompletionRun, CompletionRunPage, CompletionRunRepository } from '@ocs/domain';
import { desc, eq, lt } from 'drizzle-orm';
import { chunk, rowsPerInsert, sqliteMaxVariables } from '../chunks.js';
import { toRun, toRunOrderRows, toRunRow, toRunSummary } from '../mapping.js';
import { completionRunOrders, completionRuns } from '../schema/sqlite-schema.js';
import type { SqliteDatabase } from './sqlite-order-repository.js';
import { noWriteLock, type WriteLock } from './write-lock.js';

const outcomeRowsPerInsert = rowsPerInsert(4, sqliteMaxVariables);

export class SqliteCompletionRunRepository implements CompletionRunRepository {
  readonly #db: SqliteDatabase;

  readonly #writeLock: WriteLock;

  constructor(db: SqliteDatabase, writeLock: WriteLock = noWriteLock) {
    this.#db = db;
    this.#writeLock = writeLock;
  }

  async save(run: CompletionRun): Promise<void> {
    await this.#writeLock(() =>
      this.#db.transaction(async (tx) => {
        await tx.insert(completionRuns).values(toRunRow(run));
        for (const rows of chunk(toRunOrderRows(run.id, run.response), outcomeRowsPerInsert)) {
          await tx.insert(completionRunOrders).values(rows);
        }
      }),
    );
  }

  async findById(id: string): Promise<CompletionRun | null> {
    const [row] = await this.#db.select().from(completionRuns).where(eq(completionRuns.id, id));
    return row ? toRun(row) : null;
  }

  async list(query: { before?: string | undefined; limit: number }): Promise<CompletionRunPage> {
    const rows = await this.#db
      .select({
        id: completionRuns.id,
        startedAt: completionRuns.startedAt,
        finishedAt: completionRuns.finishedAt,
        requestedCount: completionRuns.requestedCount,
        outcome: completionRuns.outcome,
        completedCount: completionRuns.completedCount,
        failedCount: completionRuns.failedCount,
      })
      .from(completionRuns)
      .where(query.before === undefined ? undefined : lt(completionRuns.id, query.before))
      .orderBy(desc(completionRuns.id))
      .limit(query.limit + 1);
    const runs = rows.slice(0, query.limit).map(toRunSummary);
    return { runs, nextCursor: rows.length > query.limit ? (runs.at(-1)?.id ?? null) : null };
  }
}
