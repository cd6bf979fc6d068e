import type {
  CompletionCall,
  CompletionCallEnd,
  CompletionCallStart,
  CompletionCallSummary,
} from '../completion-call.js';

export interface CompletionCallPage {
  runs: CompletionCallSummary[];
  /** Pass as `before` to get older runs; null when there are none. */
  nextCursor: string | null;
}

export interface CompletionCallRepository {
  /** Records a call as it starts: outcome `RUNNING`, no finish time. */
  start(run: CompletionCallStart): Promise<void>;
  /** Records how the call ended: counts, and one row per id that did not complete. */
  complete(id: string, end: CompletionCallEnd): Promise<void>;
  findById(id: string): Promise<CompletionCall | null>;
  /** Newest first. */
  list(query: {
    before?: string | undefined;
    limit: number;
    /** Only the calls of this scheduler run. */
    runId?: string | undefined;
  }): Promise<CompletionCallPage>;
}
