// The method registry: every explanation method once, with its family, parameter block, display
// name, whether it needs gradients (and so whether it runs on quantized models), whether its maps
// are signed, and for the CAM family its variant (cam/variants/). The GraphQL enum, the explainer
// lookup (explain/index.ts), the quantized-model errors, the SDK's generated method list (for the
// CLI and the portal) are all derived from it. Also: reference defaults and parameter validation;
// parameters are normalised here (defaults filled in) so equal requests hash equally.
import { isDeepStrictEqual } from 'node:util';
import { isGradientFormula, type CamVariant } from './cam/formula.ts';
import { eigenCam } from './cam/variants/eigen-cam.ts';
import { gradCamPlusPlus } from './cam/variants/grad-cam-plus-plus.ts';
import { gradCam } from './cam/variants/grad-cam.ts';
import { hiresCam } from './cam/variants/hires-cam.ts';
import { layerCam } from './cam/variants/layer-cam.ts';
import { scoreCam } from './cam/variants/score-cam.ts';
import { xGradCam } from './cam/variants/xgrad-cam.ts';
import { ALPHA_SAMPLINGS, type AlphaSampling } from './attrib/alpha.ts';
import { EngineError } from './errors.ts';
import { completeBlock, DEFAULTS, SEGMENTATION_DEFAULTS, withoutNulls } from './method-defaults.ts';

export { ALPHA_SAMPLINGS, type AlphaSampling };
export { completeBlock, DEFAULTS, SEGMENTATION_DEFAULTS };

export type MethodFamily = 'CAM' | 'GRADIENT' | 'PERTURBATION';
/** The ExplanationParametersInput field a method reads. */
export type ParameterBlock = 'cam' | 'gradient' | 'lime' | 'kernelShap' | 'partitionShap';

export interface MethodInfo {
  family: MethodFamily;
  displayName: string;
  parameters: ParameterBlock;
  /** Needs a differentiable (float) model: such methods do not run on quantized models. */
  needsGradients: boolean;
  /** Maps carry meaning in their sign (diverging colormap, one symmetric scale); else maps ≥ 0. */
  signed: boolean;
  /** CAM family: the channel weighting or algorithm. */
  cam?: CamVariant;
}

// Each row keeps its family as a literal type, so the methods of a family are a derived union (MethodOf).
const cam = (displayName: string, variant: CamVariant) => ({
  family: 'CAM' as const,
  displayName,
  parameters: 'cam' as const,
  needsGradients: isGradientFormula(variant),
  signed: false,
  cam: variant,
});
const gradient = (displayName: string, signed: boolean) => ({ family: 'GRADIENT' as const, displayName, parameters: 'gradient' as const, needsGradients: true, signed });
const perturbation = (displayName: string, parameters: ParameterBlock) => ({ family: 'PERTURBATION' as const, displayName, parameters, needsGradients: false, signed: true });

export const METHOD_REGISTRY = {
  GRAD_CAM: cam('Grad-CAM', gradCam),
  GRAD_CAM_PLUS_PLUS: cam('Grad-CAM++', gradCamPlusPlus),
  XGRAD_CAM: cam('XGrad-CAM', xGradCam),
  HIRES_CAM: cam('HiRes-CAM', hiresCam),
  LAYER_CAM: cam('LayerCAM', layerCam),
  EIGEN_CAM: cam('Eigen-CAM', eigenCam),
  SCORE_CAM: cam('Score-CAM', scoreCam),
  // Saliency is max over channels of |∂y/∂x|; SmoothGrad averages signed gradients.
  SALIENCY: gradient('Saliency', false),
  SMOOTH_GRAD: gradient('SmoothGrad', true),
  INTEGRATED_GRADIENTS: gradient('Integrated Gradients', true),
  GRADIENT_SHAP: gradient('Gradient SHAP', true),
  LIME: perturbation('LIME', 'lime'),
  KERNEL_SHAP: perturbation('Kernel SHAP', 'kernelShap'),
  PARTITION_SHAP: perturbation('Partition SHAP', 'partitionShap'),
} as const satisfies Record<string, MethodInfo>;

export type Method = keyof typeof METHOD_REGISTRY;
export const METHODS = Object.keys(METHOD_REGISTRY) as Method[];
/** The methods of one family, as a type. */
export type MethodOf<F extends MethodFamily> = { [M in Method]: (typeof METHOD_REGISTRY)[M]['family'] extends F ? M : never }[Method];

export function methodsOf<F extends MethodFamily>(family: F): MethodOf<F>[] {
  return METHODS.filter((m): m is MethodOf<F> => METHOD_REGISTRY[m].family === family);
}

export const CAM_METHODS = methodsOf('CAM');
export const GRADIENT_METHODS = methodsOf('GRADIENT');
export const PERTURBATION_METHODS = methodsOf('PERTURBATION');

