// A table whose columns sort on click (a button in each header, `aria-sort` on the sorted one).
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { nextSort, sortRows, type Cell, type SortState } from './sort.ts';

export interface Column {
  label: string;
  /** Numeric columns are right-aligned. */
  numeric?: boolean;
}

export interface Row {
  key: string;
  /** Sort keys, one per column. */
  cells: Cell[];
  /** What is shown, one per column (defaults to the sort key). */
  view?: ComponentChildren[];
  class?: string;
}

export function SortableTable(props: { caption: string; columns: Column[]; rows: Row[]; footer?: Row[]; testId?: string }) {
  const [sort, setSort] = useState<SortState | null>(null);
  const rows = sortRows(props.rows, sort);
  const show = (r: Row, i: number) => r.view?.[i] ?? (r.cells[i] === null || r.cells[i] === undefined ? '—' : String(r.cells[i]));
  const line = (r: Row) => (
    <tr key={r.key} class={r.class}>
      {props.columns.map((c, i) =>
        i === 0 ? (
          <th scope="row" key={i}>
            {show(r, i)}
          </th>
        ) : (
          <td key={i} class={c.numeric ? 'num' : undefined}>
            {show(r, i)}
          </td>
        ),
      )}
    </tr>
  );
  // Scrolls sideways rather than breaking words (a state like SUCCEEDED, a file name) in narrow columns.
  return (
    <div class="table-scroll">
      <table class="data-table" data-testid={props.testId}>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((c, i) => (
              <th key={i} scope="col" class={c.numeric ? 'num' : undefined} aria-sort={sort?.column === i ? sort.direction : undefined}>
                <button type="button" class="sort" onClick={() => setSort(nextSort(sort, i))}>
                  {c.label}
                  <span aria-hidden="true">{sort?.column === i ? (sort.direction === 'ascending' ? ' ▲' : ' ▼') : ''}</span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{rows.map(line)}</tbody>
        {props.footer && props.footer.length > 0 && <tfoot>{props.footer.map(line)}</tfoot>}
      </table>
    </div>
  );
}
