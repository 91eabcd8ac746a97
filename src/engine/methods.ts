// The catalogue of explanation methods: family, reference defaults and parameter validation.
// Parameters are normalised here (defaults filled in) so equal requests hash equally.
import { EngineError } from './errors.js';

export const CAM_METHODS = ['GRAD_CAM', 'GRAD_CAM_PLUS_PLUS', 'XGRAD_CAM', 'HIRES_CAM', 'LAYER_CAM', 'EIGEN_CAM', 'SCORE_CAM'] as const;
export const GRADIENT_METHODS = ['SALIENCY', 'SMOOTH_GRAD', 'INTEGRATED_GRADIENTS', 'GRADIENT_SHAP'] as const;
export const PERTURBATION_METHODS = ['LIME', 'KERNEL_SHAP', 'PARTITION_SHAP'] as const;
export const METHODS = [...CAM_METHODS, ...GRADIENT_METHODS, ...PERTURBATION_METHODS] as const;

export type Method = (typeof METHODS)[number];
export type MethodFamily = 'CAM' | 'GRADIENT' | 'PERTURBATION';

export function methodFamily(m: Method): MethodFamily {
  if ((CAM_METHODS as readonly string[]).includes(m)) return 'CAM';
  if ((GRADIENT_METHODS as readonly string[]).includes(m)) return 'GRADIENT';
  return 'PERTURBATION';
}

/** Gradient methods need a differentiable (float) model; Score-CAM and Eigen-CAM only need activations. */
export function needsGradients(m: Method): boolean {
  return methodFamily(m) === 'GRADIENT' || (methodFamily(m) === 'CAM' && m !== 'SCORE_CAM' && m !== 'EIGEN_CAM');
}

export type Target = { kind: 'TOP'; k: number } | { kind: 'CLASSES'; classes: number[] };

export type Segmentation =
  | { algorithm: 'QUICKSHIFT'; kernelSize: number; maxDist: number; ratio: number; sigma: number }
  | { algorithm: 'SLIC'; nSegments: number; compactness: number; sigma: number }
  | { algorithm: 'FELZENSZWALB'; scale: number; sigma: number; minSize: number };

export type HideColor = { kind: 'MEAN' } | { kind: 'COLOR'; rgb: [number, number, number] } | { kind: 'BLUR'; radius: number };

export interface CamParams {
  targetLayer: string | null;
  augSmooth: boolean;
  eigenSmooth: boolean;
  batchSize: number;
}
export interface GradientParams {
  samples: number;
  noiseLevel: number;
  steps: number;
  baseline: 'BLACK' | 'BLURRED' | 'UNIFORM_NOISE';
  baselineImageIds: string[];
  batchSize: number;
}
export interface LimeParams {
  numSamples: number;
  numFeatures: number;
  topLabels: number;
  kernelWidth: number;
  featureSelection: 'AUTO' | 'FORWARD_SELECTION' | 'HIGHEST_WEIGHTS' | 'LASSO_PATH' | 'NONE';
  hide: HideColor;
  segmentation: Segmentation;
  batchSize: number;
  adaptive: boolean;
}
export interface KernelShapParams {
  nsamples: number | null;
  hide: HideColor;
  segmentation: Segmentation;
  batchSize: number;
  adaptive: boolean;
}
export interface PartitionShapParams {
  maxEvals: number;
  masker: { kind: 'BLUR'; kernel: number } | { kind: 'INPAINT_TELEA' } | { kind: 'INPAINT_NS' } | { kind: 'COLOR'; rgb: [number, number, number] };
  batchSize: number;
}

export const FAITHFULNESS_FILLS = ['BLUR', 'MEAN', 'BLACK'] as const;
export type FaithfulnessFill = (typeof FAITHFULNESS_FILLS)[number];

