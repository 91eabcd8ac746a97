// What a CAM variant is: how it turns a feature map A [K, h, w] (and, for the gradient variants,
// the gradients G of the target score w.r.t. A) into a low-resolution map per class. A variant is
// one file in cam/variants/ plus one row in engine/methods.ts; core.ts does everything else
// (activations, backward runs, batching, eigen-smooth, ReLU, min-max, resize, aug-smooth).
// This module imports nothing, so the registry can import the variants without an import circle.

/** Channel weights w[k] from one sample's activations and gradients (K×P slices at `off`): cam = Σ_k w_k·A_k. */
export type WeightFn = (A: Float32Array, G: Float32Array, K: number, P: number, off: number) => Float64Array;
/** Elementwise combination into out (K×P), summed over channels afterwards. */
export type ElementFn = (A: Float32Array, G: Float32Array, K: number, P: number, off: number, out: Float32Array) => void;

export type GradientFormula = { kind: 'weights'; fn: WeightFn } | { kind: 'elementwise'; fn: ElementFn };

/** Options beyond the API parameters (set by the engine, tests and benchmarks). */
export interface CamOptions {
  /**
   * Score-CAM: mask with at most this many channels, the ones whose activations vary most over
   * space (the "Faster Score-CAM" selection); the others get weight 0. Default: all channels, as
   * the reference does.
   */
  scoreCamMaxChannels?: number | null;
}

/** Class scores of model inputs, `batch` images at a time at most. */
export interface ForwardRunner {
  batch: number;
  /** Output rows (n × classes) of the first n images in `inputs` (model layout, normalized). */
  scores(inputs: Float32Array, n: number): Promise<{ data: Float32Array; classes: number }>;
}

/** What a gradient-free variant gets: the target layer's activations of the (augmented) image, and a way to run the model. */
export interface ActivationJob {
  /** Activations per augmentation, K×h×w each (channel-major). */
  acts: readonly Float32Array[];
  K: number;
  h: number;
  w: number;
  /** The model input's size and layout. */
  H: number;
  W: number;
  layout: 'NCHW' | 'NHWC';
  /** The classes to explain. */
  classes: readonly number[];
  /** Index into `acts` of the unaugmented image. */
  identity: number;
  eigenSmooth: boolean;
  options: CamOptions;
  /** The normalized model input of augmentation a (3·H·W, model layout). */
  input(a: number): Float32Array;
  /** The plain forward model, opened on first use. */
  forward(): Promise<ForwardRunner>;
  /** The low-resolution map of augmentation a for class index ci (into `classes`), or for every class. */
  emit(a: number, ci: number | 'every', cam: Float32Array): void;
  /** Throws when the request was cancelled. */
  checkAborted(): void;
  progress(stage: string, done: number, total: number): void;
}

/** A gradient-free variant: emits its maps through the job; returns its entries for the result summary. */
export interface ActivationVariant {
  kind: 'activations';
  run(job: ActivationJob): Promise<Record<string, unknown>>;
  /** Forward passes per augmented image for `classes` classes, for progress weighting before a run (default 1). */
  expectedPasses?(classes: number): number;
}

/** A CAM variant: a gradient formula (one backward run serves all of them) or an algorithm on activations. */
export type CamVariant = GradientFormula | ActivationVariant;

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
