// Grad-CAM (Selvaraju et al.): w_k = mean over space of ∂y/∂A_k.
import { perChannel } from '../formula.ts';

export const gradCam = perChannel((_A, G, b, P) => {
  let s = 0;
  for (let i = 0; i < P; i++) s += G[b + i];
  return s / P;
});
