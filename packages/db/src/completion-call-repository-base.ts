/**
 * The CompletionCallRepository flow both adapters share: a run row written when the call
 * starts and completed when it ends (counts, plus one row per id that failed), keyset paging
 * and the mapping back to domain runs. Completed ids are not copied per run: the ledger says
 * which run finished each order. Each adapter supplies only its queries.
 */
import {
  type CompletionCall,
  type CompletionCallCounts,
  type CompletionCallEnd,
  type CompletionCallPage,
  type CompletionCallRepository,
  type CompletionCallStart,
  countsOf,
} from '@ocs/domain';
import { chunk, rowsPerInsert } from './chunks.js';
import {
  type CallOrderRow,
  legacyResponse,
  type StoredCallSummary,
  toCallSummary,
  toFailureRows,
  toResponse,
} from './mapping.js';
import { keysetPage } from './paging.js';

export type RunEndRow = Pick<StoredCallSummary, 'finishedAt' | 'outcome' | 'failedCount'> &
  CompletionCallCounts;

/** A call as it starts: outcome RUNNING, nothing counted yet. */
export type RunStartRow = Pick<
  StoredCallSummary,
  'id' | 'runId' | 'startedAt' | 'requestedCount' | 'outcome' | 'completed' | 'failedCount'
>;

export abstract class CompletionCallRepositoryBase implements CompletionCallRepository {
  readonly #outcomeRowsPerInsert: number;

  /** `maxPlaceholders`: the dialect's limit per statement, which sizes the multi-row inserts. */
  constructor(maxPlaceholders: number) {
    this.#outcomeRowsPerInsert = rowsPerInsert(4, maxPlaceholders);
  }

  /** Inserts the row of a run that has just started. */
  protected abstract insertRun(row: RunStartRow): Promise<void>;
  /** In one transaction: update the run row, then insert each chunk of failure rows. */
  protected abstract updateRun(
    id: string,
    end: RunEndRow,
    failureChunks: CallOrderRow[][],
  ): Promise<void>;
  protected abstract selectRun(
    id: string,
  ): Promise<(StoredCallSummary & { response: string | null }) | undefined>;
  protected abstract selectFailures(id: string): Promise<Omit<CallOrderRow, 'callId'>[]>;
  /** Ids the ledger records as finished by this run. */
  protected abstract selectFinishedIds(id: string): Promise<number[]>;
  /** Run rows without `response`, newest first (descending id), before `before`, at most `limit`. */
  protected abstract selectSummaries(
    before: string | undefined,
    limit: number,
    runId?: string,
  ): Promise<StoredCallSummary[]>;

  async start(run: CompletionCallStart): Promise<void> {
    await this.insertRun({
      id: run.id,
      runId: run.runId ?? null,
      startedAt: run.startedAt,
      requestedCount: run.requestedCount,
      outcome: 'RUNNING',
      completed: 0,
      failedCount: 0,
    });
  }

  async complete(id: string, { finishedAt, outcome, response }: CompletionCallEnd): Promise<void> {
    const failures = toFailureRows(id, response);
    const counts = countsOf(response);
    await this.updateRun(
      id,
      { finishedAt, outcome, failedCount: failures.length, ...counts },
      chunk(failures, this.#outcomeRowsPerInsert),
    );
  }

  async findById(id: string): Promise<CompletionCall | null> {
    const row = await this.selectRun(id);
    if (!row) return null;
    const { response, ...summary } = row;
    return {
      ...toCallSummary(summary),
      response:
        response !== null
          ? legacyResponse(response)
          : toResponse(await this.selectFinishedIds(id), await this.selectFailures(id)),
    };
  }

  async list(query: {
    before?: string | undefined;
    limit: number;
    runId?: string | undefined;
  }): Promise<CompletionCallPage> {
    const rows = await this.selectSummaries(query.before, query.limit + 1, query.runId);
    const page = keysetPage(rows, query.limit, (row) => row.id);
    return { runs: page.rows.map(toCallSummary), nextCursor: page.nextCursor };
  }
}
