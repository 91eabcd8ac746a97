// The covariance of LIME's weighted ridge and of Kernel SHAP's constrained least squares, from the
// samples they were fitted on (see uncertainty.ts for the estimator and why).
import { gaussianStream } from '../random.ts';
import { weightedStats, type WeightedStats } from './linalg.ts';
import { invertSymmetric, RobustMeat, WeightDistribution } from './uncertainty.ts';

/** What Kernel SHAP's plan tells about its samples (KernelPlan in kernel-shap.ts). */
export interface CoalitionSamples {
  M: number;
  masks: Uint8Array;
  /** Samples from complete enumeration; the rest are random draws. */
  nFixed: number;
  /** For each random draw, the sample it created or added weight to. */
  drawLog: Int32Array;
}

export interface LinearFit {
  classIndex: number;
  intercept: number;
  /** Weight per segment (0 for unselected). */
  weights: Float64Array;
  /** Selected segments. */
  used: readonly number[];
}

/**
 * Per class, the distribution of LIME's ridge weights (alpha on the selected columns, intercept
 * fitted): the sandwich over the selected columns, zero for the others. X holds 0/1 masks, Y is n×k.
 * unit(i) names the independent sampling unit of row i (consecutive rows of one unit, e.g. a mask and
 * its complement). `stats` are the fit's own weighted statistics of these n rows (its centred Gram
 * matrix is the ridge's normal matrix), computed here when not given.
 */
export function limeDistributions(
  X: Uint8Array,
  n: number,
  M: number,
  Y: Float64Array,
  w: Float64Array,
  fits: readonly LinearFit[],
  alpha: number,
  topK: number,
  seed: number,
  unit: (i: number) => number = (i) => i,
  stats: Pick<WeightedStats, 'xMean' | 'gram'> = weightedStats(X, n, M, new Float64Array(n), w),
): WeightDistribution[] {
  const k = fits.length;
  return fits.map((fit, c) => {
    const used = Int32Array.from(fit.used);
    const p = used.length;
    const mean = new Float64Array(p);
    const A = new Float64Array(p * p);
    for (let a = 0; a < p; a++) {
      mean[a] = stats.xMean[used[a]];
      for (let b = 0; b < p; b++) A[a * p + b] = stats.gram[used[a] * M + used[b]];
      A[a * p + a] += alpha;
    }
    const Ainv = invertSymmetric(A, p);
    const meat = new RobustMeat(Ainv, p);
    // A⁻¹x̃ for a 0/1 mask x is the sum of A⁻¹'s rows where x is 1, less A⁻¹x̄: half the work of the product.
    const meanProjected = new Float64Array(p);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) meanProjected[a] += Ainv[a * p + b] * mean[b];
    const xc = new Float64Array(p);
    const projected = new Float64Array(p);
    for (let i = 0; i < n; i++) {
      let r = Y[i * k + c] - fit.intercept;
      for (let a = 0; a < p; a++) projected[a] = -meanProjected[a];
      for (let a = 0; a < p; a++) {
        const x = X[i * M + used[a]];
        xc[a] = x - mean[a];
        r -= fit.weights[used[a]] * x;
        if (x) for (let b = 0, row = a * p; b < p; b++) projected[b] += Ainv[row + b];
      }
      meat.accumulateProjected(xc, projected, w[i], r);
      if (i + 1 >= n || unit(i + 1) !== unit(i)) meat.commit();
    }
    const covUsed = meat.covariance();
    const cov = new Float64Array(M * M);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) cov[used[a] * M + used[b]] = covUsed[a * p + b];
    return new WeightDistribution(fit.classIndex, Float64Array.from(fit.weights), cov, Math.min(topK, p), gaussianStream(seed));
  });
}

/**
 * Per class, the distribution of Kernel SHAP's values from the first n plan samples with weights w:
 * only the random draws vary between seeds (the enumerated subsets are the same in every run), each
 * draw counting once even when it repeats a coalition; the last value follows from efficiency.
 */
export function kernelShapDistributions(
  plan: CoalitionSamples,
  n: number,
  w: ArrayLike<number>,
  ey: Float64Array,
  classes: readonly number[],
  fx: ArrayLike<number>,
  fnull: ArrayLike<number>,
  phis: readonly Float64Array[],
  topK: number,
  seed: number,
): WeightDistribution[] {
  const { M, masks, nFixed } = plan;
  const k = classes.length;
  const P = M - 1;
  const draws = new Float64Array(n);
  for (const s of plan.drawLog) if (s < n) draws[s]++;
  const A = new Float64Array(P * P);
  const e = new Float64Array(Math.max(P, 0));
  const rowE = (i: number) => {
    const ml = masks[i * M + P];
    for (let j = 0; j < P; j++) e[j] = masks[i * M + j] - ml;
    return ml;
  };
  for (let i = 0; i < n; i++) {
    rowE(i);
    for (let a = 0; a < P; a++) {
      const v = w[i] * e[a];
      if (v === 0) continue;
      for (let b = a; b < P; b++) A[a * P + b] += v * e[b];
    }
  }
  for (let a = 0; a < P; a++) for (let b = a + 1; b < P; b++) A[b * P + a] = A[a * P + b];
  const Ainv = invertSymmetric(A, P);
  return classes.map((classIndex, c) => {
    const meat = new RobustMeat(Ainv, P);
    // A coalition of a paired size is drawn with its complement right after it: one sampling unit.
    const ones = (i: number) => {
      let s = 0;
      for (let j = 0; j < M; j++) s += masks[i * M + j];
      return s;
    };
    const paired = Math.floor((M - 1) / 2);
    const complements = (i: number) => {
      for (let j = 0; j < M; j++) if (masks[i * M + j] + masks[(i + 1) * M + j] !== 1) return false;
      return true;
    };
    for (let i = nFixed; i < n; i++) {
      if (draws[i] === 0 || w[i] === 0) continue;
      const ml = rowE(i);
      let r = ey[i * k + c] - fnull[c] - ml * (fx[c] - fnull[c]);
      for (let j = 0; j < P; j++) r -= phis[c][j] * e[j];
      meat.accumulate(e, w[i], r, w[i] / draws[i]);
      const pairedNext = ones(i) <= paired && i + 1 < n && complements(i);
      if (!pairedNext) meat.commit();
    }
    meat.commit();
    const covP = P > 0 ? meat.covariance() : new Float64Array(0);
    // φ_last = const − Σ φ_j: its (co)variances follow from the others'.
    const cov = new Float64Array(M * M);
    let total = 0;
    for (let a = 0; a < P; a++) {
      let row = 0;
      for (let b = 0; b < P; b++) {
        cov[a * M + b] = covP[a * P + b];
        row += covP[a * P + b];
      }
      cov[a * M + P] = -row;
      cov[P * M + a] = -row;
      total += row;
    }
    cov[P * M + P] = total;
    return new WeightDistribution(classIndex, Float64Array.from(phis[c]), cov, Math.min(topK, M), gaussianStream(seed));
  });
}
