// HiRes-CAM (Draelos & Carin): g ⊙ A, summed over channels.
import { elementwise } from '../formula.ts';

export const hiresCam = elementwise((A, G, K, P, off, out) => {
  for (let i = 0; i < K * P; i++) out[i] = G[off + i] * A[off + i];
});
