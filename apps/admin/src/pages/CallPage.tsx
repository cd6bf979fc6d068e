/** One run: its counts, every failed id with its reason, and a retry of the retryable ones. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { CompletionResult, OutcomeTable, responseRows } from '../components/CompletionResult';
import { ErrorMessage } from '../components/ErrorMessage';
import { formatDateTime, formatDuration } from '../dates';
import { useTRPC } from '../trpc';
import { outcomeText } from './CallsPage';

export function CallPage() {
  const { id = '' } = useParams();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const run = useQuery(trpc.calls.detail.queryOptions({ id }));
  const retry = useMutation(
    trpc.orders.complete.mutationOptions({
      onSettled: () => queryClient.invalidateQueries(),
    }),
  );
  const failures = run.data
    ? responseRows(run.data.response).filter((row) => row.outcome !== 'Finished')
    : [];
  const retryable = run.data?.retryableOrderIds ?? [];

  return (
    <>
      <p className="breadcrumb">
        <Link to="/calls">Calls</Link> › Call
      </p>
      <h1 tabIndex={-1}>Call {id}</h1>
      {run.isError ? <ErrorMessage error={run.error} context="Call" /> : null}
      {run.isPending ? <p role="status">Loading the run…</p> : null}
      {run.data ? (
        <>
          <dl className="facts">
            <dt>Outcome</dt>
            <dd>
              <span className={run.data.unfinished ? 'badge badge-warn' : undefined}>
                {outcomeText(run.data)}
              </span>
            </dd>
            <dt>Started</dt>
            <dd>{formatDateTime(run.data.startedAt)}</dd>
            <dt>Finished</dt>
            <dd>{formatDateTime(run.data.finishedAt)}</dd>
            <dt>Duration</dt>
            <dd>{formatDuration(run.data.durationMs)}</dd>
            <dt>Requested</dt>
            <dd>{run.data.requestedCount}</dd>
            <dt>Completed</dt>
            <dd>{run.data.counts.completed}</dd>
            <dt>Failed</dt>
            <dd>{run.data.failedCount}</dd>
          </dl>
          {run.data.unfinished ? (
            <p className="notice notice-warn">
              This call never finished: its process stopped (a crashed or killed replica). Its
              claims have expired, so the next call takes its orders over.
            </p>
          ) : null}

          <h2>Retry</h2>
          <div className="actions">
            <button
              type="button"
              disabled={retryable.length === 0 || retry.isPending}
              onClick={() => retry.mutate({ orderIds: retryable })}
            >
              {retry.isPending
                ? 'Retrying…'
                : `Retry the ${retryable.length} retryable failed orders`}
            </button>
            {retryable.length === 0 ? (
              <p className="hint">
                Nothing to retry: the failures left (not found, requirements) cannot succeed by
                trying again.
              </p>
            ) : (
              <p className="hint">Orders {retryable.join(', ')} may still succeed.</p>
            )}
          </div>
          <div aria-live="polite">
            <CompletionResult
              title="Retry"
              data={retry.data}
              error={retry.isError ? retry.error : undefined}
            />
          </div>

          <h2>Failed orders</h2>
          {failures.length === 0 ? (
            <p>No failed orders.</p>
          ) : (
            <OutcomeTable caption="Failed orders and their reasons" rows={failures} />
          )}
          {run.data.counts.completed > 0 ? (
            <>
              <h2>Completed orders</h2>
              <p>
                {run.data.response.completedOrderIds.map((orderId, index) => (
                  <span key={orderId}>
                    {index > 0 ? ', ' : ''}
                    <Link to={`/orders/${orderId}`}>{orderId}</Link>
                  </span>
                ))}
              </p>
            </>
          ) : null}
        </>
      ) : null}
    </>
  );
}
