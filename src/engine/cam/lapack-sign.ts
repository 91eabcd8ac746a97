// The sign numpy.linalg.svd gives the first singular vector, which pytorch-grad-cam's
// get_2d_projection inherits (Eigen-CAM, eigen-smooth). numpy calls LAPACK's gesdd; a singular
// vector's sign is whatever that algorithm's steps leave, so we retrace the steps that decide it:
//   1. gesdd reduces M (P pixels × K channels) to a square triangle first when one side is much
//      longer (LQ if K ≥ ⌊11P/6⌋, QR if P ≥ ⌊11K/6⌋), then Householder-bidiagonalizes it
//      (gebrd); the reflectors follow dlarfg's convention (β = −sign(α)·‖x‖), so the left vector u
//      of M maps to a definite left vector u_B of the bidiagonal B, whose sign is the open question.
//   2. bdsdc solves B by divide and conquer when it has more than 25 rows: the top merge joins
//      B[0:k] and B[k+1:] through row k = ⌊n/2⌋ (dlasdt), and dlasd3 builds every merged left
//      vector with −1 in that row before normalizing, so u_B[k] < 0 exactly.
//   3. When the top vector barely touches row k (the halves decouple, |u_B[k]| at rounding level),
//      dlasd2 deflates it and keeps the half's own vector unchanged: recurse into that half, down
//      to the leaves (≤ 25 rows) that dlasdq solves by QR sweeps. Their rotations have cosines ≥ 0,
//      so a vector that starts on the leaf's first row keeps it positive: u_B[leaf start] > 0.
// Step 3's leaf rule is the one not proved from the code. On normal random matrices shaped like
// CNN activations (49×1280 and 64×2048, float32 and float64, coupled and decoupled) the rule agreed
// with numpy on every case tried; on uniform ones (test/engine/cam/reference.test.ts) it misses
// matrices whose sign numpy itself does not keep (dgesdd flips it between float32- and
// float64-centred copies of the same data). Not covered (the caller falls back to its own rule):
// bidiagonals of ≤ 25 rows (see gesddSign), K between P and 11P/6 (gebrd gives a lower bidiagonal
// there, which bdsdc first rotates), B splitting on a negligible off-diagonal, and problems too
// large to retrace cheaply.

/** dlarfg: the reflector H = I − τ·v·vᵀ (v[0] = 1) that maps x to (β, 0, …). Writes v over x. */
function reflector(x: Float64Array, off: number, n: number, stride: number): number {
  const alpha = x[off];
  let xnorm = 0;
  for (let i = 1; i < n; i++) xnorm = Math.hypot(xnorm, x[off + i * stride]);
  if (xnorm === 0) return 0;
  const beta = -Math.sign(alpha || 1) * Math.hypot(alpha, xnorm);
  const scale = 1 / (alpha - beta);
  for (let i = 1; i < n; i++) x[off + i * stride] *= scale;
  x[off] = beta;
  return (beta - alpha) / beta;
}

/**
 * Householder reduction of a rows×cols matrix A (row-major) with rows ≥ cols, applied in place:
 * column reflectors from the left (their vectors are stored below the diagonal) and, when
 * `bidiagonal`, row reflectors from the right too. `left(i, tau)` is told each left reflector.
 */
function householder(A: Float64Array, rows: number, cols: number, bidiagonal: boolean, left: (i: number, tau: number) => void): void {
  const v = new Float64Array(Math.max(rows, cols));
  const s = new Float64Array(cols);
  for (let i = 0; i < cols; i++) {
    const tau = reflector(A, i * cols + i, rows - i, cols);
    left(i, tau);
    if (tau !== 0) {
      for (let r = i; r < rows; r++) v[r] = r === i ? 1 : A[r * cols + i];
      // s_c = τ·Σ_r v_r·A[r][c], then A[r][c] −= s_c·v_r, walked row by row as A is stored (by
      // columns a 2048×64 reduction took 26 ms instead of 17.5): each s_c is still summed over r
      // in increasing order, so every value is the same to the bit.
      s.fill(0, i + 1);
      let r = i;
      // Four rows per pass over s; JavaScript adds left to right, so the order of the sum is kept.
      for (; r + 3 < rows; r += 4) {
        const [v0, v1, v2, v3] = [v[r], v[r + 1], v[r + 2], v[r + 3]];
        const r0 = r * cols;
        const [r1, r2, r3] = [r0 + cols, r0 + 2 * cols, r0 + 3 * cols];
        for (let c = i + 1; c < cols; c++) s[c] = s[c] + v0 * A[r0 + c] + v1 * A[r1 + c] + v2 * A[r2 + c] + v3 * A[r3 + c];
      }
      for (; r < rows; r++) {
        const vr = v[r];
        const row = r * cols;
        for (let c = i + 1; c < cols; c++) s[c] += vr * A[row + c];
      }
      for (let c = i + 1; c < cols; c++) s[c] *= tau;
      for (let r = i; r < rows; r++) {
        const vr = v[r];
        const row = r * cols;
        for (let c = i + 1; c < cols; c++) A[row + c] -= s[c] * vr;
      }
    }
    if (!bidiagonal || i >= cols - 1) continue;
    const t2 = reflector(A, i * cols + i + 1, cols - i - 1, 1);
    if (t2 === 0) continue;
    for (let c = i + 1; c < cols; c++) v[c] = c === i + 1 ? 1 : A[i * cols + c];
    for (let r = i + 1; r < rows; r++) {
      let s = 0;
      for (let c = i + 1; c < cols; c++) s += A[r * cols + c] * v[c];
      s *= t2;
      for (let c = i + 1; c < cols; c++) A[r * cols + c] -= s * v[c];
    }
  }
}

