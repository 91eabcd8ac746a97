// The first principal component projection of pytorch-grad-cam's get_2d_projection (Eigen-CAM and
// every variant's eigen-smooth), with numpy's singular-vector sign (lapack-sign.ts).
import { jacobiEigen } from '../linalg.ts';
import { gesddSign } from './lapack-sign.ts';

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
