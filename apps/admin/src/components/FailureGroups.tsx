/**
 * Failures grouped by outcome and reason code: a run's (with an action per group) or every
 * run's (with how many runs had each group).
 */
import { outcomeLabel } from '@ocs/domain';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { Outputs } from '../api-types';
import { formatDateTime } from '../dates';
import { ScrollRegion } from './ScrollRegion';

export type FailureGroup = Outputs['runs']['failures'][number];

export function FailureGroups({
  caption,
  groups,
  showRuns = false,
  action,
}: {
  caption: string;
  groups: readonly FailureGroup[];
  /** Across runs: how many runs had the group. */
  showRuns?: boolean;
  /** A last column per group (e.g. its retry). */
  action?: (group: FailureGroup) => ReactNode;
}) {
  return (
    <ScrollRegion label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Outcome</th>
            <th scope="col">Reason</th>
            <th scope="col">Orders</th>
            {showRuns ? <th scope="col">Runs</th> : null}
            <th scope="col">Still pending</th>
            <th scope="col">First seen</th>
            <th scope="col">Last seen</th>
            <th scope="col">Examples</th>
            {action ? <th scope="col">Action</th> : null}
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={`${g.outcome}/${g.reasonCode}`} data-group={g.outcome}>
              <th scope="row">{outcomeLabel(g.outcome)}</th>
              <td>
                <code>{g.reasonCode ?? '—'}</code>
              </td>
              <td data-testid="group-count">{g.count}</td>
              {showRuns ? <td>{g.runs}</td> : null}
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
              {action ? <td>{action(g)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}
