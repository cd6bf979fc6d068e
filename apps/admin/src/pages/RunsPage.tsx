/**
 * The home page: the scheduler's runs. The current run live (pushed over SSE by `runs.live`
 * within a second of each batch), whether a scheduler is alive and when it runs next, runs
 * waiting for one, and the recent runs with their totals.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { Link } from 'react-router';
import type { Outputs } from '../api-types';
import { ErrorMessage } from '../components/ErrorMessage';
import { leftBy, OutcomeCounts, RunProgress, RunStatus } from '../components/RunFigures';
import { ScrollRegion } from '../components/ScrollRegion';
import { formatDateTime } from '../dates';
import { useTRPC } from '../trpc';

type Overview = Outputs['runs']['overview'];

function Schedulers({ view }: { view: Overview }) {
  const alive = view.schedulers.filter((s) => s.alive);
  if (!view.schedulerAlive) {
    return (
      <p className="notice notice-warn" role="status">
        No scheduler daemon is alive
        {view.schedulers[0]
          ? ` (last heartbeat ${formatDateTime(view.schedulers[0].heartbeatAt)})`
          : ''}
        : requested runs wait until one starts.
        {alive.length > 0 ? ` (${alive.length} run-once scheduler(s) running.)` : ''}
      </p>
    );
  }
  return (
    <ul className="schedulers">
      {alive.map((s) => (
        <li key={s.instance}>
          Scheduler <code>{s.instance}</code> is alive (heartbeat {formatDateTime(s.heartbeatAt)})
          {s.cron ? (
            <>
              , runs on <code>{s.cron}</code>
              {s.nextRunAt ? `, next run ${formatDateTime(s.nextRunAt)}` : ''}
            </>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

export function RunsPage() {
  const trpc = useTRPC();
  // The first view comes from the query; the subscription keeps it current.
  const overview = useQuery(trpc.runs.overview.queryOptions());
  const live = useSubscription(trpc.runs.live.subscriptionOptions());
  const request = useMutation(trpc.runs.request.mutationOptions());
  const view = live.data ?? overview.data;

  return (
    <>
      <h1 tabIndex={-1}>Runs</h1>
      {overview.isError ? <ErrorMessage error={overview.error} context="Runs" /> : null}
      {!view ? <p role="status">Loading runs…</p> : null}
      {view ? (
        <>
          <Schedulers view={view} />
          <section aria-labelledby="current-run">
            <h2 id="current-run">Current run</h2>
            {view.current ? (
              <div data-testid="current-run">
                <p>
                  <Link to={`/runs/${view.current.id}`}>Run {view.current.id}</Link>{' '}
                  <RunStatus run={view.current} /> started {formatDateTime(view.current.startedAt)}{' '}
                  ({view.current.triggeredBy})
                </p>
                <RunProgress run={view.current} now={view.now} />
                <OutcomeCounts run={view.current} caption="The current run's orders by outcome" />
              </div>
            ) : (
              <p>No run is going on.</p>
            )}
            <div className="actions">
              <button
                type="button"
                disabled={request.isPending || view.waiting.length > 0}
                onClick={() => request.mutate()}
              >
                Run now
              </button>
              {view.waiting.length > 0 ? (
                <p className="hint" role="status">
                  {view.waiting.length} requested run(s) waiting for a scheduler
                  {view.schedulerAlive ? '' : ' (no scheduler daemon is alive to take it)'}:{' '}
                  {view.waiting.map((r, i) => (
                    <span key={r.id}>
                      {i > 0 ? ', ' : ''}
                      <Link to={`/runs/${r.id}`}>run {r.id}</Link>
                    </span>
                  ))}
                  .
                </p>
              ) : null}
              {request.isError ? <ErrorMessage error={request.error} context="Run now" /> : null}
            </div>
          </section>
          <section aria-labelledby="recent-runs">
            <h2 id="recent-runs">Recent runs</h2>
            <ScrollRegion label="Runs, newest first">
              <table>
                <caption>Runs, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Run</th>
                    <th scope="col">Status</th>
                    <th scope="col">Trigger</th>
                    <th scope="col">Finished</th>
                    <th scope="col">Completed</th>
                    <th scope="col">Left</th>
                  </tr>
                </thead>
                <tbody>
                  {view.recent.map((run) => (
                    <tr key={run.id}>
                      <td>
                        <Link to={`/runs/${run.id}`}>
                          {formatDateTime(run.startedAt ?? run.requestedAt)}
                        </Link>
                      </td>
                      <td>
                        <RunStatus run={run} />
                      </td>
                      <td>
                        {run.triggeredBy}
                        {run.retryOf ? ' (retry)' : ''}
                      </td>
                      <td>{formatDateTime(run.finishedAt)}</td>
                      <td>{run.counts.completed}</td>
                      <td>{leftBy(run)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollRegion>
            {view.recent.length === 0 ? <p>No runs yet.</p> : null}
          </section>
        </>
      ) : null}
    </>
  );
}
