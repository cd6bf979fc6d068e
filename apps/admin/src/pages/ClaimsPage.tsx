/** Claims left by calls that are no longer alive: their age, and releasing them. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createColumnHelper, type RowSelectionState } from '@tanstack/react-table';
import { useState } from 'react';
import { Link } from 'react-router';
import type { Outputs } from '../api-types';
import { DataTable, selectionColumn } from '../components/DataTable';
import { ErrorMessage } from '../components/ErrorMessage';
import { formatDateTime, formatDuration } from '../dates';
import { describeError } from '../errors';
import { useTRPC } from '../trpc';

type ClaimRow = Outputs['claims']['stale']['claims'][number];

const releaseText = {
  released: 'Released: the next call notifies it',
  'handed-over': 'Lease ended: the next call finishes it without notifying again',
  'not-stale': 'Left alone: a live call holds it now, or it is finished',
} as const;

const column = createColumnHelper<ClaimRow>();
const columns = [
  selectionColumn<ClaimRow>((claim) => `Select the claim on order ${claim.orderId}`),
  column.accessor('orderId', {
    header: 'Order',
    cell: (info) => <Link to={`/orders/${info.getValue()}`}>{info.getValue()}</Link>,
  }),
  column.accessor('state', {
    header: 'State',
    cell: (info) =>
      info.getValue() === 'claimed'
        ? 'claimed (maybe sent)'
        : info.getValue() === 'unconfirmed'
          ? 'held (no answer; maybe sent)'
          : 'notified (not finished)',
  }),
  column.accessor('ageMs', { header: 'Age', cell: (info) => formatDuration(info.getValue()) }),
  column.accessor('leaseUntil', {
    header: 'Lease ended',
    cell: (info) => formatDateTime(info.getValue()),
  }),
  column.accessor('callId', {
    header: 'Run',
    cell: (info) => <Link to={`/calls/${info.getValue()}`}>{info.getValue()}</Link>,
  }),
  column.accessor('claims', { header: 'Claims' }),
];

export function ClaimsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [selection, setSelection] = useState<RowSelectionState>({});
  const stale = useQuery(trpc.claims.stale.queryOptions({}));
  const release = useMutation(
    trpc.claims.release.mutationOptions({
      onSettled: async () => {
        setSelection({});
        await queryClient.invalidateQueries();
      },
    }),
  );
  const selectedIds = Object.keys(selection)
    .filter((id) => selection[id])
    .map(Number);

  return (
    <>
      <h1 tabIndex={-1}>Claims</h1>
      <p>
        Orders claimed by a call that is no longer alive (its lease ended before it finished). A{' '}
        <em>claimed</em> order may or may not have been notified; the next call notifies it again
        (with the v1 protocol under the same idempotency key, so the service drops a repeat). A{' '}
        <em>notified</em> order is finished by the next call without notifying. Release them to let
        the next call take them at once, or let them expire: the next call takes them over anyway.
      </p>
      <div className="actions">
        <button
          type="button"
          disabled={selectedIds.length === 0 || release.isPending}
          onClick={() => release.mutate({ orderIds: selectedIds })}
        >
          {release.isPending ? 'Releasing…' : `Release selected claims (${selectedIds.length})`}
        </button>
      </div>
      <div aria-live="polite">
        {release.data ? (
          <div className="notice notice-ok" role="status">
            <p className="notice-title">Release</p>
            <ul>
              {release.data.results.map((result) => (
                <li key={result.orderId}>
                  Order {result.orderId}: {releaseText[result.outcome]}
                </li>
              ))}
            </ul>
          </div>
        ) : null}
        {release.isError ? (
          <div className="notice notice-error" role="alert">
            <p className="notice-title">Release: {describeError(release.error).title}</p>
            <p>{describeError(release.error).detail}</p>
          </div>
        ) : null}
      </div>
      {stale.isError ? <ErrorMessage error={stale.error} context="Claims" /> : null}
      {stale.isPending ? <p role="status">Loading claims…</p> : null}
      {stale.data ? (
        <DataTable
          caption={`Claims of calls no longer alive (checked ${formatDateTime(stale.data.checkedAt)})`}
          data={stale.data.claims}
          columns={columns}
          getRowId={(claim) => String(claim.orderId)}
          empty="No claims left behind."
          rowSelection={selection}
          onRowSelectionChange={setSelection}
        />
      ) : null}
    </>
  );
}