/** Deletion/insertion curves (metrics/faithfulness.ts). */
export interface FaithfulnessParams {
  /** Curve steps N (N + 1 points per curve). */
  steps: number;
  /** What deleted pixels become, and what insertion starts from: a Gaussian-blurred copy (σ = blurSigma px), the crop's mean color, or black. */
  fill: FaithfulnessFill;
  blurSigma: number;
  /** Images per session.run wished for (raised or capped as for the perturbation methods). */
  batchSize: number;
}

/** The model-parameter randomization check (metrics/randomization.ts). */
export interface RandomizationParams {
  /** How many weighted layers, from the top, get random weights. */
  layers: number;
  seed: number;
}

/** What to measure besides the maps; part of the parameters, so part of the request. */
export interface EvaluationParams {
  faithfulness?: FaithfulnessParams;
  randomization?: RandomizationParams;
}

export interface MethodParameters {
  target: Target;
  cam?: CamParams;
  gradient?: GradientParams;
  lime?: LimeParams;
  kernelShap?: KernelShapParams;
  partitionShap?: PartitionShapParams;
  /** Faithfulness and sanity metrics to compute with the maps (see explain/evaluate.ts). */
  evaluation?: EvaluationParams;
}

// scikit-image defaults per algorithm (quickshift with LIME's kernel_size/max_dist/ratio).
export const SEGMENTATION_DEFAULTS = {
  QUICKSHIFT: { algorithm: 'QUICKSHIFT', kernelSize: 4, maxDist: 200, ratio: 0.2, sigma: 0 },
  SLIC: { algorithm: 'SLIC', nSegments: 50, compactness: 10, sigma: 0 },
  FELZENSZWALB: { algorithm: 'FELZENSZWALB', scale: 1, sigma: 0.8, minSize: 20 },
} as const satisfies Record<Segmentation['algorithm'], Segmentation>;
const QUICKSHIFT_LIME: Segmentation = SEGMENTATION_DEFAULTS.QUICKSHIFT;
const SLIC_SHAP: Segmentation = SEGMENTATION_DEFAULTS.SLIC;

export const DEFAULTS = {
  cam: { targetLayer: null, augSmooth: false, eigenSmooth: false, batchSize: 32 } satisfies CamParams,
  // SmoothGrad paper: 50 samples, 15% noise; Captum/IG practice: 50 steps; SHAP GradientExplainer: 200 samples.
  gradient: { samples: 50, noiseLevel: 0.15, steps: 50, baseline: 'BLACK', baselineImageIds: [], batchSize: 16 } satisfies GradientParams,
  // lime_image.explain_instance defaults: 1000 samples, top_labels 5, kernel width 0.25, batch 10.
  lime: {
    numSamples: 1000,
    numFeatures: 100000,
    topLabels: 5,
    kernelWidth: 0.25,
    featureSelection: 'AUTO',
    hide: { kind: 'MEAN' },
    segmentation: QUICKSHIFT_LIME,
    batchSize: 10,
    adaptive: false,
  } satisfies LimeParams,
  kernelShap: { nsamples: null, hide: { kind: 'MEAN' }, segmentation: SLIC_SHAP, batchSize: 50, adaptive: false } satisfies KernelShapParams,
  // The SHAP image examples use masker "blur(128,128)" and max_evals 500 with batch_size 50.
  partitionShap: { maxEvals: 500, masker: { kind: 'BLUR', kernel: 128 }, batchSize: 50 } satisfies PartitionShapParams,
} as const;

const FAMILY_KEY: Record<Method, keyof Omit<MethodParameters, 'target' | 'evaluation'>> = {
  ...(Object.fromEntries(CAM_METHODS.map((m) => [m, 'cam'])) as Record<(typeof CAM_METHODS)[number], 'cam'>),
  ...(Object.fromEntries(GRADIENT_METHODS.map((m) => [m, 'gradient'])) as Record<(typeof GRADIENT_METHODS)[number], 'gradient'>),
  LIME: 'lime',
  KERNEL_SHAP: 'kernelShap',
  PARTITION_SHAP: 'partitionShap',
};

