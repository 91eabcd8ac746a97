// Grad-CAM++ as pytorch-grad-cam computes it: α = g² / (2g² + Σ_ij A · g³ + 1e-6) (0 where g = 0),
// w_k = Σ_ij α · relu(g).
import { perChannel } from '../formula.ts';

export const gradCamPlusPlus = perChannel((A, G, b, P) => {
  let sumA = 0;
  for (let i = 0; i < P; i++) sumA += A[b + i];
  let s = 0;
  for (let i = 0; i < P; i++) {
    const g = G[b + i];
    if (g === 0) continue;
    const g2 = g * g;
    const aij = g2 / (2 * g2 + sumA * g2 * g + 1e-6);
    if (g > 0) s += g * aij;
  }
  return s;
});