/** Applies the left reflector stored in column i of A (see householder) to u. */
function applyLeft(A: Float64Array, rows: number, cols: number, i: number, tau: number, u: Float64Array): void {
  if (tau === 0) return;
  let s = u[i];
  for (let r = i + 1; r < rows; r++) s += A[r * cols + i] * u[r];
  s *= tau;
  u[i] -= s;
  for (let r = i + 1; r < rows; r++) u[r] -= s * A[r * cols + i];
}

/** Square upper-bidiagonal reduction of M (P×K): the triangle gesdd bidiagonalizes, with u carried along. */
function reduceLikeGesdd(R: ArrayLike<number>, K: number, P: number, u: Float64Array): { n: number; uB: Float64Array } | null {
  if (P < K && K >= Math.floor((P * 11) / 6)) {
    // LQ: M = L·Q, so u is a left vector of L (P×P, lower); Lᵀ's QR-style reduction is the same
    // reflectors, so reduce Mᵀ (K×P, row-major = R as given) by columns, then bidiagonalize L.
    const T = Float64Array.from(R as ArrayLike<number>);
    householder(T, K, P, false, () => {});
    const L = new Float64Array(P * P);
    for (let i = 0; i < P; i++) for (let j = 0; j <= i; j++) L[i * P + j] = T[j * P + i];
    return bidiagonalize(L, P, P, u);
  }
  if (P >= K) {
    const M = new Float64Array(P * K);
    for (let k = 0; k < K; k++) for (let i = 0; i < P; i++) M[i * K + k] = R[k * P + i];
    if (P < Math.floor((K * 11) / 6)) return bidiagonalize(M, P, K, u);
    // QR: M = Q·R, u = Q·[u_R; 0].
    const w = Float64Array.from(u);
    householder(M, P, K, false, (i, tau) => applyLeft(M, P, K, i, tau, w));
    const Rt = new Float64Array(K * K);
    for (let i = 0; i < K; i++) for (let j = i; j < K; j++) Rt[i * K + j] = M[i * K + j];
    return bidiagonalize(Rt, K, K, w.subarray(0, K));
  }
  return null;
}

function bidiagonalize(A: Float64Array, rows: number, cols: number, u: ArrayLike<number>): { n: number; uB: Float64Array } {
  const w = Float64Array.from(u);
  householder(A, rows, cols, true, (i, tau) => applyLeft(A, rows, cols, i, tau, w));
  return { n: cols, uB: w.subarray(0, cols) };
}

const LEAF = 25; // bdsdc's SMLSIZ
/** Below this share of the vector's norm, row k is taken as deflated (rounding level: ~1e−16). */
const DECOUPLED = 1e-12;

/** The sign (±1) that turns u_B into bdsdc's vector (see the file comment, steps 2 and 3). */
function bdsdcSign(uB: Float64Array): 1 | -1 {
  const n = uB.length;
  const norm = (a: number, b: number) => {
    let s = 0;
    for (let i = a; i < b; i++) s += uB[i] * uB[i];
    return Math.sqrt(s);
  };
  const levels = n <= LEAF ? 0 : Math.floor(Math.log(n / (LEAF + 1)) / Math.log(2)) + 1;
  let start = 0;
  let end = n;
  for (let depth = 0; depth < levels; depth++) {
    const mid = start + Math.floor((end - start) / 2);
    if (Math.abs(uB[mid]) > DECOUPLED * norm(start, end)) return uB[mid] < 0 ? 1 : -1;
    if (norm(start, mid) >= norm(mid + 1, end)) end = mid;
    else start = mid + 1;
  }
  return uB[start] > 0 ? 1 : -1;
}

/** Largest problem retraced (multiply-adds of the reduction); beyond it the caller's rule applies. */
const MAX_WORK = 3e8;

/**
 * R: the centred activations, K channels × P pixels (channel-major), i.e. pytorch-grad-cam's
 * P×K matrix stored by columns; proj: its projection on the first principal axis (s₁·u₁ in
 * either sign). Returns the factor (±1) that gives proj numpy's sign, or null where the rule
 * does not reach (see the file comment).
 */
export function gesddSign(R: ArrayLike<number>, K: number, P: number, proj: ArrayLike<number>): 1 | -1 | null {
  if (K * P * Math.min(K, P) > MAX_WORK) return null;
  let s = 0;
  for (let i = 0; i < P; i++) s += proj[i] * proj[i];
  if (!(s > 0)) return null;
  const u = Float64Array.from(proj, (v) => v / Math.sqrt(s));
  const reduced = reduceLikeGesdd(R, K, P, u);
  // Problems bdsdc hands whole to dlasdq: the leaf rule alone agreed with numpy on only 109 of 164
  // demo-model activations (4×196), fewer than the channel-sum rule (139), so those keep it.
  return reduced && reduced.n > LEAF ? bdsdcSign(reduced.uB) : null;
}
