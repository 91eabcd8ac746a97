// The uncertainty of LIME's and Kernel SHAP's fits against exact answers: a nonlinear function of
// 10 binary features, whose population ridge weights and Shapley values are computed by enumerating
// all 1024 masks. Over many seeds the 95% intervals must cover the truth about 95% of the time and
// the reported top-k stability must match how often the top-k set is the true one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gaussianStream, mulberry32, RandomState } from '../../../src/engine/random.ts';
import { cosineDistanceToOnes, fitLime, limeKernel } from '../../../src/engine/perturb/lime.ts';
import { kernelShapDistributions, limeDistributions } from '../../../src/engine/perturb/fit-uncertainty.ts';
import { kernelShapPlan, kernelShapSolve } from '../../../src/engine/perturb/kernel-shap.ts';
import { effectiveSampleSize, expectedSamples, topIndicesInto, topSet, WeightDistribution, Z95 } from '../../../src/engine/perturb/uncertainty.ts';
import { weightedStats, ridgeFromStats } from '../../../src/engine/perturb/linalg.ts';

const M = 10;
/**
 * A saturating, interacting "model" (the linear surrogate is misspecified, as it is on a CNN);
 * a4 moves feature 4 through the boundary of the top-3 set, from easy to near-tied problems.
 */
function model(a4: number) {
  const A = [0.3, 0.25, 0.2, 0.17, a4, 0.05, -0.04, 0.03, 0.02, -0.01];
  return (z: ArrayLike<number>): number => {
    let s = -0.6 + 0.3 * z[0] * z[1] - 0.2 * z[2] * z[3];
    for (let j = 0; j < M; j++) s += A[j] * z[j];
    return 1 / (1 + Math.exp(-4 * s));
  };
}
let f = model(0.09);

const masks = (() => {
  const X = new Uint8Array(1024 * M);
  for (let m = 0; m < 1024; m++) for (let j = 0; j < M; j++) X[m * M + j] = (m >> j) & 1;
  return X;
})();
let fAll = Float64Array.from({ length: 1024 }, (_, m) => f(masks.subarray(m * M, (m + 1) * M)));
function useModel(a4: number): void {
  f = model(a4);
  fAll = Float64Array.from({ length: 1024 }, (_, m) => f(masks.subarray(m * M, (m + 1) * M)));
}
const kernelW = (z: Uint8Array, off: number) => {
  let ones = 0;
  for (let j = 0; j < M; j++) ones += z[off + j];
  return limeKernel(cosineDistanceToOnes(ones, M), 0.25);
};

/** The ridge LIME fits on n samples converges to: the expected statistics (×n) with the same penalty. */
function populationLime(n: number): Float64Array {
  const w = Float64Array.from({ length: 1024 }, (_, m) => (n / 1024) * kernelW(masks, m * M));
  return ridgeFromStats(weightedStats(masks, 1024, M, fAll, w), [...Array(M).keys()], 1).coef;
}

/** Exact Shapley values of f (the empty coalition is f(0), all hidden). */
function shapley(): Float64Array {
  const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
  const phi = new Float64Array(M);
  for (let m = 0; m < 1024; m++) {
    let size = 0;
    for (let j = 0; j < M; j++) size += (m >> j) & 1;
    for (let j = 0; j < M; j++) {
      if ((m >> j) & 1) continue;
      const wgt = (fact(size) * fact(M - size - 1)) / fact(M);
      phi[j] += wgt * (fAll[m | (1 << j)] - fAll[m]);
    }
  }
  return phi;
}

function limeRun(seed: number, n: number) {
  const rand = mulberry32(seed);
  const X = new Uint8Array(n * M);
  for (let i = 0; i < n * M; i++) X[i] = rand() < 0.5 ? 0 : 1;
  X.fill(1, 0, M);
  const Y = Float64Array.from({ length: n }, (_, i) => f(X.subarray(i * M, (i + 1) * M)));
  const w = Float64Array.from({ length: n }, (_, i) => kernelW(X, i * M));
  const [fit] = fitLime(X, n, M, Y, [0], 0.25, 'AUTO', 100000);
  const [dist] = limeDistributions(X, n, M, Y, w, [{ ...fit, used: fit.localExp.map(([j]) => j) }], 1, 3, seed + 7);
  return { fit, dist, ess: effectiveSampleSize(w) };
}

