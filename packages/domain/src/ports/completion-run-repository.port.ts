import type { CompletionRun, CompletionRunSummary } from '../completion-run.js';

export interface CompletionRunPage {
  runs: CompletionRunSummary[];
  /** Pass as `before` to get older runs; null when there are none. */
  nextCursor: string | null;
}

export interface CompletionRunRepository {
  save(run: CompletionRun): Promise<void>;
  findById(id: string): Promise<CompletionRun | null>;
  /** Newest first. */
  list(query: { before?: string | undefined; limit: number }): Promise<CompletionRunPage>;
}