export function isMethod(m: string): m is Method {
  return Object.hasOwn(METHOD_REGISTRY, m);
}

export function methodInfo(m: Method): MethodInfo {
  const info: MethodInfo | undefined = METHOD_REGISTRY[m];
  if (!info) throw new EngineError('INVALID_ARGUMENT', `unknown method ${String(m)}`);
  return info;
}

export function methodFamily(m: Method): MethodFamily {
  return methodInfo(m).family;
}

export function needsGradients(m: Method): boolean {
  return methodInfo(m).needsGradients;
}

export function runsOnQuantized(m: Method): boolean {
  return !methodInfo(m).needsGradients;
}

/** Why `methods` cannot run on a quantized model (`model` names it), with the methods that can. */
export function quantizedRefusal(methods: readonly Method[], model = 'a quantized model'): string {
  const usable = METHODS.filter(runsOnQuantized);
  const cams = usable.filter((m) => methodFamily(m) !== 'PERTURBATION');
  const perturbation = usable.filter((m) => methodFamily(m) === 'PERTURBATION');
  const verb = methods.length > 1 ? 'need' : 'needs';
  return `${methods.join(', ')} ${verb} gradients, which ${model} does not have; use ${cams.join(', ')} or the perturbation methods (${perturbation.join(', ')})`;
}

/** NOT_DIFFERENTIABLE when a quantized model is asked for a method that needs gradients. */
export function checkRunsOn(methods: readonly Method[], quantized: boolean, model?: string): void {
  const refused = methods.filter((m) => !runsOnQuantized(m));
  if (quantized && refused.length) throw new EngineError('NOT_DIFFERENTIABLE', quantizedRefusal(refused, model));
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
  alphaSampling: AlphaSampling;
}
export const MASK_DESIGNS = ['LIME', 'ANTITHETIC', 'ORTHOGONAL'] as const;
export type MaskDesign = (typeof MASK_DESIGNS)[number];

/**
 * Adaptive sampling's stopping rule (perturb/adaptive.ts): STABILITY stops at `confidence`;
 * EXPECTED_GAIN also stops once the rest of the budget is expected to add < gainTolerance features
 * to the top-k's overlap with the large-sample top-k.
 */
export const STOPPING_RULES = ['STABILITY', 'EXPECTED_GAIN'] as const;
export type StoppingRuleKind = (typeof STOPPING_RULES)[number];

