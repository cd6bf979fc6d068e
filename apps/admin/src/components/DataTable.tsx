/**
 * A TanStack Table rendered as a plain, accessible HTML table inside a focusable scroll
 * region (narrow screens scroll the table, not the page).
 */
import {
  type ColumnDef,
  flexRender,
  getCoreRowModel,
  type RowSelectionState,
  useReactTable,
} from '@tanstack/react-table';
import { ScrollRegion } from './ScrollRegion';

interface DataTableProps<T> {
  caption: string;
  data: T[];
  // biome-ignore lint/suspicious/noExplicitAny: column value types differ per column (TanStack's own pattern)
  columns: ColumnDef<T, any>[];
  getRowId: (row: T) => string;
  empty: string;
  rowSelection?: RowSelectionState;
  onRowSelectionChange?: (selection: RowSelectionState) => void;
}

export function DataTable<T>({
  caption,
  data,
  columns,
  getRowId,
  empty,
  rowSelection,
  onRowSelectionChange,
}: DataTableProps<T>) {
  const table = useReactTable({
    data,
    columns,
    getRowId,
    getCoreRowModel: getCoreRowModel(),
    enableRowSelection: rowSelection !== undefined,
    state: rowSelection ? { rowSelection } : {},
    onRowSelectionChange: (updater) => {
      if (!onRowSelectionChange || !rowSelection) return;
      onRowSelectionChange(typeof updater === 'function' ? updater(rowSelection) : updater);
    },
  });
  return (
    <ScrollRegion label={caption}>
      <table>
        <caption>{caption}</caption>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => (
                <th key={header.id} scope="col">
                  {header.isPlaceholder
                    ? null
                    : flexRender(header.column.columnDef.header, header.getContext())}
                </th>
              ))}
            </tr>
          ))}
        </thead>
        <tbody>
          {table.getRowModel().rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length}>{empty}</td>
            </tr>
          ) : (
            table.getRowModel().rows.map((row) => (
              <tr key={row.id}>
                {row.getVisibleCells().map((cell) => (
                  <td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

/** A checkbox column: each box is labelled with its row, the header box selects the page. */
export function selectionColumn<T>(label: (row: T) => string): ColumnDef<T, unknown> {
  return {
    id: 'select',
    header: ({ table }) => (
      <input
        type="checkbox"
        aria-label="Select all rows on this page"
        checked={table.getIsAllRowsSelected()}
        ref={(input) => {
          if (input) input.indeterminate = table.getIsSomeRowsSelected();
        }}
        onChange={table.getToggleAllRowsSelectedHandler()}
      />
    ),
    cell: ({ row }) => (
      <input
        type="checkbox"
        aria-label={label(row.original)}
        checked={row.getIsSelected()}
        disabled={!row.getCanSelect()}
        onChange={row.getToggleSelectedHandler()}
      />
    ),
  };
}