test('LIME: 95% intervals cover the population weights in about 95% of runs', () => {
  useModel(0.09);
  const n = 300;
  const truth = populationLime(n);
  let covered = 0;
  let total = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const { fit, dist } = limeRun(seed, n);
    for (let j = 0; j < M; j++) {
      total++;
      if (Math.abs(fit.weights[j] - truth[j]) <= Z95 * dist.sd[j]) covered++;
    }
  }
  const coverage = covered / total;
  if (process.env.DEBUG_UNC) console.log({ coverage });
  assert.ok(coverage >= 0.92 && coverage <= 0.98, `coverage ${coverage}`);
});

test('LIME: the top-3 stability is calibrated over easy and near-tied problems', () => {
  const n = 300;
  // Per run: the stability it reported, and whether its top-3 set is the population's.
  const runs: { stability: number; match: boolean }[] = [];
  for (const a4 of [0.06, 0.07, 0.08, 0.09, 0.1, 0.12, 0.15]) {
    useModel(a4);
    const trueTop = topSet(populationLime(n), 3).join();
    for (let seed = 1; seed <= 60; seed++) {
      const { fit, dist } = limeRun(seed, n);
      runs.push({ stability: dist.stability(), match: topSet(fit.weights, 3).join() === trueTop });
    }
  }
  const meanStability = runs.reduce((s, r) => s + r.stability, 0) / runs.length;
  const rate = runs.filter((r) => r.match).length / runs.length;
  const confident = runs.filter((r) => r.stability >= 0.95).length;
  const confidentMatches = runs.filter((r) => r.stability >= 0.95 && r.match).length;
  if (process.env.DEBUG_UNC) console.log({ meanStability, rate, confident, confidentMatches });
  assert.ok(rate > 0.3 && rate < 0.9, `the problems are neither trivial nor hopeless (${rate})`);
  // The mean reported stability is the observed frequency of the true top-3 set.
  assert.ok(Math.abs(meanStability - rate) < 0.08, `mean stability ${meanStability}, true top-3 in ${rate}`);
  assert.ok(confident >= 30, `${confident} runs claim 95%`);
  assert.ok(confidentMatches / confident >= 0.9, `${confidentMatches}/${confident} runs claiming 95% are right`);
});

test('LIME: the spread shrinks as 1/√n and the expected stopping point follows', () => {
  useModel(0.09);
  const small = limeRun(11, 200);
  const large = limeRun(11, 3200);
  const ratio = small.dist.sd.reduce((a, b) => a + b, 0) / large.dist.sd.reduce((a, b) => a + b, 0);
  assert.ok(ratio > 3 && ratio < 5.5, `sd(200)/sd(3200) = ${ratio}, √16 = 4`);
  assert.ok(small.ess > 0.5 * 200 && small.ess <= 200, `ess ${small.ess}`);
  const expected = expectedSamples([small.dist], 200, 100000, 0.95);
  assert.ok(expected > 200 && expected < 100000, `expected ${expected}`);
  assert.ok(large.dist.stability() > small.dist.stability(), `stability ${small.dist.stability()} at 200, ${large.dist.stability()} at 3200`);
});

test('Kernel SHAP: intervals cover the exact Shapley values in about 95% of runs', () => {
  useModel(0.09);
  const truth = shapley();
  const fnull = [fAll[0]];
  const fx = [fAll[1023]];
  let covered = 0;
  let total = 0;
  for (let seed = 1; seed <= 200; seed++) {
    const plan = kernelShapPlan(M, 120, new RandomState(seed));
    assert.ok(plan.nFixed < plan.n, 'some samples are random');
    const ey = Float64Array.from({ length: plan.n }, (_, i) => f(plan.masks.subarray(i * M, (i + 1) * M)));
    const [phi] = kernelShapSolve(plan.masks, plan.n, M, plan.weights, ey, 1, fx, fnull);
    const [dist] = kernelShapDistributions(plan, plan.n, plan.weights, ey, [0], fx, fnull, [phi], 3, seed);
    for (let j = 0; j < M; j++) {
      total++;
      if (Math.abs(phi[j] - truth[j]) <= Z95 * dist.sd[j] + 1e-12) covered++;
    }
  }
  const coverage = covered / total;
  if (process.env.DEBUG_UNC) console.log({ shapCoverage: coverage });
  assert.ok(coverage >= 0.9 && coverage <= 0.99, `coverage ${coverage}`);
});

