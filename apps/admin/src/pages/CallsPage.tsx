/** Calls: completions and failures per day, and every completion call, newest first (unfinished marked). */

import { callOutcomes, outcomeLabel } from '@ocs/domain';
import { useQuery } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { useState } from 'react';
import { Link } from 'react-router';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { Outputs } from '../api-types';
import { DataTable } from '../components/DataTable';
import { ErrorMessage } from '../components/ErrorMessage';
import { formatDateTime, formatDuration } from '../dates';
import { useTRPC } from '../trpc';

type RunRow = Outputs['calls']['history']['runs'][number];

export function outcomeText(run: Pick<RunRow, 'outcome' | 'unfinished'>): string {
  if (run.unfinished) return 'Unfinished (its process is gone)';
  if (run.outcome === 'RUNNING') return 'Running';
  return run.outcome;
}

function failedByReason(run: RunRow): string {
  const text = callOutcomes
    .filter((o) => o !== 'completed' && run.counts[o] > 0)
    .map((o) => `${run.counts[o]} ${outcomeLabel(o).toLowerCase()}`)
    .join(', ');
  return text || '—';
}

const column = createColumnHelper<RunRow>();
const columns = [
  column.accessor('startedAt', {
    header: 'Started',
    cell: (info) => (
      <Link to={`/calls/${info.row.original.id}`}>{formatDateTime(info.getValue())}</Link>
    ),
  }),
  column.accessor((run) => outcomeText(run), {
    id: 'outcome',
    header: 'Outcome',
    cell: (info) => (
      <span className={info.row.original.unfinished ? 'badge badge-warn' : undefined}>
        {info.getValue()}
      </span>
    ),
  }),
  column.accessor('requestedCount', { header: 'Requested' }),
  column.accessor((run) => run.counts.completed, { id: 'completed', header: 'Completed' }),
  column.accessor('failedCount', { header: 'Failed' }),
  column.accessor((run) => failedByReason(run), { id: 'reasons', header: 'Failed by reason' }),
  column.accessor('durationMs', {
    header: 'Duration',
    cell: (info) => formatDuration(info.getValue()),
  }),
];

function RunsChart() {
  const trpc = useTRPC();
  const perDay = useQuery(trpc.calls.perDay.queryOptions({ days: 30 }));
  if (perDay.isError) return <ErrorMessage error={perDay.error} context="Calls per day" />;
  if (perDay.isPending) return <p role="status">Loading the chart…</p>;
  const total = perDay.data.reduce(
    (sum, d) => ({ completed: sum.completed + d.completed, failed: sum.failed + d.failed }),
    { completed: 0, failed: 0 },
  );
  const summary = `Completions and failures per day over the last 30 days: ${total.completed} orders completed and ${total.failed} failed in ${perDay.data.length} day(s) with calls.`;
  return (
    <figure className="chart">
      <figcaption>{summary}</figcaption>
      {perDay.data.length === 0 ? (
        <p>No calls in the last 30 days.</p>
      ) : (
        <div className="chart-box" role="img" aria-label={summary}>
          <ResponsiveContainer width="100%" height={240}>
            <BarChart data={perDay.data} margin={{ top: 8, right: 8, left: 0, bottom: 8 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="day" />
              <YAxis allowDecimals={false} />
              <Tooltip />
              <Legend />
              <Bar dataKey="completed" name="Completed" fill="#1d6b35" isAnimationActive={false} />
              <Bar dataKey="failed" name="Failed" fill="#b3261e" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
      )}
    </figure>
  );
}

export function CallsPage() {
  const trpc = useTRPC();
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const history = useQuery(
    trpc.calls.history.queryOptions({ limit: 20, cursor: cursors.at(-1) ?? null }),
  );
  return (
    <>
      <h1 tabIndex={-1}>Calls</h1>
      <RunsChart />
      <h2>History</h2>
      {history.isError ? <ErrorMessage error={history.error} context="Calls" /> : null}
      {history.isPending ? <p role="status">Loading calls…</p> : null}
      {history.data ? (
        <DataTable
          caption={`Calls, newest first, page ${cursors.length}`}
          data={history.data.runs}
          columns={columns}
          getRowId={(run) => run.id}
          empty="No calls yet."
        />
      ) : null}
      <nav className="pager" aria-label="Run pages">
        <button
          type="button"
          className="secondary"
          disabled={cursors.length <= 1}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          Newer calls
        </button>
        <button
          type="button"
          className="secondary"
          disabled={!history.data?.nextCursor}
          onClick={() => {
            const next = history.data?.nextCursor;
            if (next) setCursors((c) => [...c, next]);
          }}
        >
          Older calls
        </button>
      </nav>
    </>
  );
}
