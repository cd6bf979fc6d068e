/**
 * One run: its figures, its failures grouped by reason with a retry per group (and of the
 * whole run), its retries and its calls. A retry is a run of its own that a scheduler carries
 * out; this page only requests it.
 */
import { outcomeLabel } from '@ocs/domain';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, useParams } from 'react-router';
import { ErrorMessage } from '../components/ErrorMessage';
import { FailureGroups } from '../components/FailureGroups';
import {
  leftByTheRunItself,
  OutcomeCounts,
  RunProgress,
  RunStatus,
} from '../components/RunFigures';
import { formatDateTime } from '../dates';
import { useTRPC } from '../trpc';

export function RunPage() {
  const { id = '' } = useParams();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const detail = useQuery({
    ...trpc.runs.detail.queryOptions({ id }),
    // A run that moves (running, waiting for a scheduler, or with a retry that does) is read
    // again every second.
    refetchInterval: (query) => {
      const data = query.state.data;
      const moving = (status: string) => status === 'running' || status === 'requested';
      return data && (moving(data.run.status) || data.retries.some((r) => moving(r.status)))
        ? 1000
        : false;
    },
  });
  const refresh = () =>
    queryClient.invalidateQueries({ queryKey: trpc.runs.detail.queryKey({ id }) });
  const retry = useMutation(trpc.runs.retry.mutationOptions({ onSuccess: refresh }));
  const cancel = useMutation(trpc.runs.cancel.mutationOptions({ onSuccess: refresh }));
  // Another run's page (the router keeps this component): forget what was done on the last one.
  const { reset: resetRetry } = retry;
  const { reset: resetCancel } = cancel;
  useEffect(() => {
    if (id) {
      resetRetry();
      resetCancel();
    }
  }, [id, resetRetry, resetCancel]);
  const data = detail.data;
  const retryable = data?.failures.filter((g) => g.retryable && g.stillPending > 0) ?? [];

  return (
    <>
      <p className="breadcrumb">
        <Link to="/">Runs</Link> › Run
      </p>
      <h1 tabIndex={-1}>Run {id}</h1>
      {detail.isError ? <ErrorMessage error={detail.error} context="Run" /> : null}
      {detail.isPending ? <p role="status">Loading the run…</p> : null}
      {data ? (
        <>
          <dl className="facts">
            <dt>Status</dt>
            <dd data-testid="run-status">
              <RunStatus run={data.run} />
            </dd>
            <dt>Trigger</dt>
            <dd>{data.run.triggeredBy}</dd>
            {data.run.retryOf ? (
              <>
                <dt>Retry of</dt>
                <dd>
                  <Link to={`/runs/${data.run.retryOf}`}>{data.run.retryOf}</Link>
                  {data.run.retryOutcome ? ` (${outcomeLabel(data.run.retryOutcome)}` : ''}
                  {data.run.retryReason ? `, ${data.run.retryReason}` : ''}
                  {data.run.retryOutcome ? ')' : ''}
                </dd>
              </>
            ) : null}
            <dt>Scheduler</dt>
            <dd>{data.run.holder ?? '—'}</dd>
            <dt>Started</dt>
            <dd>{formatDateTime(data.run.startedAt)}</dd>
            <dt>Finished</dt>
            <dd>{formatDateTime(data.run.finishedAt)}</dd>
          </dl>
          {data.run.status === 'abandoned' ? (
            <p className="notice notice-warn">
              Its scheduler stopped (killed or lost) while it ran: its lock's lease ended. The next
              run takes over what it left.
            </p>
          ) : null}
          {data.run.status === 'requested' ? (
            <div className="actions">
              <p className="notice notice-warn" role="status">
                Waiting for a scheduler: the next scheduler daemon that reports takes it.
              </p>
              <button
                type="button"
                className="secondary"
                disabled={cancel.isPending}
                onClick={() => cancel.mutate({ id })}
              >
                Cancel this run
              </button>
              {cancel.isError ? <ErrorMessage error={cancel.error} context="Cancel" /> : null}
            </div>
          ) : null}
          {data.run.error ? <p className="notice notice-error">{data.run.error}</p> : null}
          {data.run.notes.map((note) => (
            <p key={note} className="hint">
              {note}
            </p>
          ))}
          <RunProgress run={data.run} now={new Date()} />
          <OutcomeCounts run={data.run} caption="Orders by outcome" />

          {leftByTheRunItself(data.run) > 0 ? (
            <p className="hint">
              {leftByTheRunItself(data.run)} orders were left by the run itself (not tried, request
              failed or server unreachable): no call recorded a failure for them, so they are not in
              a group below. They are still pending: the next run takes them ("Run now" on the Runs
              page).
            </p>
          ) : null}

          <h2>Failures by reason</h2>
          {data.failures.length === 0 ? (
            <p>No failures.</p>
          ) : (
            <FailureGroups
              caption="Failures the run ended with, by reason"
              groups={data.failures}
              action={(g) =>
                g.retryable && g.stillPending > 0 ? (
                  <button
                    type="button"
                    disabled={retry.isPending}
                    onClick={() =>
                      retry.mutate({ runId: id, outcome: g.outcome, reasonCode: g.reasonCode })
                    }
                  >
                    Retry {g.stillPending}
                  </button>
                ) : (
                  '—'
                )
              }
            />
          )}
          <div className="actions">
            <button
              type="button"
              disabled={retryable.length === 0 || retry.isPending}
              onClick={() => retry.mutate({ runId: id })}
            >
              Retry every retryable failure of this run
            </button>
            {retry.isError ? <ErrorMessage error={retry.error} context="Retry" /> : null}
            {retry.data ? (
              <p role="status">
                Retry requested as{' '}
                <Link to={`/runs/${retry.data.run.id}`}>run {retry.data.run.id}</Link>
                {retry.data.schedulerAlive
                  ? '; a scheduler will carry it out.'
                  : '; it waits: no scheduler is alive.'}
              </p>
            ) : null}
          </div>

          <h2>Retries of this run</h2>
          {data.retries.length === 0 ? (
            <p>None.</p>
          ) : (
            <ul>
              {data.retries.map((r) => (
                <li key={r.id}>
                  <Link to={`/runs/${r.id}`}>Run {r.id}</Link> <RunStatus run={r} /> ·{' '}
                  {r.counts.completed} completed
                </li>
              ))}
            </ul>
          )}

          <h2>Calls</h2>
          <ul>
            {data.calls.map((c) => (
              <li key={c.id}>
                <Link to={`/calls/${c.id}`}>{formatDateTime(c.startedAt)}</Link>: {c.requestedCount}{' '}
                requested, {c.counts.completed} completed ({c.outcome})
              </li>
            ))}
          </ul>
          {data.moreCalls ? <p className="hint">Only the newest 50 calls are listed.</p> : null}
        </>
      ) : null}
    </>
  );
}
