// Inputs of requestExplanation: one optional parameter block per method family. Omitted fields take
// the reference implementations' defaults (see src/engine/methods.ts).
import { DEFAULTS, type AlphaSampling as AlphaSamplingValue, type MaskDesign as MaskDesignValue, type StoppingRuleKind } from '../../engine/methods.js';
import { builder } from '../builder.js';
import { describedEnum } from './fields.js';
import { ExplanationMethodEnum } from './enums.js';
import { EvaluationInput } from './evaluation.js';
import { ImageRef, ModelRef, StudyRef } from './nodes.js';

export const TargetInput = builder.inputType('TargetInput', {
  description: 'Which class(es) to explain. Default: the top-1 prediction (LIME: its topLabels, 5, as lime_image does).',
  fields: (t) => ({
    topK: t.int({ description: 'Explain the k most probable classes' }),
    classIndices: t.intList({ description: 'Explain these class indices' }),
  }),
});

const SegmentationAlgorithm = builder.enumType('SegmentationAlgorithm', { values: ['QUICKSHIFT', 'SLIC', 'FELZENSZWALB'] as const });
const SegmentationInput = builder.inputType('SegmentationInput', {
  description: "Superpixels. Parameters follow scikit-image's semantics; unused ones for the chosen algorithm are ignored",
  fields: (t) => ({
    algorithm: t.field({ type: SegmentationAlgorithm, required: true }),
    kernelSize: t.float(),
    maxDist: t.float(),
    ratio: t.float(),
    nSegments: t.int(),
    compactness: t.float(),
    scale: t.float(),
    minSize: t.int(),
    sigma: t.float(),
  }),
});

const HideKind = builder.enumType('HideKind', { values: ['MEAN', 'COLOR', 'BLUR'] as const });
const HideInput = builder.inputType('HideInput', {
  description: 'How hidden superpixels are filled: segment mean (LIME default), a fixed color, or a blurred copy',
  fields: (t) => ({ kind: t.field({ type: HideKind, required: true }), rgb: t.intList(), radius: t.float() }),
});

const MaskerKind = builder.enumType('MaskerKind', { values: ['BLUR', 'INPAINT_TELEA', 'INPAINT_NS', 'COLOR'] as const });
const MaskerInput = builder.inputType('MaskerInput', {
  fields: (t) => ({ kind: t.field({ type: MaskerKind, required: true }), kernel: t.int(), rgb: t.intList() }),
});

