/** Failures of every run over the last 30 days, grouped by reason: what keeps failing, since when. */
import { useQuery } from '@tanstack/react-query';
import { ErrorMessage } from '../components/ErrorMessage';
import { FailureGroups } from '../components/FailureGroups';
import { useTRPC } from '../trpc';

export function FailuresPage() {
  const trpc = useTRPC();
  const failures = useQuery(trpc.runs.failures.queryOptions({ days: 30 }));
  return (
    <>
      <h1 tabIndex={-1}>Failures</h1>
      {failures.isError ? <ErrorMessage error={failures.error} context="Failures" /> : null}
      {failures.isPending ? <p role="status">Loading failures…</p> : null}
      {failures.data && failures.data.length === 0 ? <p>No failures in the last 30 days.</p> : null}
      {failures.data && failures.data.length > 0 ? (
        <FailureGroups
          caption="Failures of the last 30 days across runs, by reason"
          groups={failures.data}
          showRuns
        />
      ) : null}
    </>
  );
}
