/** One order: lines, each requirement's verdict, its ledger row and its call history. */
import { outcomeLabel } from '@ocs/domain';
import { useQuery } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { ErrorMessage } from '../components/ErrorMessage';
import { ScrollRegion } from '../components/ScrollRegion';
import { formatDateTime, formatDuration } from '../dates';
import { useTRPC } from '../trpc';

const ledgerStateText = {
  claimed: 'Claimed: a call holds it; its notification may be in flight',
  unconfirmed:
    'Held for an operator: its notification got no answer and may have been delivered (legacy API); release it to send it again',
  notified: 'Notified: the notification service acknowledged it; not yet finished',
  finished: 'Finished',
} as const;

function reasonText(reason: unknown): string {
  if (reason === null || reason === undefined) return '—';
  const list = Array.isArray(reason) ? reason : [reason];
  return list
    .map((r) =>
      typeof r === 'object' && r !== null && 'message' in r ? String(r.message) : JSON.stringify(r),
    )
    .join('; ');
}

export function OrderPage() {
  const { id } = useParams();
  const orderId = Number(id);
  const valid = Number.isInteger(orderId) && orderId > 0;
  const trpc = useTRPC();
  const detail = useQuery({ ...trpc.orders.detail.queryOptions({ id: orderId }), enabled: valid });

  if (!valid) {
    return (
      <>
        <h1 tabIndex={-1}>Order</h1>
        <p role="alert">“{id}” is not an order id.</p>
      </>
    );
  }
  return (
    <>
      <p className="breadcrumb">
        <Link to="/orders">Orders</Link> › Order {orderId}
      </p>
      <h1 tabIndex={-1}>Order {orderId}</h1>
      {detail.isError ? <ErrorMessage error={detail.error} context={`Order ${orderId}`} /> : null}
      {detail.isPending ? <p role="status">Loading order {orderId}…</p> : null}
      {detail.data ? (
        <>
          <dl className="facts">
            <dt>State</dt>
            <dd>{detail.data.order.state}</dd>
            <dt>Ordered</dt>
            <dd>{formatDateTime(detail.data.order.orderDate)}</dd>
            <dt>Finished by call</dt>
            <dd>
              {detail.data.finishedBy ? (
                <Link to={`/calls/${detail.data.finishedBy}`}>{detail.data.finishedBy}</Link>
              ) : (
                '—'
              )}
            </dd>
          </dl>

          <h2>Requirements</h2>
          <p className="hint">Checked by the server at {formatDateTime(detail.data.checkedAt)}.</p>
          <ul className="verdicts">
            {detail.data.verdicts.map((verdict) => (
              <li key={verdict.requirement} className={verdict.passed ? 'pass' : 'fail'}>
                <strong>{verdict.requirement}</strong>: {verdict.passed ? 'passes' : 'fails'}
                {verdict.reason ? ` — ${verdict.reason.message} (${verdict.reason.code})` : null}
              </li>
            ))}
          </ul>

          <h2>Lines</h2>
          <ScrollRegion label="Order lines">
            <table>
              <caption>Order lines</caption>
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Product</th>
                  <th scope="col">Ordered</th>
                  <th scope="col">Delivered</th>
                </tr>
              </thead>
              <tbody>
                {detail.data.order.lines.length === 0 ? (
                  <tr>
                    <td colSpan={4}>No lines.</td>
                  </tr>
                ) : (
                  detail.data.order.lines.map((line) => (
                    <tr key={line.id}>
                      <td>{line.id}</td>
                      <td>{line.productId}</td>
                      <td>{line.orderedQuantity}</td>
                      <td>{line.deliveredQuantity ?? 'not recorded'}</td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </ScrollRegion>

          <h2>Completion ledger</h2>
          {detail.data.ledger ? (
            <dl className="facts">
              <dt>State</dt>
              <dd>{ledgerStateText[detail.data.ledger.state]}</dd>
              <dt>Run</dt>
              <dd>
                <Link to={`/calls/${detail.data.ledger.callId}`}>{detail.data.ledger.callId}</Link>
              </dd>
              <dt>Claimed</dt>
              <dd>
                {formatDateTime(detail.data.ledger.claimedAt)} (
                {formatDuration(detail.data.ledger.ageMs)} ago)
              </dd>
              <dt>Lease ends</dt>
              <dd>
                {formatDateTime(detail.data.ledger.leaseUntil)}
                {detail.data.ledger.leaseEnded ? ' (ended)' : ''}
              </dd>
              <dt>Notified</dt>
              <dd>{formatDateTime(detail.data.ledger.notifiedAt)}</dd>
              <dt>Finished</dt>
              <dd>{formatDateTime(detail.data.ledger.finishedAt)}</dd>
              <dt>Claims</dt>
              <dd>
                {detail.data.ledger.claims}
                {detail.data.ledger.claims > 1 ? ' (a lease ran out at least once)' : ''}
              </dd>
            </dl>
          ) : (
            <p>No call has claimed this order yet.</p>
          )}

          <h2>History</h2>
          {detail.data.history.length === 0 ? (
            <p>No call recorded a failure for this order.</p>
          ) : (
            <ScrollRegion label="Calls that did not complete it">
              <table>
                <caption>Calls that did not complete it, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Run</th>
                    <th scope="col">Started</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {detail.data.history.map((entry) => (
                    <tr key={entry.callId}>
                      <td>
                        <Link to={`/calls/${entry.callId}`}>{entry.callId.slice(0, 13)}…</Link>
                      </td>
                      <td>{formatDateTime(entry.startedAt)}</td>
                      <td>{outcomeLabel(entry.outcome)}</td>
                      <td>{reasonText(entry.reason)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollRegion>
          )}
        </>
      ) : null}
    </>
  );
}
