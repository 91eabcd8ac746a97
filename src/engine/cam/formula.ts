// What a CAM variant is: how it turns a feature map A [K, h, w] (and, for the gradient variants,
// the gradients G of the target score w.r.t. A) into a low-resolution map. A gradient variant is
// one formula in cam/variants/ plus one row in engine/methods.ts; core.ts does everything else
// (batching, backward runs, eigen-smooth, ReLU, min-max, resize, aug-smooth).

/** Channel weights w[k] from one sample's activations and gradients (K×P slices at `off`): cam = Σ_k w_k·A_k. */
export type WeightFn = (A: Float32Array, G: Float32Array, K: number, P: number, off: number) => Float64Array;
/** Elementwise combination into out (K×P), summed over channels afterwards. */
export type ElementFn = (A: Float32Array, G: Float32Array, K: number, P: number, off: number, out: Float32Array) => void;

export type GradientFormula = { kind: 'weights'; fn: WeightFn } | { kind: 'elementwise'; fn: ElementFn };

/**
 * A CAM variant: a gradient formula, or one of the two gradient-free algorithms with their own
 * module (Eigen-CAM: first principal component of the activations; Score-CAM: masked forward passes).
 */
export type CamVariant = GradientFormula | { kind: 'eigen' } | { kind: 'score' };

export function isGradientFormula(v: CamVariant): v is GradientFormula {
  return v.kind === 'weights' || v.kind === 'elementwise';
}

/** A channel weighting from a formula over one channel's P activations and gradients, starting at b. */
export function perChannel(weight: (A: Float32Array, G: Float32Array, b: number, P: number) => number): GradientFormula {
  return {
    kind: 'weights',
    fn: (A, G, K, P, off) => {
      const w = new Float64Array(K);
      for (let k = 0; k < K; k++) w[k] = weight(A, G, off + k * P, P);
      return w;
    },
  };
}

/** An elementwise combination g ⊙ A-style, written per element. */
export function elementwise(fn: ElementFn): GradientFormula {
  return { kind: 'elementwise', fn };
}
