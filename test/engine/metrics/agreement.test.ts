// Agreement metrics on hand-made maps and masks, against values worked out by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { agreement, averageRanks, binarize, dice, iou, pearson, segmentValues, spearman, summarize, topKOverlap, topPixels } from '../../../src/engine/metrics/index.ts';

const m = (...v: number[]) => Uint8Array.from(v);
const close = (a: number | null, b: number, eps = 1e-12) => assert.ok(a !== null && Math.abs(a - b) <= eps, `${a} ≠ ${b}`);

test('IoU and Dice of hand-made masks', () => {
  // A = {0, 1}, B = {0, 2}: one shared pixel, three in the union.
  close(iou(m(1, 1, 0, 0), m(1, 0, 1, 0)), 1 / 3);
  close(dice(m(1, 1, 0, 0), m(1, 0, 1, 0)), 0.5);
  close(iou(m(1, 1, 1, 0), m(1, 1, 1, 0)), 1);
  close(iou(m(1, 0, 0, 0), m(0, 1, 0, 0)), 0);
  // A ⊂ B: |A∩B| = 1, |A∪B| = 4, Dice = 2·1 / (1 + 4).
  close(iou(m(0, 0, 1, 0, 0), m(1, 1, 1, 1, 0)), 0.25);
  close(dice(m(0, 0, 1, 0, 0), m(1, 1, 1, 1, 0)), 0.4);
  close(iou(m(0, 0), m(0, 0)), 1, 0);
  assert.throws(() => iou(m(1), m(1, 0)), RangeError);
});

test('Pearson and Spearman of hand-made maps', () => {
  close(pearson([1, 2, 3, 4], [2, 4, 6, 8]), 1);
  close(pearson([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  // deviations (−1, 0, 1) and (−1, 1, 0): Σxy = 1, Σx² = Σy² = 2.
  close(pearson([1, 2, 3], [1, 3, 2]), 0.5);
  assert.equal(pearson([1, 1, 1], [1, 2, 3]), null);
  // Monotone but not linear: ρ = 1, r < 1.
  close(spearman([1, 2, 3, 4], [1, 4, 9, 100]), 1);
  assert.ok(pearson([1, 2, 3, 4], [1, 4, 9, 100])! < 0.95);
  // Ties: ranks of a are 1, 2.5, 2.5, 4; of b 1, 3, 2, 4; ρ = 4.5 / √(4.5·5) = 3/√10.
  assert.deepEqual([...averageRanks([1, 2, 2, 3])], [1, 2.5, 2.5, 4]);
  close(spearman([1, 2, 2, 3], [1, 3, 2, 4]), 3 / Math.sqrt(10));
  assert.equal(spearman([5, 5, 5], [1, 2, 3]), null);
});

test('binarizations: threshold after min–max, top percent with ties by index, LIME features', () => {
  // min 0, max 8: scaled 0, .25, .5, .75, 1; keep ≥ 0.5.
  assert.deepEqual([...binarize([0, 2, 4, 6, 8], { kind: 'THRESHOLD', value: 0.5 })], [0, 0, 1, 1, 1]);
  // A constant map scales to zeros: nothing reaches a positive threshold.
  assert.deepEqual([...binarize([3, 3, 3], { kind: 'THRESHOLD', value: 0.5 })], [0, 0, 0]);
  // 20 % of 10 pixels = 2; three pixels tie at 5: the two with lower indices.
  assert.deepEqual([...binarize([5, 1, 5, 3, 5, 0, 0, 0, 0, 0], { kind: 'TOP_PERCENT', percent: 20 })], [1, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
  // 25 % of 6 = 1.5 → round → 2.
  assert.deepEqual([...topPixels([0, 9, 1, 8, 2, 3], 2)], [0, 1, 0, 1, 0, 0]);
  // Segments 0..3 over six pixels with weights 0.5, −0.9, 0.2, 0.7: local_exp order is 1, 3, 0, 2;
  // the first two positive features are 3 and 0.
  const segments = Int32Array.from([0, 0, 1, 1, 2, 3]);
  const map = [0.5, 0.5, -0.9, -0.9, 0.2, 0.7];
  assert.deepEqual([...segmentValues(map, segments)], [0.5, -0.9, 0.2, 0.7]);
  assert.deepEqual([...binarize(map, { kind: 'LIME_FEATURES', numFeatures: 2 }, segments)], [1, 1, 0, 0, 0, 1]);
  // More features than positive ones: all positive ones, never a negative one.
  assert.deepEqual([...binarize(map, { kind: 'LIME_FEATURES', numFeatures: 10 }, segments)], [1, 1, 0, 0, 1, 1]);
  assert.throws(() => binarize(map, { kind: 'LIME_FEATURES', numFeatures: 2 }), /segment labels/);
});

test('top-k overlap and the combined agreement record', () => {
  // 50 % of 4 = 2 pixels: top of a = {0, 1}, of b = {3, 1}: one shared of two.
  close(topKOverlap([4, 3, 2, 1], [1, 3, 2, 4], 50), 0.5);
  const a = { map: [4, 3, 2, 1], binarization: { kind: 'TOP_PERCENT' as const, percent: 50 } };
  const b = { map: [1, 3, 2, 4], binarization: { kind: 'THRESHOLD' as const, value: 0.5 } };
  // masks: a → {0, 1}; b scaled 0, 2/3, 1/3, 1 → {1, 3}: IoU 1/3, Dice 1/2.
  const r = agreement(a, b, 50);
  close(r.iou, 1 / 3);
  close(r.dice, 0.5);
  close(r.pearson, pearson([4, 3, 2, 1], [1, 3, 2, 4])!);
  // ranks 4,3,2,1 vs 1,3,2,4: deviations 1.5,.5,−.5,−1.5 and −1.5,.5,−.5,1.5: Σxy = −2.25+.25+.25−2.25 = −4, Σx² = 5.
  close(r.spearman, -0.8);
  close(r.topKOverlap, 0.5);
});

test('summaries: mean, median and sample standard deviation, missing values left out', () => {
  const s = summarize([1, 2, 3, 4, null, Number.NaN]);
  assert.equal(s.n, 4);
  close(s.mean, 2.5);
  close(s.median, 2.5);
  close(s.sd, Math.sqrt(5 / 3));
  assert.deepEqual(summarize([7]), { n: 1, mean: 7, median: 7, sd: null });
  assert.deepEqual(summarize([]), { n: 0, mean: null, median: null, sd: null });
  close(summarize([3, 1, 2]).median, 2);
});

test('argsort is a stable ascending sort of float64 values (negatives, −0, ties, large ranges)', async () => {
  const { argsort } = await import('../../../src/engine/metrics/index.ts');
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const values = [-0, 0, 3, -2.5, 3, 1e-300, -1e300, 1e300, Number.MIN_VALUE, -Number.MIN_VALUE, ...Array.from({ length: 3000 }, () => Math.round((rand() - 0.5) * 40) / 4)];
  const expected = values.map((_, i) => i).sort((i, j) => ((values[i] === 0 ? 0 : values[i]) - (values[j] === 0 ? 0 : values[j])) || i - j);
  assert.deepEqual([...argsort(values)], expected);
  assert.deepEqual([...argsort(Float32Array.from([2, 1, 2, 0]))], [3, 1, 0, 2]);
});