const CamInput = builder.inputType('CamParametersInput', {
  fields: (t) => ({
    targetLayer: t.string({ description: 'Layer (node output) name; default: the last spatial activation before the head' }),
    augSmooth: t.boolean(),
    eigenSmooth: t.boolean(),
    batchSize: t.int(),
  }),
});
const BaselineKind = builder.enumType('BaselineKind', { values: ['BLACK', 'BLURRED', 'UNIFORM_NOISE'] as const });
const AlphaSampling = describedEnum('AlphaSampling', {
  SHAP: "shap's GradientExplainer: α ~ U(0, 1) i.i.d. (default; the reference's numbers)",
  STRATIFIED: 'One α in each of `samples` equal strata of [0, 1]: a lower-variance estimate of the same expectation',
  ANTITHETIC: 'Pairs (α, 1 − α): exact when the output is quadratic along the path',
  QUASI_RANDOM: 'A randomly shifted evenly spaced grid of α, folded to be symmetric about ½ (the tent transform): every stratum of width 2/`samples` covered from both ends, exact when the output is quadratic along the path',
} satisfies Record<AlphaSamplingValue, string>, "Gradient SHAP: where on each baseline → input path the gradients are taken (all from the seed's numpy stream)");
const GradientInput = builder.inputType('GradientParametersInput', {
  fields: (t) => ({
    samples: t.int({ description: 'SmoothGrad noise samples / Gradient SHAP samples' }),
    noiseLevel: t.float(),
    steps: t.int({ description: 'Integrated Gradients steps' }),
    baseline: t.field({ type: BaselineKind }),
    baselineImages: t.globalIDList({ for: ImageRef, description: 'Gradient SHAP baseline distribution (default: a black image)' }),
    batchSize: t.int(),
    alphaSampling: t.field({ type: AlphaSampling, description: 'Gradient SHAP α design (default SHAP)' }),
  }),
});
const FeatureSelection = builder.enumType('FeatureSelection', {
  values: ['AUTO', 'FORWARD_SELECTION', 'HIGHEST_WEIGHTS', 'LASSO_PATH', 'NONE'] as const,
});
export const StoppingRule = describedEnum('StoppingRule', {
  STABILITY: 'Stop when the top-k stability reaches `confidence` (default)',
  EXPECTED_GAIN: 'Also stop when the rest of the budget is expected to add fewer than `gainTolerance` features to the top-k overlap with the large-sample top-k',
} satisfies Record<StoppingRuleKind, string>);
const MaskDesign = describedEnum('MaskDesign', {
  LIME: "lime_image's independent uniform masks (reference-exact, default)",
  ANTITHETIC: 'Each mask followed by its complement: same weights estimated, with less spread',
  ORTHOGONAL: 'Blocks of randomly scrambled Hadamard rows, each with its complement: every mask still uniform, columns exactly balanced and orthogonal per block',
} satisfies Record<MaskDesignValue, string>);
// LIME and Kernel SHAP sample superpixel masks alike and share the adaptive stopping rule, whose
// stability is about the top-k set; only the name of the sample budget differs.
type InputFields = Parameters<Parameters<typeof builder.inputType>[1]['fields']>[0];
// The defaults quoted below are LIME's; Kernel SHAP shares them (STABILITY_DEFAULTS in method-defaults.ts).
const sampling = DEFAULTS.lime;
const superpixelSamplingFields = (t: InputFields, budget: 'numSamples' | 'nsamples') => ({
  hide: t.field({ type: HideInput }),
  segmentation: t.field({ type: SegmentationInput }),
  batchSize: t.int(),
  adaptive: t.boolean({ description: `Stop sampling once the top-k set is stable at \`confidence\`; ${budget} is then the maximum` }),
  confidence: t.float({ description: `Adaptive sampling stops when the top-k stability reaches this (default ${sampling.confidence})` }),
  stabilityTopK: t.int({ description: `k of the top-k set whose stability is reported and tested (default ${sampling.stabilityTopK})` }),
  stoppingRule: t.field({ type: StoppingRule, description: `Adaptive sampling's stopping rule (default ${sampling.stoppingRule})` }),
  gainTolerance: t.float({ description: `EXPECTED_GAIN: ε in features of the top-k (default ${sampling.gainTolerance})` }),
});
const LimeInput = builder.inputType('LimeParametersInput', {
  fields: (t) => ({
    numSamples: t.int(),
    numFeatures: t.int(),
    topLabels: t.int(),
    kernelWidth: t.float(),
    featureSelection: t.field({ type: FeatureSelection }),
    maskDesign: t.field({ type: MaskDesign }),
    ...superpixelSamplingFields(t, 'numSamples'),
  }),
});
const KernelShapInput = builder.inputType('KernelShapParametersInput', {
  fields: (t) => ({
    nsamples: t.int({ description: 'Default: 2 × segments + 2048, as the reference' }),
    ...superpixelSamplingFields(t, 'nsamples'),
  }),
});
const PartitionShapInput = builder.inputType('PartitionShapParametersInput', {
  fields: (t) => ({ maxEvals: t.int(), masker: t.field({ type: MaskerInput }), batchSize: t.int() }),
});

export const ParametersInput = builder.inputType('ExplanationParametersInput', {
  description: "Give only the block of the requested method's family",
  fields: (t) => ({
    cam: t.field({ type: CamInput }),
    gradient: t.field({ type: GradientInput }),
    lime: t.field({ type: LimeInput }),
    kernelShap: t.field({ type: KernelShapInput }),
    partitionShap: t.field({ type: PartitionShapInput }),
  }),
});

export const RequestExplanationInput = builder.inputType('RequestExplanationInput', {
  fields: (t) => ({
    image: t.globalID({ for: ImageRef, required: true }),
    model: t.globalID({ for: ModelRef, required: true }),
    method: t.field({ type: ExplanationMethodEnum, required: true }),
    target: t.field({ type: TargetInput }),
    parameters: t.field({ type: ParametersInput }),
    evaluation: t.field({ type: EvaluationInput, description: 'Faithfulness curves and the randomization check, computed with the maps' }),
    seed: t.int({ description: 'Seeds every random choice; the same seed reproduces a result bit for bit' }),
    priority: t.int({ defaultValue: 0, description: 'Higher runs first' }),
    study: t.globalID({ for: StudyRef, description: 'File it under this study (its creator or an admin only); queries and the live feed filter by it' }),
    force: t.boolean({ defaultValue: false, description: 'Run again even if an identical request already succeeded' }),
  }),
});
