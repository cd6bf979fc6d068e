/**
 * The CompletionRunRepository flow both adapters share: splitting a run into its row and
 * chunks of per-order rows, keyset paging and the mapping back to domain runs. Each adapter
 * supplies only its queries and how it wraps the write transaction.
 */
import type { CompletionRun, CompletionRunPage, CompletionRunRepository } from '@ocs/domain';
import { chunk, rowsPerInsert } from './chunks.js';
import {
  type RunOrderRow,
  type RunRow,
  type StoredRunSummary,
  toRun,
  toRunOrderRows,
  toRunRow,
  toRunSummary,
} from './mapping.js';
import { keysetPage } from './paging.js';

export abstract class CompletionRunRepositoryBase implements CompletionRunRepository {
  readonly #outcomeRowsPerInsert: number;

  /** `maxPlaceholders`: the dialect's limit per statement, which sizes the multi-row inserts. */
  constructor(maxPlaceholders: number) {
    this.#outcomeRowsPerInsert = rowsPerInsert(4, maxPlaceholders);
  }

  /** In one transaction: the run row, then each chunk of per-order rows as one insert. */
  protected abstract insertRun(run: RunRow, orderRowChunks: RunOrderRow[][]): Promise<void>;
  /** The whole run row, if any. */
  protected abstract selectRun(
    id: string,
  ): Promise<(StoredRunSummary & { response: string }) | undefined>;
  /** Run rows without `response`, newest first (descending id), before `before`, at most `limit`. */
  protected abstract selectSummaries(
    before: string | undefined,
    limit: number,
  ): Promise<StoredRunSummary[]>;

  async save(run: CompletionRun): Promise<void> {
    await this.insertRun(
      toRunRow(run),
      chunk(toRunOrderRows(run.id, run.response), this.#outcomeRowsPerInsert),
    );
  }

  async findById(id: string): Promise<CompletionRun | null> {
    const row = await this.selectRun(id);
    return row ? toRun(row) : null;
  }

  async list(query: { before?: string | undefined; limit: number }): Promise<CompletionRunPage> {
    const rows = await this.selectSummaries(query.before, query.limit + 1);
    const page = keysetPage(rows, query.limit, (row) => row.id);
    return { runs: page.rows.map(toRunSummary), nextCursor: page.nextCursor };
  }
}
