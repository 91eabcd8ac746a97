// How sure a LIME or Kernel SHAP fit is about its weights and its top-k set.
//
// The weights are a weighted least-squares (ridge) estimate from randomly drawn masks, and what a
// user asks ("would another seed give the same five superpixels?") is about the spread of that
// estimate over draws. The surrogate is misspecified on purpose (a CNN is not linear in superpixels),
// so a Bayesian posterior that assumes Gaussian noise around a true linear model (BayLIME) reads
// the misfit as noise of the wrong shape; bootstrap refits are right but cost a refit each, at every
// check of the stopping rule. We use the heteroscedasticity-robust sandwich covariance with the HC3
// leverage correction (A⁻¹ Σ (wᵢ rᵢ/(1−hᵢ))² x̃ᵢx̃ᵢᵀ A⁻¹): the large-sample limit of the pairs
// bootstrap and close to the jackknife in small samples, robust to misfit, at the cost of one pass
// over the samples. The stability of the top-k set is then read from Gaussian draws around the fit.
import { jacobiEigen } from '../linalg.ts';
import type { ClassUncertainty, Uncertainty } from './uncertainty-records.ts';

export type { ClassUncertainty, Uncertainty } from './uncertainty-records.ts';

/** Normal quantile for two-sided 95% intervals. */
export const Z95 = 1.959963984540054;
/** Gaussian draws behind every stability figure (standard error ≤ 1.1 points at 0.95). */
export const STABILITY_DRAWS = 400;

/** Inverse of a symmetric positive semidefinite matrix (Cholesky; pseudo-inverse when singular). */
export function invertSymmetric(A: ArrayLike<number>, n: number): Float64Array {
  const L = choleskyFactor(A, n, false);
  const inv = new Float64Array(n * n);
  if (L) {
    // Solve L Lᵀ X = I column by column.
    const y = new Float64Array(n);
    for (let c = 0; c < n; c++) {
      for (let i = 0; i < n; i++) {
        let s = i === c ? 1 : 0;
        for (let k = 0; k < i; k++) s -= L[i * n + k] * y[k];
        y[i] = s / L[i * n + i];
      }
      for (let i = n - 1; i >= 0; i--) {
        let s = y[i];
        for (let k = i + 1; k < n; k++) s -= L[k * n + i] * inv[k * n + c];
        inv[i * n + c] = s / L[i * n + i];
      }
    }
    return inv;
  }
  const { values, vectors } = jacobiEigen(A, n);
  const max = values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  for (let k = 0; k < n; k++) {
    if (Math.abs(values[k]) <= max * n * 1e-15) continue;
    for (let i = 0; i < n; i++) {
      const a = vectors[i * n + k] / values[k];
      for (let j = 0; j < n; j++) inv[i * n + j] += a * vectors[j * n + k];
    }
  }
  return inv;
}

/**
 * Lower Cholesky factor. strict: null when not positive definite; otherwise (semidefinite mode)
 * a non-positive pivot zeroes its column, which is exact for the rank-deficient covariances here.
 */
export function choleskyFactor(A: ArrayLike<number>, n: number, semidefinite: boolean): Float64Array | null {
  const L = new Float64Array(n * n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(A[i * n + i]));
  const tol = Math.max(maxDiag, 1e-300) * n * 1e-13;
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j];
    for (let k = 0; k < j; k++) d -= L[j * n + k] * L[j * n + k];
    if (!(d > tol)) {
      if (!semidefinite) return null;
      continue; // column j stays zero
    }
    const ljj = Math.sqrt(d);
    L[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = s / ljj;
    }
  }
  return L;
}

/** B M Bᵀ for symmetric n×n B and M. */
export function sandwich(B: Float64Array, Mid: Float64Array, n: number): Float64Array {
  const T = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const b = B[i * n + k];
      if (b === 0) continue;
      for (let j = 0; j < n; j++) T[i * n + j] += b * Mid[k * n + j];
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += T[i * n + k] * B[j * n + k];
      out[i * n + j] = s;
      out[j * n + i] = s;
    }
  }
  return out;
}

/**
 * Accumulates the HC3 sandwich meat Σ uᵤuᵤᵀ over independent sampling units u (a draw, or a mask
 * and its complement drawn as a pair): each row adds √(wᵢ·vᵢ) rᵢ/(1−hᵢ) x̃ᵢ to its unit's score,
 * with leverage hᵢ = wᵢ x̃ᵀA⁻¹x̃ and vᵢ the weight one draw of the row carries (wᵢ unless a
 * repeated draw piled several onto it).
 */
