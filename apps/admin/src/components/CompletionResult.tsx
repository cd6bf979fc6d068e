/** The outcome of a completion call, one row per requested id, in words. */
import { Link } from 'react-router';
import type { CompletionResponse } from '../api-types';
import { describeError } from '../errors';
import { isApiError } from '../trpc';
import { ScrollRegion } from './ScrollRegion';

interface Row {
  orderId: number;
  outcome: string;
  reason: string;
}

export function responseRows(response: CompletionResponse): Row[] {
  const rows: Row[] = [
    ...response.completedOrderIds.map((orderId) => ({
      orderId,
      outcome: 'Finished',
      reason: 'Notified and set to FINISHED',
    })),
    ...response.notFoundOrderIds.map((orderId) => ({
      orderId,
      outcome: 'Not found',
      reason: 'No order with this id',
    })),
    ...response.unsuccessfulOrders.map((o) => ({
      orderId: o.orderId,
      outcome: 'Requirements not met',
      reason: o.reasons.map((r) => r.message).join('; '),
    })),
    ...response.unsuccessfullyNotifiedOrders.map((o) => ({
      orderId: o.orderId,
      outcome: 'Not notified',
      reason: o.reason.message,
    })),
    ...response.unsuccessfullyUpdatedOrders.map((o) => ({
      orderId: o.orderId,
      outcome: 'Not updated',
      reason: o.reason.message,
    })),
    ...(response.claimedElsewhereOrders ?? []).map((o) => ({
      orderId: o.orderId,
      outcome: 'Claimed by another call',
      reason: o.reason.message,
    })),
  ];
  return rows.sort((a, b) => a.orderId - b.orderId);
}

export function OutcomeTable({ caption, rows }: { caption: string; rows: Row[] }) {
  return (
    <ScrollRegion label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Order</th>
            <th scope="col">Outcome</th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.orderId} data-order-id={row.orderId}>
              <td>
                <Link to={`/orders/${row.orderId}`}>{row.orderId}</Link>
              </td>
              <td>{row.outcome}</td>
              <td>{row.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

/**
 * What a completion call answered: a 200 with its call record, or a 400 whose body still lists every
 * id's outcome (nothing completed), or an error in words.
 */
export function CompletionResult({
  title,
  data,
  error,
}: {
  title: string;
  data?: (CompletionResponse & { callId: string }) | undefined;
  error?: unknown;
}) {
  if (data) {
    return (
      <div className="notice notice-ok" role="status">
        <p className="notice-title">
          {title}: {data.completedOrderIds.length} finished,{' '}
          {responseRows(data).length - data.completedOrderIds.length} not.{' '}
          <Link to={`/calls/${data.callId}`}>See the call</Link>
        </p>
        <OutcomeTable caption="Outcome per order" rows={responseRows(data)} />
      </div>
    );
  }
  if (error) {
    const completion = isApiError(error) ? error.data?.completion : null;
    const described = describeError(error);
    return (
      <div className="notice notice-error" role="alert">
        <p className="notice-title">
          {title}: {described.title}
        </p>
        <p>
          {described.detail}
          {completion?.callId ? (
            <>
              {' '}
              <Link to={`/calls/${completion.callId}`}>See the call</Link>
            </>
          ) : null}
        </p>
        {completion ? (
          <OutcomeTable caption="Outcome per order" rows={responseRows(completion.response)} />
        ) : null}
      </div>
    );
  }
  return null;
}