test('Kernel SHAP: a fully enumerated plan has no spread and stability 1', () => {
  const plan = kernelShapPlan(M, 5000, new RandomState(1));
  assert.equal(plan.nFixed, plan.n);
  const ey = Float64Array.from({ length: plan.n }, (_, i) => f(plan.masks.subarray(i * M, (i + 1) * M)));
  const [phi] = kernelShapSolve(plan.masks, plan.n, M, plan.weights, ey, 1, [fAll[1023]], [fAll[0]]);
  const [dist] = kernelShapDistributions(plan, plan.n, plan.weights, ey, [0], [fAll[1023]], [fAll[0]], [phi], 3, 1);
  assert.ok(dist.sd.every((s) => s === 0));
  assert.equal(dist.stability(), 1);
});

test('stability draws: certain, hopeless and reproducible cases', () => {
  const values = Float64Array.of(5, 4, 3, 0.1, 0.1);
  const cov = (s: number) => Float64Array.from({ length: 25 }, (_, i) => (i % 6 === 0 ? s * s : 0));
  assert.equal(new WeightDistribution(0, values, cov(0.01), 3, gaussianStream(1)).stability(), 1);
  // The 4th and 5th are tied: a top-4 set cannot be stable.
  const tied = new WeightDistribution(0, values, cov(0.01), 4, gaussianStream(1)).stability();
  assert.ok(tied > 0.3 && tied < 0.7, `tied ${tied}`);
  const a = new WeightDistribution(0, values, cov(1), 2, gaussianStream(9));
  const b = new WeightDistribution(0, values, cov(1), 2, gaussianStream(9));
  assert.equal(a.stability(), b.stability());
  assert.ok(a.stability(4) > a.stability(), 'more samples (smaller spread), more stable');
});

test('expected overlap with the limit: nothing to gain when separated, arctan law on an exact boundary tie', () => {
  const values = Float64Array.of(5, 4, 3, 0.1, 0.1);
  const cov = (s: number) => Float64Array.from({ length: 25 }, (_, i) => (i % 6 === 0 ? s * s : 0));
  const easy = new WeightDistribution(0, values, cov(0.01), 3, gaussianStream(3)).expectedOverlap(3);
  assert.deepEqual(easy, { now: 3, later: 3 });
  // Top-4 with the 4th and 5th tied: the reported set holds one of them, the limit's either (3.5);
  // a run with the spread divided by t keeps the limit's order with probability 1/2 + atan(t)/π.
  for (const t of [1, 3]) {
    const { now, later } = new WeightDistribution(0, values, cov(0.01), 4, gaussianStream(5), 4000).expectedOverlap(t);
    assert.ok(Math.abs(now - 3.5) < 0.05, `now ${now}`);
    const want = 3.5 + Math.atan(t) / Math.PI;
    assert.ok(Math.abs(later - want) < 0.05, `t ${t}: later ${later} vs ${want}`);
  }
});

test('top-k selection equals sorting by |value| descending, lower index first on ties', () => {
  const rand = mulberry32(11);
  const sorted = (v: Float64Array, k: number) =>
    [...v.keys()].sort((a, b) => Math.abs(v[b]) - Math.abs(v[a]) || a - b).slice(0, Math.min(k, v.length));
  for (let trial = 0; trial < 500; trial++) {
    const m = 1 + Math.floor(rand() * 60);
    // Few distinct magnitudes with both signs, so ties (and ±0) are common.
    const levels = 1 + Math.floor(rand() * 8);
    const v = Float64Array.from({ length: m }, () => (rand() < 0.5 ? -1 : 1) * Math.floor(rand() * levels));
    const k = Math.floor(rand() * (m + 3));
    const out = new Int32Array(Math.min(k, m));
    const count = topIndicesInto(v, k, out);
    assert.deepEqual([...out.subarray(0, count)], sorted(v, k), `m ${m} k ${k} [${[...v]}]`);
    assert.deepEqual(topSet(v, k), sorted(v, k).sort((a, b) => a - b));
  }
});