/** What LIME and Kernel SHAP share: superpixels, how hidden ones look, batching and adaptive sampling. */
export interface SuperpixelParams {
  hide: HideColor;
  segmentation: Segmentation;
  batchSize: number;
  adaptive: boolean;
  /** Adaptive sampling stops once the top-k set's stability reaches this; every result reports it. */
  confidence: number;
  stabilityTopK: number;
  stoppingRule: StoppingRuleKind;
  gainTolerance: number;
}
export interface LimeParams extends SuperpixelParams {
  numSamples: number;
  numFeatures: number;
  topLabels: number;
  kernelWidth: number;
  featureSelection: 'AUTO' | 'FORWARD_SELECTION' | 'HIGHEST_WEIGHTS' | 'LASSO_PATH' | 'NONE';
  /** LIME: lime_image's i.i.d. masks (reference-exact); ANTITHETIC: complement pairs;
   *  ORTHOGONAL: scrambled Hadamard blocks with complements (perturb/lime.ts limeMasks). */
  maskDesign: MaskDesign;
}
export interface KernelShapParams extends SuperpixelParams {
  nsamples: number | null;
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

// The defaults live in method-defaults.ts (no Node imports: the portal and the CLI complete a method's
// parameters with them too); here they are checked against the parameter types.
DEFAULTS satisfies { [K in ParameterBlock]: ParameterBlocks[K] };
SEGMENTATION_DEFAULTS satisfies Record<Segmentation['algorithm'], Segmentation>;

/**
 * Defaulted fields added to a block after explanations were first stored under request keys, oldest
 * first. At its DEFAULTS value such a field is left out of the request key (keyParameters), so a
 * request equal to the defaults hashes as it did before the field existed and reuses what was stored
 * then; any other value is kept and gets its own key. A field added to DEFAULTS belongs here too
 * (test/api/request-keys.test.ts fails until it is).
 */
export const LATER_FIELDS = [
  { added: 'issue 15 uncertainty', fields: { lime: ['confidence', 'stabilityTopK'], kernelShap: ['confidence', 'stabilityTopK'] } },
  { added: 'issue 11 Gradient SHAP α design', fields: { gradient: ['alphaSampling'] } },
  { added: 'issue 15 stopping rule, mask design', fields: { lime: ['stoppingRule', 'gainTolerance', 'maskDesign'], kernelShap: ['stoppingRule', 'gainTolerance'] } },
] as const satisfies readonly { added: string; fields: { [K in ParameterBlock]?: readonly (keyof ParameterBlocks[K])[] } }[];

/**
 * Normalised parameters as a request key hashes them. `stored` = 0: the key new explanations get
 * (LATER_FIELDS at their default left out). `stored` = n > 0: the form stored while only the first n
 * LATER_FIELDS entries existed (theirs always present, filled with defaults), so such rows are still
 * found; null when no request of that time could have had these values.
 */
export function keyParameters(params: MethodParameters, stored = 0): MethodParameters | null {
  const out: Record<string, unknown> = { ...params };
  for (const { fields } of LATER_FIELDS.slice(stored)) {
    for (const [key, names] of Object.entries(fields) as [ParameterBlock, readonly string[]][]) {
      const block = out[key] as Record<string, unknown> | undefined;
      if (!block) continue;
      const rest = { ...block };
      for (const name of names) {
        const isDefault = isDeepStrictEqual(rest[name], (DEFAULTS[key] as Record<string, unknown>)[name]);
        if (isDefault) delete rest[name];
        else if (stored > 0) return null;
      }
      out[key] = rest;
    }
  }
  return out as unknown as MethodParameters;
}

export function parametersKeyFor(m: Method): ParameterBlock {
  return methodInfo(m).parameters;
}

export type ParameterBlocks = Required<Pick<MethodParameters, ParameterBlock>>;

/** One family's parameters with the defaults under what is given (engine callers may pass part of a block). */
export function blockParams<K extends ParameterBlock>(params: MethodParameters, key: K): ParameterBlocks[K] {
  return { ...DEFAULTS[key], ...params[key] } as ParameterBlocks[K];
}

/**
 * The normalised parameters with what a finished run chose itself, read from its summary: the batch
 * size it ran (a fixed batch dimension or the runner's preferred size can differ from the request),
 * CAM's target layer when the default was asked for, and Kernel SHAP's resolved number of samples.
 */
export function parametersUsed(method: Method, params: MethodParameters, summary: Record<string, unknown>): MethodParameters {
  const key = parametersKeyFor(method);
  const family: Record<string, unknown> = { ...blockParams(params, key) };
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

function checkOneOf(name: string, v: unknown, allowed: readonly string[]): void {
  if (!allowed.includes(v as string)) invalid(`${name} must be one of ${allowed.join(', ')}, got ${String(v)}`);
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

function checkSuperpixels(family: string, p: SuperpixelParams): void {
  checkRange(`${family}.batchSize`, p.batchSize, 1, 512);
  checkRange(`${family}.confidence`, p.confidence, 0.5, 0.999, false);
  checkRange(`${family}.stabilityTopK`, p.stabilityTopK, 1, 100);
  checkSegmentation(p.segmentation);
  checkHide(p.hide);
  checkOneOf(`${family}.stoppingRule`, p.stoppingRule, STOPPING_RULES);
  checkRange(`${family}.gainTolerance`, p.gainTolerance, 0.001, 5, false);
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
  if (!isMethod(method)) invalid(`unknown method ${method}`);
  const key = parametersKeyFor(method);
  for (const other of Object.keys(raw) as (keyof typeof raw)[]) {
    if (other !== 'target' && other !== key && raw[other] != null) {
      invalid(`parameters.${other} does not apply to ${method}; use parameters.${key}`);
    }
  }
  const merged = completeBlock(key, raw[key] ?? null) as never;
  // lime_image explains its top_labels (5) classes unless told otherwise; other methods the top-1.
  const limeTop = key === 'lime' ? { kind: 'TOP' as const, k: Math.min(Number((merged as LimeParams).topLabels), numClasses, 20) } : null;
  const target = normalizeTarget(raw.target ?? limeTop, numClasses);
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
    checkOneOf('gradient.alphaSampling', p.alphaSampling, ALPHA_SAMPLINGS);
  } else if (key === 'lime') {
    const p = out.lime!;
    checkRange('lime.numSamples', p.numSamples, 10, 100000);
    checkRange('lime.numFeatures', p.numFeatures, 1, 100000);
    checkRange('lime.topLabels', p.topLabels, 1, numClasses > 0 ? numClasses : 100000);
    checkRange('lime.kernelWidth', p.kernelWidth, 1e-6, 1000, false);
    checkSuperpixels('lime', p);
    checkOneOf('lime.maskDesign', p.maskDesign, MASK_DESIGNS);
  } else if (key === 'kernelShap') {
    const p = out.kernelShap!;
    if (p.nsamples !== null) checkRange('kernelShap.nsamples', p.nsamples, 10, 1_000_000);
    checkSuperpixels('kernelShap', p);
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
