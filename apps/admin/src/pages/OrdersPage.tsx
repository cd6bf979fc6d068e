/** Orders: state filter, id search, cursor pagination, and completing the selected orders. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { createColumnHelper, type RowSelectionState } from '@tanstack/react-table';
import { type FormEvent, useId, useState } from 'react';
import { Link } from 'react-router';
import type { Outputs } from '../api-types';
import { CompletionResult } from '../components/CompletionResult';
import { DataTable, selectionColumn } from '../components/DataTable';
import { ErrorMessage } from '../components/ErrorMessage';
import { formatDateTime } from '../dates';
import { useTRPC } from '../trpc';

type OrderRow = Outputs['orders']['list']['orders'][number];
type StateFilter = '' | 'SUBMITTED' | 'FINISHED';
const pageSize = 25;

const column = createColumnHelper<OrderRow>();
const columns = [
  selectionColumn<OrderRow>((order) => `Select order ${order.id}`),
  column.accessor('id', {
    header: 'Order',
    cell: (info) => <Link to={`/orders/${info.getValue()}`}>{info.getValue()}</Link>,
  }),
  column.accessor('orderDate', {
    header: 'Ordered',
    cell: (info) => formatDateTime(info.getValue()),
  }),
  column.accessor('state', { header: 'State' }),
  column.accessor((order) => order.lines.length, { id: 'lines', header: 'Lines' }),
  column.accessor(
    (order) =>
      order.lines.every(
        (l) => l.deliveredQuantity !== null && l.deliveredQuantity >= l.orderedQuantity,
      ) && order.lines.length > 0,
    {
      id: 'delivered',
      header: 'Fully delivered',
      cell: (info) => (info.getValue() ? 'Yes' : 'No'),
    },
  ),
];

export function OrdersPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [state, setState] = useState<StateFilter>('');
  const [search, setSearch] = useState('');
  const [searchedId, setSearchedId] = useState<number | null>(null);
  const [searchProblem, setSearchProblem] = useState<string | null>(null);
  /** Cursors of the pages before this one; the last is this page's. */
  const [cursors, setCursors] = useState<(number | null)[]>([null]);
  const [selection, setSelection] = useState<RowSelectionState>({});
  const stateId = useId();
  const searchId = useId();

  const cursor = cursors.at(-1) ?? null;
  const orders = useQuery(
    trpc.orders.list.queryOptions({
      limit: pageSize,
      cursor,
      ...(state ? { state } : {}),
      ...(searchedId !== null ? { id: searchedId } : {}),
    }),
  );
  const complete = useMutation(
    trpc.orders.complete.mutationOptions({
      onSettled: async () => {
        setSelection({});
        await queryClient.invalidateQueries();
      },
    }),
  );

  const selectedIds = Object.keys(selection)
    .filter((id) => selection[id])
    .map(Number)
    .sort((a, b) => a - b);

  function applySearch(event: FormEvent) {
    event.preventDefault();
    const text = search.trim();
    if (text === '') {
      setSearchedId(null);
      setSearchProblem(null);
    } else if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 2_147_483_647) {
      setSearchProblem('An order id is a whole number from 1 to 2147483647.');
      return;
    } else {
      setSearchedId(Number(text));
      setSearchProblem(null);
    }
    setCursors([null]);
    setSelection({});
  }

  return (
    <>
      <h1 tabIndex={-1}>Orders</h1>
      <form className="filters" onSubmit={applySearch} aria-label="Filter orders">
        <div className="field">
          <label htmlFor={stateId}>State</label>
          <select
            id={stateId}
            value={state}
            onChange={(event) => {
              setState(event.target.value as StateFilter);
              setCursors([null]);
              setSelection({});
            }}
          >
            <option value="">All states</option>
            <option value="SUBMITTED">Submitted</option>
            <option value="FINISHED">Finished</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor={searchId}>Order id</label>
          <input
            id={searchId}
            inputMode="numeric"
            value={search}
            aria-invalid={searchProblem ? true : undefined}
            aria-describedby={searchProblem ? `${searchId}-problem` : undefined}
            onChange={(event) => setSearch(event.target.value)}
          />
        </div>
        <button type="submit">Search</button>
        {searchProblem ? (
          <p id={`${searchId}-problem`} className="field-problem" role="alert">
            {searchProblem}
          </p>
        ) : null}
      </form>

      <div className="actions">
        <button
          type="button"
          disabled={selectedIds.length === 0 || complete.isPending}
          onClick={() => complete.mutate({ orderIds: selectedIds })}
        >
          {complete.isPending ? 'Completing…' : `Complete selected orders (${selectedIds.length})`}
        </button>
      </div>
      <div aria-live="polite">
        {complete.isPending ? <p role="status">Completing {selectedIds.length} orders…</p> : null}
        <CompletionResult
          title="Completion"
          data={complete.data}
          error={complete.isError ? complete.error : undefined}
        />
      </div>

      {orders.isError ? <ErrorMessage error={orders.error} context="Orders" /> : null}
      {orders.isPending ? <p role="status">Loading orders…</p> : null}
      {orders.data ? (
        <DataTable
          caption={`Orders${state ? ` (${state.toLowerCase()})` : ''}${searchedId !== null ? `, id ${searchedId}` : ''}, page ${cursors.length}`}
          data={orders.data.orders}
          columns={columns}
          getRowId={(order) => String(order.id)}
          empty="No orders match."
          rowSelection={selection}
          onRowSelectionChange={setSelection}
        />
      ) : null}
      <nav className="pager" aria-label="Order pages">
        <button
          type="button"
          className="secondary"
          disabled={cursors.length <= 1}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          Previous page
        </button>
        <button
          type="button"
          className="secondary"
          disabled={!orders.data?.nextCursor}
          onClick={() => {
            const next = orders.data?.nextCursor;
            if (next) setCursors((c) => [...c, next]);
          }}
        >
          Next page
        </button>
      </nav>
    </>
  );
}
