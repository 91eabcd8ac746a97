// The study tables' sorting (client/portal/src/sort.ts), without a browser.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareCells, nextSort, sortRows } from '../../client/portal/src/sort.ts';

const rows = (cells: (string | number | null)[]) => cells.map((c, i) => ({ key: String(i), cells: [c] }));
const col = (rs: { cells: unknown[] }[]) => rs.map((r) => r.cells[0]);

test('numbers numerically, text naturally, missing values last in both directions', () => {
  const r = rows([0.5, null, 0.0848, 'n/a', 10, Number.NaN, 2]);
  assert.deepEqual(col(sortRows(r, { column: 0, direction: 'ascending' })), [0.0848, 0.5, 2, 10, 'n/a', null, Number.NaN]);
  assert.deepEqual(col(sortRows(r, { column: 0, direction: 'descending' })), [10, 2, 0.5, 0.0848, 'n/a', null, Number.NaN]);
  assert.deepEqual(col(sortRows(rows(['img10.jpg', 'img9.jpg', 'Img1.jpg']), { column: 0, direction: 'ascending' })), ['Img1.jpg', 'img9.jpg', 'img10.jpg']);
  assert.deepEqual(col(sortRows(r, null)), col(r), 'unsorted: as given');
  assert.ok(compareCells(true, false, 'ascending') > 0);
});

test('stable: ties keep their order; a second click reverses', () => {
  const r = [
    { key: 'a', cells: [1, 'x'] },
    { key: 'b', cells: [0, 'y'] },
    { key: 'c', cells: [1, 'z'] },
  ];
  assert.deepEqual(sortRows(r, { column: 0, direction: 'descending' }).map((x) => x.key), ['a', 'c', 'b']);
  assert.deepEqual(nextSort(null, 2), { column: 2, direction: 'ascending' });
  assert.deepEqual(nextSort({ column: 2, direction: 'ascending' }, 2), { column: 2, direction: 'descending' });
  assert.deepEqual(nextSort({ column: 2, direction: 'descending' }, 1), { column: 1, direction: 'ascending' });
});
