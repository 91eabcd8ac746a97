// LIME's ORTHOGONAL mask design on constructed problems whose answer is known: blocks of scrambled
// Hadamard rows with their complements. Every mask keeps LIME's marginal (i.i.d. uniform segments),
// so the population ridge over all 2^M masks is still the limit; within a block the columns are
// balanced and orthogonal, so main effects and two-segment interactions are estimated without error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS } from '../../../src/engine/methods.ts';
import { fitLime, hadamardOrder, limeAssessor, limeMasks, limeSampleWeights, maskUnit, type MaskDesign } from '../../../src/engine/perturb/lime.ts';
import { ridgeFromStats, weightedStats } from '../../../src/engine/perturb/linalg.ts';

const M = 12;
const H = hadamardOrder(M); // 16: a block is 32 rows after row 0
const pm = (z: ArrayLike<number>, j: number) => 2 * z[j] - 1;
const masks = (seed: number, n: number, design: MaskDesign = 'ORTHOGONAL', m = M) => {
  const { X, drawRows } = limeMasks(seed, n, m, design);
  drawRows(n);
  return X;
};

test('ORTHOGONAL blocks: row 0 all ones, complement pairs, balanced and orthogonal columns, main effects orthogonal to every two-segment interaction; lazily drawn rows are a prefix', () => {
  assert.equal(H, 16);
  assert.equal(hadamardOrder(15), 16);
  assert.equal(hadamardOrder(16), 32);
  const n = 1 + 3 * 2 * H;
  const X = masks(4, n);
  assert.deepEqual([...X.subarray(0, M)], Array(M).fill(1));
  for (let u = 1; u < n; u += 2) for (let j = 0; j < M; j++) assert.equal(X[u * M + j] + X[(u + 1) * M + j], 1, `pair ${u}`);
  for (let b = 0; b < 3; b++) {
    const row = (i: number) => X.subarray((1 + b * 2 * H + i) * M, (2 + b * 2 * H + i) * M);
    const sum = (f: (z: Uint8Array) => number): number => Array.from({ length: 2 * H }, (_, i) => f(row(i))).reduce((a, x) => a + x, 0);
    for (let j = 0; j < M; j++) {
      assert.equal(sum((z) => pm(z, j)), 0, `block ${b} column ${j} balanced`);
      for (let k = j + 1; k < M; k++) {
        assert.equal(sum((z) => pm(z, j) * pm(z, k)), 0, `block ${b} columns ${j}, ${k} orthogonal`);
        for (let l = k + 1; l < M; l++) assert.equal(sum((z) => pm(z, j) * pm(z, k) * pm(z, l)), 0, `block ${b} ${j}·${k}·${l}`);
      }
    }
  }
  // Drawn in pieces (as an adaptive run draws them) the rows are the same.
  const { X: Y, drawRows } = limeMasks(4, n, M, 'ORTHOGONAL');
  for (const upTo of [1, 7, 33, 34, 80, n]) drawRows(upTo);
  assert.deepEqual(Y, X);
  assert.deepEqual([1, 2, 3, 4, 33, 34].map((i) => maskUnit('ORTHOGONAL', i)), [1, 1, 2, 2, 17, 17]);
});

test("ORTHOGONAL keeps LIME's marginal: over seeds, any row's segments are independent fair coins", () => {
  // Rows 5 and 40 (two blocks), segment pairs (0, 1) and (3, 11): each of the four patterns ≈ 1/4.
  const seeds = 4000;
  for (const [i, a, b] of [[5, 0, 1], [40, 3, 11]] as const) {
    const counts = [0, 0, 0, 0];
    for (let s = 0; s < seeds; s++) {
      const X = masks(s, i + 1);
      counts[2 * X[i * M + a] + X[i * M + b]]++;
    }
    // Binomial s.e. of a cell is √(¼·¾/4000) ≈ 0.0068; 0.035 is five of them.
    for (const c of counts) assert.ok(Math.abs(c / seeds - 0.25) < 0.035, `row ${i} patterns ${counts}`);
  }
});

test('exact on main effects plus every two-segment interaction: one block recovers the main effects (times the ridge factor), where i.i.d. and antithetic masks do not', () => {
  const a = Array.from({ length: M }, (_, j) => (j % 3 === 0 ? 1 : -0.5) * (1 + j / 10));
  const f = (z: ArrayLike<number>) => {
    let s = 0.3;
    for (let j = 0; j < M; j++) s += a[j] * z[j];
    for (let j = 0; j < M; j++) for (let k = j + 1; k < M; k++) s += (((j * 7 + k * 3) % 5) - 2) * 0.4 * pm(z, j) * pm(z, k);
    return s;
  };
  const flat = 1e6; // kernel weights all ≈ 1: the design alone decides
  const shrink = H / (H + 2); // ridge alpha 1 on 2H rows of balanced ±½ columns: (H/2)/(H/2 + 1)
  const err: Record<MaskDesign, number> = { LIME: 0, ANTITHETIC: 0, ORTHOGONAL: 0 };
  for (let seed = 1; seed <= 5; seed++) {
    for (const design of ['LIME', 'ANTITHETIC', 'ORTHOGONAL'] as const) {
      const n = 2 * H;
      const X = masks(seed, n + 1, design).subarray(M); // one block, without row 0
      const Y = Float64Array.from({ length: n }, (_, i) => f(X.subarray(i * M, (i + 1) * M)));
      const [fit] = fitLime(X, n, M, Y, [0], flat, 'NONE', M);
      for (let j = 0; j < M; j++) err[design] = Math.max(err[design], Math.abs(fit.weights[j] - shrink * a[j]));
    }
  }
  assert.ok(err.ORTHOGONAL < 1e-9, `orthogonal max error ${err.ORTHOGONAL}`);
  assert.ok(err.LIME > 0.05 && err.ANTITHETIC > 0.05, `i.i.d. ${err.LIME}, antithetic ${err.ANTITHETIC}`);
});