export function parametersKeyFor(m: Method) {
  return FAMILY_KEY[m];
}

/**
 * The normalised parameters with what a finished run chose itself, read from its summary: the batch
 * size it ran (a fixed batch dimension or the runner's preferred size can differ from the request),
 * CAM's target layer when the default was asked for, and Kernel SHAP's resolved number of samples.
 */
export function parametersUsed(method: Method, params: MethodParameters, summary: Record<string, unknown>): MethodParameters {
  const key = FAMILY_KEY[method];
  const family: Record<string, unknown> = { ...DEFAULTS[key], ...params[key] };
  if (typeof summary.batchSize === 'number') family.batchSize = summary.batchSize;
  if (key === 'cam' && typeof summary.targetLayer === 'string') family.targetLayer = summary.targetLayer;
  if (key === 'kernelShap' && typeof summary.nsamples === 'number') family.nsamples = summary.nsamples;
  return { ...params, [key]: family };
}

function invalid(message: string): never {
  throw new EngineError('INVALID_ARGUMENT', message);
}

function checkRange(name: string, v: number, min: number, max: number, integer = true): void {
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    invalid(`${name} must be ${integer ? 'an integer ' : ''}between ${min} and ${max}, got ${v}`);
  }
}

function withoutNulls(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
}

/** Keeps only the chosen algorithm's parameters, filling the rest with its defaults. */
function completeSegmentation(s: Partial<Segmentation>): Segmentation {
  const base = SEGMENTATION_DEFAULTS[s.algorithm ?? 'QUICKSHIFT'];
  if (!base) invalid(`unknown segmentation algorithm ${s.algorithm}`);
  const given = withoutNulls(s as Record<string, unknown>);
  return Object.fromEntries(Object.keys(base).map((k) => [k, given[k] ?? (base as Record<string, unknown>)[k]])) as Segmentation;
}

function checkSegmentation(s: Segmentation): void {
  if (s.algorithm === 'QUICKSHIFT') {
    checkRange('segmentation.kernelSize', s.kernelSize, 1, 50, false);
    checkRange('segmentation.maxDist', s.maxDist, 1, 10000, false);
    checkRange('segmentation.ratio', s.ratio, 0, 1, false);
  } else if (s.algorithm === 'SLIC') {
    checkRange('segmentation.nSegments', s.nSegments, 2, 5000);
    checkRange('segmentation.compactness', s.compactness, 0.001, 1000, false);
  } else {
    checkRange('segmentation.scale', s.scale, 1, 100000, false);
    checkRange('segmentation.minSize', s.minSize, 1, 100000);
  }
  checkRange('segmentation.sigma', s.sigma, 0, 100, false);
}

function checkHide(h: HideColor): void {
  if (h.kind === 'COLOR' && (!Array.isArray(h.rgb) || h.rgb.length !== 3)) invalid('hide.rgb must be three values 0..255');
  if (h.kind === 'BLUR' && h.radius === undefined) invalid('hide.radius is required for BLUR');
  if (h.kind === 'COLOR') h.rgb.forEach((c, i) => checkRange(`hide.rgb[${i}]`, c, 0, 255));
  if (h.kind === 'BLUR') checkRange('hide.radius', h.radius, 0.3, 1000, false);
}

/**
 * Fills defaults for the method's family and validates ranges. Parameters for another family are an
 * error (a silent ignore would make two different requests look identical to the user).
 */