export class RobustMeat {
  readonly meat: Float64Array;
  private readonly ax: Float64Array;
  private readonly unit: Float64Array;

  constructor(
    private readonly Ainv: Float64Array,
    private readonly p: number,
  ) {
    this.meat = new Float64Array(p * p);
    this.ax = new Float64Array(p);
    this.unit = new Float64Array(p);
  }

  accumulate(x: ArrayLike<number>, w: number, r: number, varianceWeight = w): void {
    const { p, Ainv, ax } = this;
    for (let a = 0; a < p; a++) {
      let s = 0;
      for (let b = 0; b < p; b++) s += Ainv[a * p + b] * x[b];
      ax[a] = s;
    }
    this.accumulateProjected(x, ax, w, r, varianceWeight);
  }

  /** accumulate() with A⁻¹x already at hand (`projected`). */
  accumulateProjected(x: ArrayLike<number>, projected: ArrayLike<number>, w: number, r: number, varianceWeight = w): void {
    const { p, unit } = this;
    let h = 0;
    for (let a = 0; a < p; a++) h += x[a] * projected[a];
    h *= w;
    // h → 1 only for a row that alone pins a parameter; cap the inflation there.
    const u = (Math.sqrt(w * varianceWeight) * r) / Math.max(1 - h, 0.05);
    for (let a = 0; a < p; a++) unit[a] += u * x[a];
  }

  commit(): void {
    const { p, unit, meat } = this;
    for (let a = 0; a < p; a++) {
      const ua = unit[a];
      if (ua === 0) continue;
      for (let b = a; b < p; b++) meat[a * p + b] += ua * unit[b];
    }
    unit.fill(0);
  }

  add(x: ArrayLike<number>, w: number, r: number, varianceWeight = w): void {
    this.accumulate(x, w, r, varianceWeight);
    this.commit();
  }

  /** A⁻¹ meat A⁻¹ (the meat's lower triangle is filled in first). */
  covariance(): Float64Array {
    const { p, meat } = this;
    for (let a = 0; a < p; a++) for (let b = a + 1; b < p; b++) meat[b * p + a] = meat[a * p + b];
    return sandwich(this.Ainv, meat, p);
  }
}

/** Kish's effective sample size (Σw)² / Σw² of the samples' kernel weights. */
export function effectiveSampleSize(w: ArrayLike<number>, n = w.length): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    s += w[i];
    s2 += w[i] * w[i];
  }
  return s2 > 0 ? (s * s) / s2 : 0;
}

/**
 * Writes the indices of the min(k, length) largest |values| into out (ties: lower index first), by
 * |value| descending, and returns how many. One pass with insertion into a k-long list, no
 * allocation: the stability checks select two top-k sets per Gaussian draw, 800 per class a check.
 */
export function topIndicesInto(values: ArrayLike<number>, k: number, out: Int32Array): number {
  const size = Math.min(k, values.length);
  let count = 0;
  for (let j = 0; j < values.length; j++) {
    const v = Math.abs(values[j]);
    // A later index ties below an earlier one of equal |value|, so it enters only when strictly larger.
    if (count === size && !(v > Math.abs(values[out[count - 1]]))) continue;
    let at = count < size ? count++ : size - 1;
    while (at > 0 && v > Math.abs(values[out[at - 1]])) {
      out[at] = out[at - 1];
      at--;
    }
    out[at] = j;
  }
  return count;
}

/** Indices of the k largest |values| (ties: lower index first), ascending. */
export function topSet(values: ArrayLike<number>, k: number): number[] {
  const out = new Int32Array(Math.min(k, values.length));
  topIndicesInto(values, k, out);
  return [...out].sort((a, b) => a - b);
}

/**
 * A fit's weights with their covariance, and Gaussian draws around them: the top-k stability now,
 * and how it would grow with more samples (the spread shrinks as 1/√n, so n·t² samples scale it by 1/t).
 */
export class WeightDistribution {
  readonly sd: Float64Array;
  readonly top: number[];
  private readonly deltas: Float64Array;
  private readonly inTop: Uint8Array;

