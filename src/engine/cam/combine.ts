// From channel weights or elementwise products to one low-resolution map: the sum over channels,
// or with eigen-smooth the first principal component of the weighted activations.
import { firstComponentProjection } from './projection.ts';

/** Low-resolution cam from channel weights: Σ_k w_k A_k, or the projection of w_k A_k. */
export function camFromWeights(A: Float32Array, w: ArrayLike<number>, K: number, P: number, off: number, eigenSmooth: boolean): Float32Array {
  if (eigenSmooth) {
    const weighted = new Float32Array(K * P);
    for (let k = 0; k < K; k++) {
      const b = off + k * P;
      for (let i = 0; i < P; i++) weighted[k * P + i] = w[k] * A[b + i];
    }
    return firstComponentProjection(weighted, K, P);
  }
  const cam = new Float64Array(P);
  for (let k = 0; k < K; k++) {
    const wk = w[k];
    if (wk === 0) continue;
    const b = off + k * P;
    for (let i = 0; i < P; i++) cam[i] += wk * A[b + i];
  }
  return Float32Array.from(cam);
}

/** Low-resolution cam from an elementwise combination E (K×P): Σ_k E_k, or its projection. */
export function camFromElements(E: Float32Array, K: number, P: number, eigenSmooth: boolean): Float32Array {
  if (eigenSmooth) return firstComponentProjection(E, K, P);
  const cam = new Float64Array(P);
  for (let k = 0; k < K; k++) {
    const b = k * P;
    for (let i = 0; i < P; i++) cam[i] += E[b + i];
  }
  return Float32Array.from(cam);
}
