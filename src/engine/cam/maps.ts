// Small numeric kernels on 2-D maps shared by the CAM and input-gradient explainers: bilinear
// resizing (OpenCV's INTER_LINEAR and torch's align_corners=True variants), min-max scaling,
// horizontal flips and the first principal component projection of pytorch-grad-cam's
// get_2d_projection.
import { jacobiEigen } from '../linalg.ts';
import { gesddSign } from './lapack-sign.ts';

/** Per-output-index source taps of a 1-D linear resize: out[i] = in[i0]·(1−f) + in[i1]·f. */
interface Taps {
  i0: Int32Array;
  i1: Int32Array;
  f: Float32Array;
}

/**
 * OpenCV cv2.resize(INTER_LINEAR) taps: half-pixel centres, src = (dst + 0.5)·in/out − 0.5,
 * clamped to the border (float images use float coefficients, no fixed-point rounding).
 */
function cvTaps(inSize: number, outSize: number): Taps {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const f = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let d = 0; d < outSize; d++) {
    let fx = (d + 0.5) * scale - 0.5;
    let sx = Math.floor(fx);
    fx -= sx;
    if (sx < 0) {
      sx = 0;
      fx = 0;
    }
    if (sx >= inSize - 1) {
      sx = inSize - 1;
      fx = 0;
    }
    i0[d] = sx;
    i1[d] = Math.min(sx + 1, inSize - 1);
    f[d] = fx;
  }
  return { i0, i1, f };
}

/** torch.nn.UpsamplingBilinear2d taps (align_corners=True): src = dst·(in − 1)/(out − 1). */
function alignCornerTaps(inSize: number, outSize: number): Taps {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const f = new Float32Array(outSize);
  const scale = outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  for (let d = 0; d < outSize; d++) {
    const src = d * scale;
    const s = Math.min(Math.floor(src), inSize - 1);
    i0[d] = s;
    i1[d] = Math.min(s + 1, inSize - 1);
    f[d] = src - s;
  }
  return { i0, i1, f };
}

const tapCache = new Map<string, Taps>();
function taps(kind: 'cv' | 'align', inSize: number, outSize: number): Taps {
  const key = `${kind}:${inSize}:${outSize}`;
  let t = tapCache.get(key);
  if (!t) {
    t = kind === 'cv' ? cvTaps(inSize, outSize) : alignCornerTaps(inSize, outSize);
    if (tapCache.size > 64) tapCache.clear();
    tapCache.set(key, t);
  }
  return t;
}

/** Separable bilinear resize of one h×w map into an H×W map (`out` reused when given). */
export function resizeBilinear(
  src: ArrayLike<number>,
  h: number,
  w: number,
  H: number,
  W: number,
  mode: 'cv' | 'align' = 'cv',
  out: Float32Array = new Float32Array(H * W),
  srcOffset = 0,
): Float32Array {
  const tx = taps(mode, w, W);
  const ty = taps(mode, h, H);
  // Rows first (h × W), then columns.
  const rows = new Float32Array(h * W);
  for (let y = 0; y < h; y++) {
    const base = srcOffset + y * w;
    const r = y * W;
    for (let x = 0; x < W; x++) {
      const a = src[base + tx.i0[x]];
      const b = src[base + tx.i1[x]];
      rows[r + x] = a + (b - a) * tx.f[x];
    }
  }
  for (let y = 0; y < H; y++) {
    const r0 = ty.i0[y] * W;
    const r1 = ty.i1[y] * W;
    const fy = ty.f[y];
    const o = y * W;
    for (let x = 0; x < W; x++) {
      const a = rows[r0 + x];
      out[o + x] = a + (rows[r1 + x] - a) * fy;
    }
  }
  return out;
}

/** In place: x ← max(x, 0). */
export function reluInPlace(m: Float32Array | Float64Array): void {
  for (let i = 0; i < m.length; i++) if (!(m[i] > 0)) m[i] = 0;
}

/**
 * pytorch-grad-cam's scale_cam_image for one map: (x − min) / (1e-7 + max(x − min)), in place.
 * A constant map becomes all zeros.
 */
export function minMaxInPlace(m: Float32Array | Float64Array, eps = 1e-7): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < m.length; i++) {
    if (m[i] < lo) lo = m[i];
    if (m[i] > hi) hi = m[i];
  }
  if (!Number.isFinite(lo)) return;
  const d = 1 / (eps + (hi - lo));
  for (let i = 0; i < m.length; i++) m[i] = (m[i] - lo) * d;
}

/** Mirror an H×W map left-right, in place. */
export function flipMapInPlace(m: Float32Array, H: number, W: number): void {
  for (let y = 0; y < H; y++) {
    const r = y * W;
    for (let a = r, b = r + W - 1; a < b; a++, b--) {
      const t = m[a];
      m[a] = m[b];
      m[b] = t;
    }
  }
}

/** Largest-eigenvalue eigenvector of a symmetric n×n matrix (row-major, float64). */
export function topEigenvector(A: Float64Array, n: number, start?: Float64Array): { vector: Float64Array; value: number } {
  if (n <= 256) return jacobiTop(A, n);
  return powerTop(A, n, start);
}

