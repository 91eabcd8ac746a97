// LayerCAM (Jiang et al.): relu(g) ⊙ A, summed over channels.
import { elementwise } from '../formula.ts';

export const layerCam = elementwise((A, G, K, P, off, out) => {
  for (let i = 0; i < K * P; i++) {
    const g = G[off + i];
    out[i] = g > 0 ? g * A[off + i] : 0;
  }
});
