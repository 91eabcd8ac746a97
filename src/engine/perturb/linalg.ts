// Small dense linear algebra for the surrogate models: weighted ridge as scikit-learn's
// Ridge(fit_intercept=True).fit(X, y, sample_weight) computes it, its weighted R² score, LIME's
// feature selections and a LARS lasso path (sklearn.linear_model.lars_path(method='lasso')).
// Matrices are row-major Float64Arrays.
import { jacobiEigen } from '../linalg.ts';

/** Solves A x = b for symmetric positive (semi)definite A (n×n) by Cholesky; null when not positive definite. */
export function choleskySolve(A: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const L = new Float64Array(n * n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(A[i * n + i]));
  const tol = Math.max(maxDiag, 1e-300) * n * 1e-14;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      if (i === j) {
        if (!(s > tol)) return null;
        L[i * n + i] = Math.sqrt(s);
      } else {
        L[i * n + j] = s / L[j * n + j];
      }
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * y[k];
    y[i] = s / L[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * x[k];
    x[i] = s / L[i * n + i];
  }
  return x;
}

/**
 * Solves the (possibly singular) symmetric PSD system: Cholesky, else the minimum-norm solution
 * via a symmetric eigendecomposition (what numpy's pinv / sklearn's svd fallback give).
 */
export function solveSymmetric(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const x = choleskySolve(A, b, n);
  if (x) return x;
  const { values, vectors } = jacobiEigen(A, n);
  const maxEv = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const cutoff = maxEv * n * 1e-15;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    if (Math.abs(values[k]) <= cutoff) continue;
    let proj = 0;
    for (let i = 0; i < n; i++) proj += vectors[i * n + k] * b[i];
    proj /= values[k];
    for (let i = 0; i < n; i++) out[i] += vectors[i * n + k] * proj;
  }
  return out;
}

export { jacobiEigen };

/**
 * Weighted, centered sufficient statistics of a regression problem: everything a ridge fit with
 * intercept on any subset of columns needs. X is n×p (row-major), y length n, w length n.
 */
export interface WeightedStats {
  p: number;
  /** Σw. */
  wsum: number;
  /** Weighted column means and the weighted mean of y. */
  xMean: Float64Array;
  yMean: number;
  /** Σ w (x − x̄)(x − x̄)ᵀ, p×p. */
  gram: Float64Array;
  /** Σ w (x − x̄)(y − ȳ). */
  xy: Float64Array;
  /** Σ w (y − ȳ)². */
  yy: number;
}

export function weightedStats(X: ArrayLike<number>, n: number, p: number, y: ArrayLike<number>, w: ArrayLike<number>): WeightedStats {
  let wsum = 0;
  const xMean = new Float64Array(p);
  let yMean = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i];
    wsum += wi;
    yMean += wi * y[i];
    for (let j = 0; j < p; j++) xMean[j] += wi * X[i * p + j];
  }
  for (let j = 0; j < p; j++) xMean[j] /= wsum;
  yMean /= wsum;
  const gram = new Float64Array(p * p);
  const xy = new Float64Array(p);
  let yy = 0;
  const xc = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const wi = w[i];
    if (wi === 0) continue;
    const yc = y[i] - yMean;
    yy += wi * yc * yc;
    for (let j = 0; j < p; j++) xc[j] = X[i * p + j] - xMean[j];
    for (let j = 0; j < p; j++) {
      const a = wi * xc[j];
      if (a === 0) continue;
      xy[j] += a * yc;
      const row = j * p;
      for (let k = j; k < p; k++) gram[row + k] += a * xc[k];
    }
  }
  for (let j = 0; j < p; j++) for (let k = j + 1; k < p; k++) gram[k * p + j] = gram[j * p + k];
  return { p, wsum, xMean, yMean, gram, xy, yy };
}

export interface RidgeFit {
  /** Selected columns, in the order given. */
  features: number[];
  coef: Float64Array;
  intercept: number;
  /** Weighted R² on the training data (sklearn's score(X, y, sample_weight)). */
  score: number;
}

