/** A run's progress and its counts by outcome, labelled from @ocs/domain's outcome table. */
import {
  type Outcome,
  outcomeLabel,
  outcomes,
  outcomeTable,
  retryableOutcomes,
  runStatusTable,
} from '@ocs/domain';
import type { Outputs } from '../api-types';
import { ScrollRegion } from './ScrollRegion';

export type Run = Outputs['runs']['detail']['run'];

export function statusLabel(status: Run['status']): string {
  return runStatusTable[status].label;
}

export function RunStatus({ run }: { run: Pick<Run, 'status'> }) {
  const warn =
    run.status === 'abandoned' ||
    run.status === 'failed' ||
    run.status === 'finished_with_orders_left';
  return <span className={warn ? 'badge badge-warn' : 'badge'}>{statusLabel(run.status)}</span>;
}

/** Orders per second and the time left, from what the run has reported so far. */
export function rateOf(
  run: Run,
  now: Date,
): { perSecond: number | null; secondsLeft: number | null } {
  if (!run.startedAt || run.settled === 0) return { perSecond: null, secondsLeft: null };
  const end = run.finishedAt ?? (run.status === 'running' ? now : run.updatedAt);
  const seconds = Math.max(0.001, (end.getTime() - run.startedAt.getTime()) / 1000);
  const perSecond = run.settled / seconds;
  const total = run.expected ?? run.pending;
  const secondsLeft =
    run.status === 'running' ? Math.max(0, total - run.settled) / perSecond : null;
  return { perSecond, secondsLeft };
}

export function RunProgress({ run, now }: { run: Run; now: Date }) {
  const total = Math.max(run.expected ?? run.pending, run.settled, 1);
  const percent = Math.min(100, Math.round((run.settled / total) * 100));
  const { perSecond, secondsLeft } = rateOf(run, now);
  return (
    <div className="run-progress">
      <progress
        max={total}
        value={run.settled}
        aria-label={`Run progress: ${run.settled} of ${total} orders`}
      />
      <p>
        <span data-testid="settled">{run.settled}</span> of{' '}
        <span data-testid="expected">{total}</span> orders ({percent}%)
        {perSecond !== null ? ` · ${Math.round(perSecond)} orders/s` : ''}
        {secondsLeft !== null ? ` · about ${Math.ceil(secondsLeft)} s left` : ''}
      </p>
    </div>
  );
}

export function OutcomeCounts({ run, caption }: { run: Run; caption: string }) {
  const shown = outcomes.filter((o) => run.counts[o] > 0 || o === 'completed');
  return (
    <ScrollRegion label="caption">
      <table className="counts">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Outcome</th>
            <th scope="col">Orders</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((o) => (
            <tr key={o} data-outcome={o}>
              <th scope="row">{outcomeLabel(o)}</th>
              <td>{run.counts[o]}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

const sumOf = (run: Pick<Run, 'counts'>, keys: readonly Outcome[]) =>
  keys.reduce((n, key) => n + run.counts[key], 0);

/** Orders a later run may still complete: the retryable outcomes of the table. */
export function leftBy(run: Pick<Run, 'counts'>): number {
  return sumOf(run, retryableOutcomes);
}

/** Orders the run left without a call recording them (the table's run-scope outcomes). */
export function leftByTheRunItself(run: Pick<Run, 'counts'>): number {
  return sumOf(
    run,
    outcomes.filter((o) => outcomeTable[o].scope === 'run'),
  );
}