  constructor(
    readonly classIndex: number,
    readonly values: Float64Array,
    cov: Float64Array,
    readonly k: number,
    normal: () => number,
    draws = STABILITY_DRAWS,
  ) {
    const m = values.length;
    this.sd = new Float64Array(m);
    for (let j = 0; j < m; j++) this.sd[j] = Math.sqrt(Math.max(0, cov[j * m + j]));
    this.top = topSet(values, k);
    this.inTop = new Uint8Array(m);
    for (const j of this.top) this.inTop[j] = 1;
    const L = choleskyFactor(cov, m, true)!;
    this.deltas = new Float64Array(draws * m);
    const z = new Float64Array(m);
    for (let d = 0; d < draws; d++) {
      for (let j = 0; j < m; j++) z[j] = normal();
      for (let i = 0; i < m; i++) {
        let s = 0;
        for (let j = 0; j <= i; j++) s += L[i * m + j] * z[j];
        this.deltas[d * m + i] = s;
      }
    }
  }

  /** Fraction of draws whose top-k set is the reported one, with the spread scaled by 1/t. */
  stability(t = 1): number {
    const m = this.values.length;
    if (this.k >= m) return 1;
    const draws = this.deltas.length / m;
    let agree = 0;
    for (let d = 0; d < draws; d++) {
      let minIn = Infinity;
      let maxOut = -Infinity;
      for (let j = 0; j < m; j++) {
        const v = Math.abs(this.values[j] + this.deltas[d * m + j] / t);
        if (this.inTop[j]) minIn = Math.min(minIn, v);
        else maxOut = Math.max(maxOut, v);
      }
      if (minIn > maxOut) agree++;
    }
    return agree / draws;
  }

  /**
   * Expected overlap (in features) of a top-k set with the limit's top-k, taking the limit θ ~ N(ŵ, Σ):
   * `now` for the reported set, `later` for the set a run with the spread scaled by 1/t (t² times the
   * samples) would report, ŵ' ~ N(θ, Σ/t²), using a second, independent draw. later − now is what
   * continuing would gain; it stays small on near-ties that no affordable budget resolves.
   */
  expectedOverlap(t: number): { now: number; later: number } {
    const m = this.values.length;
    const draws = this.deltas.length / m;
    if (this.k >= m) return { now: this.k, later: this.k };
    const theta = new Float64Array(m);
    const future = new Float64Array(m);
    const picked = new Int32Array(this.k);
    const inLimit = new Uint8Array(m);
    let now = 0;
    let later = 0;
    for (let d = 0; d < draws; d++) {
      const d2 = (d + (draws >> 1)) % draws;
      for (let j = 0; j < m; j++) {
        theta[j] = this.values[j] + this.deltas[d * m + j];
        future[j] = theta[j] + this.deltas[d2 * m + j] / t;
      }
      const inLimitCount = topIndicesInto(theta, this.k, picked);
      for (let a = 0; a < inLimitCount; a++) inLimit[picked[a]] = 1;
      for (const j of this.top) now += inLimit[j];
      const futureCount = topIndicesInto(future, this.k, picked);
      for (let a = 0; a < futureCount; a++) later += inLimit[picked[a]];
      inLimit.fill(0);
    }
    return { now: now / draws, later: later / draws };
  }

  report(): ClassUncertainty {
    const v = [...this.values];
    const sd = [...this.sd];
    return {
      classIndex: this.classIndex,
      stability: this.stability(),
      topSet: this.top,
      weights: v,
      sd,
      lower: v.map((x, j) => x - Z95 * sd[j]),
      upper: v.map((x, j) => x + Z95 * sd[j]),
    };
  }
}

/**
 * Samples at which every class's stability would reach `confidence` (between n and max), from the
 * draws scaled by √(n'/n); max when even max samples would not.
 */
export function expectedSamples(dists: readonly WeightDistribution[], n: number, max: number, confidence: number): number {
  const ok = (t: number) => dists.every((d) => d.stability(t) >= confidence);
  if (ok(1)) return n;
  const tMax = Math.sqrt(max / n);
  if (!ok(tMax)) return max;
  let lo = 1;
  let hi = tMax;
  for (let i = 0; i < 12; i++) {
    const mid = (lo + hi) / 2;
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return Math.min(max, Math.ceil(n * hi * hi));
}

export function summarizeUncertainty(dists: readonly WeightDistribution[], topK: number, ess: number): Uncertainty {
  const classes = dists.map((d) => d.report());
  return {
    estimator: 'HC3_SANDWICH',
    level: 0.95,
    topK,
    effectiveSampleSize: ess,
    stability: Math.min(...classes.map((c) => c.stability)),
    classes,
  };
}
