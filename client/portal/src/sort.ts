// Sorting for the study tables: pure, so it is unit-tested without a browser.

export type Cell = string | number | boolean | null | undefined;
export type Direction = 'ascending' | 'descending';
export interface SortState {
  column: number;
  direction: Direction;
}

/** Numbers before text, missing values (null, undefined, NaN) always last whichever the direction. */
export function compareCells(a: Cell, b: Cell, direction: Direction): number {
  const missing = (v: Cell) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
  if (missing(a) || missing(b)) return missing(a) === missing(b) ? 0 : missing(a) ? 1 : -1;
  const sign = direction === 'ascending' ? 1 : -1;
  const na = typeof a === 'boolean' ? Number(a) : a;
  const nb = typeof b === 'boolean' ? Number(b) : b;
  if (typeof na === 'number' && typeof nb === 'number') return sign * (na - nb);
  if (typeof na === 'number') return -1;
  if (typeof nb === 'number') return 1;
  return sign * String(na).localeCompare(String(nb), undefined, { numeric: true });
}

/** Rows sorted by one column; ties keep their original order (stable). */
export function sortRows<R extends { cells: Cell[] }>(rows: R[], sort: SortState | null): R[] {
  if (!sort) return rows;
  return rows
    .map((r, i) => ({ r, i }))
    .sort((x, y) => compareCells(x.r.cells[sort.column], y.r.cells[sort.column], sort.direction) || x.i - y.i)
    .map(({ r }) => r);
}

/** Clicking a column sorts by it ascending; clicking it again reverses. */
export function nextSort(prev: SortState | null, column: number): SortState {
  return prev?.column === column ? { column, direction: prev.direction === 'ascending' ? 'descending' : 'ascending' } : { column, direction: 'ascending' };
}