/** The largest eigenpair from a full Jacobi decomposition: exact to rounding, fine for n ≤ 256. */
function jacobiTop(A: Float64Array, n: number): { vector: Float64Array; value: number } {
  const { values, vectors } = jacobiEigen(A, n);
  let best = 0;
  for (let i = 1; i < n; i++) if (values[i] > values[best]) best = i;
  const vector = new Float64Array(n);
  for (let k = 0; k < n; k++) vector[k] = vectors[k * n + best];
  return { vector, value: values[best] };
}

function powerTop(A: Float64Array, n: number, start?: Float64Array): { vector: Float64Array; value: number } {
  let v = start && start.some((x) => x !== 0) ? Float64Array.from(start) : Float64Array.from({ length: n }, (_, i) => 1 + ((i * 7919) % 13) / 13);
  const w = new Float64Array(n);
  let value = 0;
  const normalize = (x: Float64Array) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i] * x[i];
    s = Math.sqrt(s) || 1;
    for (let i = 0; i < n; i++) x[i] /= s;
  };
  normalize(v);
  for (let it = 0; it < 2000; it++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      const r = i * n;
      for (let j = 0; j < n; j++) s += A[r + j] * v[j];
      w[i] = s;
    }
    let lambda = 0;
    for (let i = 0; i < n; i++) lambda += w[i] * v[i];
    normalize(w);
    let diff = 0;
    for (let i = 0; i < n; i++) diff = Math.max(diff, Math.abs(w[i] - v[i]));
    v = Float64Array.from(w);
    value = lambda;
    if (diff < 1e-12) break;
  }
  return { vector: v, value };
}

/**
 * get_2d_projection for one sample: X is K channels × P pixels (channel-major, as an NCHW slice).
 * Centres each channel over the pixels, and projects every pixel onto the first right singular
 * vector (the first principal axis in channel space): the result is s₁·u₁ over the pixels.
 *
 * The sign is numpy.linalg.svd's, as pytorch-grad-cam gets it (see lapack-sign.ts); where that rule
 * does not reach, the projection is oriented to correlate positively with the channel sum of X (for
 * ReLU activations: where the layer is active overall).
 */
export function firstComponentProjection(X: ArrayLike<number>, K: number, P: number, offset = 0): Float32Array {
  const R = new Float64Array(K * P); // centred, channel-major
  for (let k = 0; k < K; k++) {
    let mean = 0;
    const b = offset + k * P;
    for (let i = 0; i < P; i++) {
      const v = X[b + i];
      mean += Number.isNaN(v) ? 0 : v;
    }
    mean /= P;
    for (let i = 0; i < P; i++) {
      const v = X[b + i];
      R[k * P + i] = (Number.isNaN(v) ? 0 : v) - mean;
    }
  }
  const proj = new Float64Array(P);
  if (P <= K) {
    // Gram over pixels: G = R^T R (P×P); projection = R^T v₁ = s₁ u₁ = sqrt(λ₁) u₁.
    const G = new Float64Array(P * P);
    for (let k = 0; k < K; k++) {
      const r = k * P;
      for (let i = 0; i < P; i++) {
        const a = R[r + i];
        if (a === 0) continue;
        const gi = i * P;
        for (let j = i; j < P; j++) G[gi + j] += a * R[r + j];
      }
    }
    for (let i = 0; i < P; i++) for (let j = 0; j < i; j++) G[i * P + j] = G[j * P + i];
    const { vector, value } = topEigenvector(G, P);
    const s = Math.sqrt(Math.max(value, 0));
    for (let i = 0; i < P; i++) proj[i] = s * vector[i];
  } else {
    // Covariance over channels: C = R R^T (K×K); projection = R^T v₁ over pixels.
    const C = new Float64Array(K * K);
    for (let a = 0; a < K; a++) {
      for (let b = a; b < K; b++) {
        let s = 0;
        const ra = a * P;
        const rb = b * P;
        for (let i = 0; i < P; i++) s += R[ra + i] * R[rb + i];
        C[a * K + b] = s;
        C[b * K + a] = s;
      }
    }
    const { vector } = topEigenvector(C, K);
    for (let k = 0; k < K; k++) {
      const v = vector[k];
      if (v === 0) continue;
      const r = k * P;
      for (let i = 0; i < P; i++) proj[i] += R[r + i] * v;
    }
  }
  const sign = gesddSign(R, K, P, proj) ?? channelSumSign(X, K, P, offset, proj);
  return Float32Array.from(proj, (v) => sign * v);
}

/** +1 if proj correlates positively with the channel sum of X, else −1. */
function channelSumSign(X: ArrayLike<number>, K: number, P: number, offset: number, proj: Float64Array): 1 | -1 {
  let dot = 0;
  for (let i = 0; i < P; i++) {
    let s = 0;
    for (let k = 0; k < K; k++) {
      const v = X[offset + k * P + i];
      s += Number.isNaN(v) ? 0 : v;
    }
    dot += s * proj[i];
  }
  return dot < 0 ? -1 : 1;
}
