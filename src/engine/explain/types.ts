// The contract between explainers, rendering and the job layer.
import type { Method, MethodParameters } from '../methods.ts';
import type { Pixels } from '../pil/resample.ts';
import type { CropGeometry } from '../preprocess.ts';
import type { ClassLabel, InputSpec, OutputKind, RunControl } from '../types.ts';

/** A registered model as the engine needs it. */
export interface ModelHandle {
  /** Stable cache key (the ONNX file's sha256). */
  key: string;
  /** Path of the ONNX file. */
  path: string;
  spec: InputSpec;
  numClasses: number;
  labels: readonly ClassLabel[];
  outputKind: OutputKind;
  quantized: boolean;
}

export interface ExplainRequest {
  model: ModelHandle;
  /** The original image file (any format sharp reads). */
  image: Buffer;
  method: Method;
  params: MethodParameters;
  /** Seeds every random choice; null means 0. */
  seed: number | null;
  /** Gradient SHAP's baseline distribution: original image files (default: a black image). */
  baselineImages?: Buffer[];
  maxPixels?: number;
}

/** One explained class: a map over the model's input grid (after resize and crop). */
export interface Attribution {
  classIndex: number;
  label: string;
  /** Model probability for this class on the unmodified image. */
  probability: number;
  /** Row-major height × width values. */
  map: Float32Array;
  width: number;
  height: number;
  /** True when negative values carry meaning (SHAP, IG, LIME weights); false for CAM-style maps ≥ 0. */
  signed: boolean;
  /** Method-specific numbers for this class, e.g. { completenessGap, r2, intercept }. */
  metrics: Record<string, number>;
}

/** Superpixel-based methods also return their segmentation and per-segment weights (LIME views need them). */
export interface SegmentWeights {
  /** Height × width segment ids over the model input grid. */
  segments: Int32Array;
  count: number;
  /** Per explained class: weight of each segment (index = segment id). */
  weights: { classIndex: number; values: Float64Array }[];
}

/** The image as the explainer decoded it: rendering draws on these instead of decoding again. */
export interface DecodedView {
  /** The model-input crop, uint8 RGB (HWC). */
  crop: Uint8Array;
  /** The decoded original, as geometry.decode says. */
  original: Pixels;
}

export interface ExplainResult {
  method: Method;
  attributions: Attribution[];
  geometry: CropGeometry;
  /** Set by the explainers; without it, rendering decodes the request's image itself. */
  view?: DecodedView;
  segments?: SegmentWeights;
  /** Method-level numbers for the Explanation's `result` (samples used, fit score, timings…). */
  summary: Record<string, unknown>;
}

export type Explainer = (req: ExplainRequest, ctl: RunControl) => Promise<ExplainResult>;
