// Gradient SHAP's α: where on the baseline → input path each sample's gradient is taken. The
// estimate of ∫₀¹ g(α) dα (g = (x − b)·∇f(b + α(x − b)), whose integral is f(x) − f(b)) is a mean of
// g over the α's, so how they spread over [0, 1] sets its variance; every design here keeps the
// mean of each α at U(0, 1)'s, so the estimator stays unbiased.
//
// All designs are built from the same draws, taken in shap 0.42.1's order (per sample: the background
// choice, then one uniform), so SHAP is shap's estimator bit for bit and the others are seeded the same
// way.
import type { RandomState } from '../random.ts';

/**
 * The α designs. SHAP: shap's i.i.d. U(0, 1) draws, the default; the others reuse those draws to
 * spread α over [0, 1] for a lower-variance estimate of the same expectation.
 */
export const ALPHA_SAMPLINGS = ['SHAP', 'STRATIFIED', 'ANTITHETIC', 'QUASI_RANDOM'] as const;
export type AlphaSampling = (typeof ALPHA_SAMPLINGS)[number];

export interface PathDraws {
  /** Background index per sample. */
  background: Int32Array;
  /** α per sample. */
  alpha: Float64Array;
}

/** The n samples' background choices and α, drawn in shap's order from `rs`. */
export function drawPath(rs: RandomState, n: number, backgrounds: number, mode: AlphaSampling): PathDraws {
  const background = new Int32Array(n);
  const u = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    background[j] = rs.randint(backgrounds);
    u[j] = rs.uniform();
  }
  return { background, alpha: alphasOf(mode, u) };
}

/**
 * α from the uniforms u (one per sample):
 * - SHAP: α = u, i.i.d. (shap's GradientExplainer).
 * - STRATIFIED: α_j = (j + u_j)/n, one α in each of n equal strata; for smooth g the error of the
 *   mean falls as n^−3/2 instead of n^−1/2.
 * - ANTITHETIC: pairs (u, 1 − u) (odd samples mirror the sample before; their own draw is unused; an
 *   odd n leaves the last sample plain): exact when g is linear in α, e.g. f quadratic along the path.
 * - QUASI_RANDOM: the evenly spaced grid (j + u_0)/n shifted by the first uniform (a randomly shifted
 *   lattice, the lowest-discrepancy n points in one dimension), folded by the tent map
 *   α ↦ 1 − |2α − 1| (the baker's transform); the other samples' uniforms are unused. Each α is still
 *   U(0, 1); for even n the set is two α per stratum of width 2/n, symmetric about ½, so it is exact
 *   when g is linear in α like ANTITHETIC and errs by O(n^−2) for smooth g (the unfolded grid: n^−1).
 */
export function alphasOf(mode: AlphaSampling, u: Float64Array): Float64Array {
  const n = u.length;
  if (mode === 'SHAP') return Float64Array.from(u);
  if (mode === 'STRATIFIED') return Float64Array.from(u, (v, j) => (j + v) / n);
  if (mode === 'QUASI_RANDOM') return Float64Array.from(u, (_, j) => 1 - Math.abs((2 * (j + u[0])) / n - 1));
  return Float64Array.from(u, (v, j) => (j % 2 === 1 ? 1 - u[j - 1] : v));
}
