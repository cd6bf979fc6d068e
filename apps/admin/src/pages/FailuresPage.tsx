/** Failures of every run over the last 30 days, grouped by reason: what keeps failing, since when. */
import { outcomeLabel } from '@ocs/domain';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { ErrorMessage } from '../components/ErrorMessage';
import { ScrollRegion } from '../components/ScrollRegion';
import { formatDateTime } from '../dates';
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
        <ScrollRegion label="Failures of the last 30 days across runs, by reason">
          <table>
            <caption>Failures of the last 30 days across runs, by reason</caption>
            <thead>
              <tr>
                <th scope="col">Outcome</th>
                <th scope="col">Reason</th>
                <th scope="col">Failures</th>
                <th scope="col">Runs</th>
                <th scope="col">Still pending</th>
                <th scope="col">First seen</th>
                <th scope="col">Last seen</th>
                <th scope="col">Examples</th>
              </tr>
            </thead>
            <tbody>
              {failures.data.map((g) => (
                <tr key={`${g.outcome}/${g.reasonCode}`}>
                  <th scope="row">{outcomeLabel(g.outcome)}</th>
                  <td>
                    <code>{g.reasonCode ?? '—'}</code>
                  </td>
                  <td>{g.count}</td>
                  <td>{g.runs}</td>
                  <td>{g.stillPending}</td>
                  <td>{formatDateTime(g.firstSeen)}</td>
                  <td>{formatDateTime(g.lastSeen)}</td>
                  <td>
                    {g.exampleIds.map((orderId, i) => (
                      <span key={orderId}>
                        {i > 0 ? ', ' : ''}
                        <Link to={`/orders/${orderId}`}>{orderId}</Link>
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      ) : null}
    </>
  );
}
