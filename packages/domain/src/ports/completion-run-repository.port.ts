import type {
  CompletionRun,
  CompletionRunEnd,
  CompletionRunStart,
  CompletionRunSummary,
} from '../completion-run.js';

export interface CompletionRunPage {
  runs: CompletionRunSummary[];
  /** Pass as `before` to get older runs; null when there are none. */
  nextCursor: string | null;
}

export interface CompletionRunRepository {
  /** Records a call as it starts: outcome `RUNNING`, no finish time. */
  start(run: CompletionRunStart): Promise<void>;
  /** Records how the call ended: counts, and one row per id that did not complete. */
  complete(id: string, end: CompletionRunEnd): Promise<void>;
  findById(id: string): Promise<CompletionRun | null>;
  /** Newest first. */
  list(query: { before?: string | undefined; limit: number }): Promise<CompletionRunPage>;
}