/** Ridge(alpha, fit_intercept=True) on a subset of columns, from the weighted statistics. */
export function ridgeFromStats(s: WeightedStats, features: readonly number[], alpha: number): RidgeFit {
  const k = features.length;
  const A = new Float64Array(k * k);
  const b = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    b[a] = s.xy[features[a]];
    for (let c = 0; c < k; c++) A[a * k + c] = s.gram[features[a] * s.p + features[c]];
    A[a * k + a] += alpha;
  }
  const coef = k > 0 ? solveSymmetric(A, b, k) : new Float64Array(0);
  let intercept = s.yMean;
  for (let a = 0; a < k; a++) intercept -= coef[a] * s.xMean[features[a]];
  // Residual sum of squares Σw(yc − Xc·coef)² = yy − 2 coef·b + coefᵀ G coef.
  let quad = 0;
  let lin = 0;
  for (let a = 0; a < k; a++) {
    lin += coef[a] * b[a];
    let g = 0;
    for (let c = 0; c < k; c++) g += s.gram[features[a] * s.p + features[c]] * coef[c];
    quad += coef[a] * g;
  }
  const ssRes = Math.max(0, s.yy - 2 * lin + quad);
  // sklearn's r2_score: a constant target scores 1 when predicted perfectly, else 0.
  const score = s.yy > 0 ? 1 - ssRes / s.yy : ssRes === 0 ? 1 : 0;
  return { features: [...features], coef, intercept, score };
}

/** Ridge fit directly from data (for tests and small problems). */
export function weightedRidge(X: ArrayLike<number>, n: number, p: number, y: ArrayLike<number>, w: ArrayLike<number>, alpha: number): RidgeFit {
  return ridgeFromStats(weightedStats(X, n, p, y, w), Array.from({ length: p }, (_, j) => j), alpha);
}

/** lime_base.forward_selection: greedily add the feature that maximizes the Ridge(alpha=0) score. */
export function forwardSelection(s: WeightedStats, numFeatures: number): number[] {
  const used: number[] = [];
  const chosen = new Uint8Array(s.p);
  for (let step = 0; step < Math.min(numFeatures, s.p); step++) {
    let best = 0;
    let max = -100000000;
    for (let f = 0; f < s.p; f++) {
      if (chosen[f]) continue;
      const score = ridgeFromStats(s, [...used, f], 0).score;
      if (score > max) {
        best = f;
        max = score;
      }
    }
    used.push(best);
    chosen[best] = 1;
  }
  return used;
}

/** lime_base 'highest_weights': Ridge(alpha=0.01) on all features, the numFeatures largest |coef| (stable order). */
export function highestWeights(s: WeightedStats, numFeatures: number): number[] {
  const all = Array.from({ length: s.p }, (_, j) => j);
  const { coef } = ridgeFromStats(s, all, 0.01);
  return all.sort((a, b) => Math.abs(coef[b]) - Math.abs(coef[a]) || a - b).slice(0, numFeatures);
}

/**
 * LARS with the lasso modification on a Gram matrix (sklearn's lars_path(X, y, method='lasso')
 * with Gram = XᵀX and Xy = Xᵀy precomputed). Returns alphas (= max correlation / n) and the
 * coefficient path as columns: coefs[step][feature].
 */
