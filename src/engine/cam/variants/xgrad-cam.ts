// XGrad-CAM (Fu et al.): w_k = Σ_ij g·A / (Σ_ij A + 1e-7).
import { perChannel } from '../formula.ts';

export const xGradCam = perChannel((A, G, b, P) => {
  let sumA = 0;
  let s = 0;
  for (let i = 0; i < P; i++) {
    sumA += A[b + i];
    s += G[b + i] * A[b + i];
  }
  return s / (sumA + 1e-7);
});