export function normalizeParameters(
  method: Method,
  raw: { target?: Partial<Target> | null } & Partial<Record<keyof Omit<MethodParameters, 'target' | 'evaluation'>, object | null>>,
  numClasses: number,
): MethodParameters {
  if (!(METHODS as readonly string[]).includes(method)) invalid(`unknown method ${method}`);
  const key = FAMILY_KEY[method];
  for (const other of Object.keys(raw) as (keyof typeof raw)[]) {
    if (other !== 'target' && other !== key && raw[other] != null) {
      invalid(`parameters.${other} does not apply to ${method}; use parameters.${key}`);
    }
  }
  const given = withoutNulls((raw[key] ?? {}) as Record<string, unknown>);
  // lime_image explains its top_labels (5) classes unless told otherwise; other methods the top-1.
  const limeTop = key === 'lime' ? { kind: 'TOP' as const, k: Math.min(Number(given.topLabels ?? DEFAULTS.lime.topLabels), numClasses, 20) } : null;
  const target = normalizeTarget(raw.target ?? limeTop, numClasses);
  if (given.segmentation) given.segmentation = completeSegmentation(given.segmentation as Partial<Segmentation>);
  if (given.hide) given.hide = withoutNulls(given.hide as Record<string, unknown>);
  if (given.masker) {
    const m = withoutNulls(given.masker as Record<string, unknown>);
    given.masker = m.kind === 'BLUR' ? { kernel: 128, ...m } : m;
  }
  const merged = { ...DEFAULTS[key], ...given } as never;
  const out: MethodParameters = { target, [key]: merged };
  if (key === 'cam') {
    const p = out.cam!;
    checkRange('cam.batchSize', p.batchSize, 1, 512);
  } else if (key === 'gradient') {
    const p = out.gradient!;
    checkRange('gradient.samples', p.samples, 1, 10000);
    checkRange('gradient.steps', p.steps, 1, 10000);
    checkRange('gradient.noiseLevel', p.noiseLevel, 0, 10, false);
    checkRange('gradient.batchSize', p.batchSize, 1, 512);
  } else if (key === 'lime') {
    const p = out.lime!;
    checkRange('lime.numSamples', p.numSamples, 10, 100000);
    checkRange('lime.numFeatures', p.numFeatures, 1, 100000);
    checkRange('lime.topLabels', p.topLabels, 1, numClasses > 0 ? numClasses : 100000);
    checkRange('lime.kernelWidth', p.kernelWidth, 1e-6, 1000, false);
    checkRange('lime.batchSize', p.batchSize, 1, 512);
    checkSegmentation(p.segmentation);
    checkHide(p.hide);
  } else if (key === 'kernelShap') {
    const p = out.kernelShap!;
    if (p.nsamples !== null) checkRange('kernelShap.nsamples', p.nsamples, 10, 1_000_000);
    checkRange('kernelShap.batchSize', p.batchSize, 1, 512);
    checkSegmentation(p.segmentation);
    checkHide(p.hide);
  } else {
    const p = out.partitionShap!;
    checkRange('partitionShap.maxEvals', p.maxEvals, 10, 1_000_000);
    checkRange('partitionShap.batchSize', p.batchSize, 1, 512);
    if (p.masker.kind === 'BLUR') checkRange('partitionShap.masker.kernel', p.masker.kernel ?? 128, 1, 4096);
    if (p.masker.kind === 'COLOR' && (!Array.isArray(p.masker.rgb) || p.masker.rgb.length !== 3)) invalid('partitionShap.masker.rgb must be three values 0..255');
  }
  return out;
}

function normalizeTarget(raw: Partial<Target> | null, numClasses: number): Target {
  if (!raw || raw.kind === undefined) return { kind: 'TOP', k: 1 };
  if (raw.kind === 'TOP') {
    const k = (raw as { k?: number }).k ?? 1;
    checkRange('target.k', k, 1, Math.max(1, Math.min(numClasses, 20)));
    return { kind: 'TOP', k };
  }
  const classes = (raw as { classes?: number[] }).classes ?? [];
  if (classes.length === 0 || classes.length > 20) invalid('target.classes must list between 1 and 20 class indices');
  for (const c of classes) checkRange('target class index', c, 0, numClasses - 1);
  return { kind: 'CLASSES', classes: [...new Set(classes)] };
}