export function larsLassoPath(gram: Float64Array, xy: Float64Array, p: number, nSamples: number, maxIter = 500): { alphas: number[]; coefs: Float64Array[] } {
  const eps = 2.220446049250313e-16;
  const beta = new Float64Array(p);
  const corr = Float64Array.from(xy); // Xᵀ(y − Xβ)
  const active: number[] = [];
  const inActive = new Uint8Array(p);
  const alphas: number[] = [];
  const coefs: Float64Array[] = [];
  let drop = false;
  let C = 0;
  for (let j = 0; j < p; j++) C = Math.max(C, Math.abs(corr[j]));
  alphas.push(C / nSamples);
  coefs.push(beta.slice());
  for (let iter = 0; iter < maxIter; iter++) {
    if (C / nSamples <= eps) break;
    if (!drop) {
      if (active.length >= Math.min(p, nSamples)) break;
      let best = -1;
      let bestAbs = -1;
      for (let j = 0; j < p; j++) {
        if (inActive[j]) continue;
        if (Math.abs(corr[j]) > bestAbs) {
          bestAbs = Math.abs(corr[j]);
          best = j;
        }
      }
      if (best < 0) break;
      active.push(best);
      inActive[best] = 1;
      C = bestAbs;
    }
    drop = false;
    const k = active.length;
    const GA = new Float64Array(k * k);
    const s = new Float64Array(k);
    for (let a = 0; a < k; a++) {
      s[a] = Math.sign(corr[active[a]]) || 1;
      for (let b = 0; b < k; b++) GA[a * k + b] = gram[active[a] * p + active[b]];
    }
    const wv = solveSymmetric(GA, s, k);
    let sw = 0;
    for (let a = 0; a < k; a++) sw += s[a] * wv[a];
    const AA = 1 / Math.sqrt(Math.max(sw, eps));
    for (let a = 0; a < k; a++) wv[a] *= AA;
    // Correlation of every feature with the equiangular direction: a = G[:,A] w.
    const dir = new Float64Array(p);
    for (let j = 0; j < p; j++) {
      let v = 0;
      for (let a = 0; a < k; a++) v += gram[j * p + active[a]] * wv[a];
      dir[j] = v;
    }
    let gamma = C / AA;
    for (let j = 0; j < p; j++) {
      if (inActive[j]) continue;
      const g1 = (C - corr[j]) / (AA - dir[j] + 1e-300);
      const g2 = (C + corr[j]) / (AA + dir[j] + 1e-300);
      if (g1 > 1e-12 && g1 < gamma) gamma = g1;
      if (g2 > 1e-12 && g2 < gamma) gamma = g2;
    }
    // Lasso: stop where an active coefficient would cross zero, and drop it.
    let zMin = Infinity;
    for (let a = 0; a < k; a++) {
      const z = -beta[active[a]] / wv[a];
      if (z > 1e-15 && z < zMin) zMin = z;
    }
    if (zMin < gamma) {
      gamma = zMin;
      drop = true;
    }
    for (let a = 0; a < k; a++) beta[active[a]] += gamma * wv[a];
    for (let j = 0; j < p; j++) corr[j] -= gamma * dir[j];
    C -= gamma * AA;
    if (drop) {
      for (let a = k - 1; a >= 0; a--) {
        const j = active[a];
        if (Math.abs(beta[j]) < 1e-12 * Math.max(1, Math.abs(zMin))) {
          beta[j] = 0;
          active.splice(a, 1);
          inActive[j] = 0;
        }
      }
    }
    alphas.push(Math.max(C, 0) / nSamples);
    coefs.push(beta.slice());
  }
  return { alphas, coefs };
}

/**
 * lime_base 'lasso_path': center X and y by their weighted means, scale rows by √w, run the lasso
 * path, and take the least regularized point whose support has at most numFeatures features.
 */
export function lassoPathSelection(X: ArrayLike<number>, n: number, p: number, y: ArrayLike<number>, w: ArrayLike<number>, numFeatures: number): number[] {
  const s = weightedStats(X, n, p, y, w);
  // weighted_dataᵀ weighted_data = Σ w (x − x̄)(x − x̄)ᵀ: exactly the centered weighted Gram.
  const { coefs } = larsLassoPath(s.gram, s.xy, p, n);
  let nonzero = Array.from({ length: p }, (_, j) => j);
  for (let i = coefs.length - 1; i > 0; i--) {
    nonzero = [];
    for (let j = 0; j < p; j++) if (coefs[i][j] !== 0) nonzero.push(j);
    if (nonzero.length <= numFeatures) break;
  }
  return nonzero;
}

/**
 * weightedStats for k targets at once (Y is n×k row-major): the Gram matrix and column means are
 * computed once and shared (read-only) between the returned per-target statistics.
 */
export function weightedStatsMulti(X: ArrayLike<number>, n: number, p: number, Y: ArrayLike<number>, k: number, w: ArrayLike<number>): WeightedStats[] {
  const y0 = new Float64Array(n);
  const base = weightedStats(X, n, p, y0, w);
  const out: WeightedStats[] = [];
  for (let t = 0; t < k; t++) {
    let yMean = 0;
    for (let i = 0; i < n; i++) yMean += w[i] * Y[i * k + t];
    yMean /= base.wsum;
    const xy = new Float64Array(p);
    let yy = 0;
    for (let i = 0; i < n; i++) {
      const wi = w[i];
      if (wi === 0) continue;
      const yc = Y[i * k + t] - yMean;
      yy += wi * yc * yc;
      const a = wi * yc;
      for (let j = 0; j < p; j++) xy[j] += a * (X[i * p + j] - base.xMean[j]);
    }
    out.push({ ...base, yMean, xy, yy });
  }
  return out;
}