test("with LIME's kernel: the same limit as i.i.d. masks, less spread than i.i.d. or antithetic masks, and the pair-unit intervals cover the limit", () => {
  const c = (z: ArrayLike<number>, j: number) => z[j] - 0.5;
  const main = [0.5, 0.42, 0.36, 0.3, 0.2, 0.1, 0, 0, 0, 0, 0, 0];
  const f = (z: ArrayLike<number>) => {
    let s = 1.2 * c(z, 6) * c(z, 7) - c(z, 8) * c(z, 9) + 2 * c(z, 0) * c(z, 6) * c(z, 10) - 2 * c(z, 1) * c(z, 7) * c(z, 11) + 1.5 * c(z, 2) * c(z, 3) * c(z, 9);
    for (let j = 0; j < M; j++) s += main[j] * z[j];
    return s;
  };
  const all = masksAll();
  const yAll = Float64Array.from({ length: 2 ** M }, (_, m) => f(all.subarray(m * M, (m + 1) * M)));
  const truth = ridgeFromStats(weightedStats(all, 2 ** M, M, yAll, limeSampleWeights(all, 2 ** M, M, DEFAULTS.lime.kernelWidth)), [...Array(M).keys()], 1e-9).coef;
  const n = 400;
  const err: Record<MaskDesign, number> = { LIME: 0, ANTITHETIC: 0, ORTHOGONAL: 0 };
  const bias = new Float64Array(M);
  let covered = 0;
  let total = 0;
  const seeds = 60;
  for (let seed = 1; seed <= seeds; seed++) {
    for (const design of ['LIME', 'ANTITHETIC', 'ORTHOGONAL'] as const) {
      const X = masks(seed, n, design);
      const Y = Float64Array.from({ length: n }, (_, i) => f(X.subarray(i * M, (i + 1) * M)));
      const [fit] = fitLime(X, n, M, Y, [0], DEFAULTS.lime.kernelWidth, 'AUTO', DEFAULTS.lime.numFeatures);
      for (let j = 0; j < M; j++) err[design] += (fit.weights[j] - truth[j]) ** 2;
      if (design !== 'ORTHOGONAL') continue;
      for (let j = 0; j < M; j++) bias[j] += (fit.weights[j] - truth[j]) / seeds;
      const u = limeAssessor(X, M, Y, [0], { ...DEFAULTS.lime, maskDesign: design, stabilityTopK: 5 }, seed).assess(n, [fit])[0].report();
      for (let j = 0; j < M; j++) {
        total++;
        if (u.lower[j] <= truth[j] && truth[j] <= u.upper[j]) covered++;
      }
    }
  }
  console.log(`  squared error over ${seeds} seeds at ${n} samples: i.i.d. ${err.LIME.toFixed(4)}, antithetic ${err.ANTITHETIC.toFixed(4)}, orthogonal ${err.ORTHOGONAL.toFixed(4)}; orthogonal 95% intervals cover ${covered}/${total}`);
  // Pairs cancel the two-segment interactions; the blocks also cancel a three-segment interaction in
  // the weight of each of its segments. The kernel (weights that grow with the mask's ones) leaves
  // part of both: the design's gain is modest here, but it is a gain over both other designs.
  assert.ok(err.ORTHOGONAL < err.ANTITHETIC && err.ORTHOGONAL < err.LIME, `orthogonal ${err.ORTHOGONAL} vs antithetic ${err.ANTITHETIC}, i.i.d. ${err.LIME}`);
  // Same limit: the mean error is within a small fraction of the largest weight (ridge alpha 1 shrinks by ~1%).
  for (let j = 0; j < M; j++) assert.ok(Math.abs(bias[j]) < 0.02, `segment ${j} mean error ${bias[j]}`);
  assert.ok(covered / total >= 0.9, `95% intervals covered the limit in ${covered}/${total}`);
});

function masksAll(): Uint8Array {
  const all = new Uint8Array(2 ** M * M);
  for (let m = 0; m < 2 ** M; m++) for (let j = 0; j < M; j++) all[m * M + j] = (m >> j) & 1;
  return all;
}
