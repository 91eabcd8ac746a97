// argsort / descendingOrder against comparator sorts, on both key paths: float32 maps (32-bit keys)
// and float64 values or NaN (64-bit keys).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argsort, descendingOrder } from '../../../src/engine/metrics/index.ts';
import { mulberry32 } from '../../../src/engine/random.ts';

const z = (v: number) => (v === 0 ? 0 : v);
const ascending = (v: ArrayLike<number>) => Array.from(v, (_, i) => i).sort((i, j) => z(v[i]) - z(v[j]) || i - j);
const descending = (v: ArrayLike<number>) => Array.from(v, (_, i) => i).sort((i, j) => z(v[j]) - z(v[i]) || i - j);

function samples(): [string, ArrayLike<number>][] {
  const rand = mulberry32(5);
  const special = [0, -0, 1, -1, Infinity, -Infinity, 1e-45, -1e-45, 3.4028234663852886e38, -3.4028234663852886e38, 1.1754943508222875e-38];
  const f32 = Float32Array.from({ length: 5000 }, () => (rand() - 0.5) * 10 ** Math.floor(rand() * 20 - 10));
  const ties = Float32Array.from({ length: 5000 }, () => Math.round((rand() - 0.5) * 12) / 4);
  const f64 = Float64Array.from({ length: 5000 }, () => (rand() - 0.5) * 1e-3);
  return [
    ['float32 of mixed magnitude', f32],
    ['float32 with ties and ±0', Float32Array.from([...special, ...ties])],
    ['numbers that are all float32', [...special, 2.5, -0.75, 2.5]],
    ['float64 not float32', f64],
    ['float64 near-ties a float32 key would merge', [1 + 2 ** -40, 1, 1 + 2 ** -41, 1, -0, 0]],
  ];
}

test('argsort and descendingOrder are stable comparator sorts (−0 as +0) on float32 and float64 values', () => {
  for (const [name, v] of samples()) {
    assert.deepEqual([...argsort(v)], ascending(v), `argsort: ${name}`);
    assert.deepEqual([...descendingOrder(v)], descending(v), `descendingOrder: ${name}`);
  }
  assert.deepEqual([...descendingOrder(Float32Array.from([2, 1, 2, 0]))], [0, 2, 1, 3]);
});

test('descendingOrder with NaN: a permutation, the numbers among it in descending order', () => {
  // As numbers and as float32 (whose bits are read directly, so a NaN pattern must be recognized).
  for (const v of [[3, NaN, 1, 3, NaN, -2], Float32Array.from([3, NaN, 1, 3, NaN, -2])]) {
    const order = [...descendingOrder(v)];
    assert.deepEqual([...order].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(order.filter((i) => !Number.isNaN(v[i])), [0, 3, 2, 5]);
  }
});
