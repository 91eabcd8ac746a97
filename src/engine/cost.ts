// Expected cost of an explanation in model evaluations (a backward pass counts as two forward
// passes), for weighting a study's progress before anything has run. Coarse on purpose: it only has
// to rank a LIME run (a thousand forward passes) far above a Grad-CAM (one forward, one backward).
import { DEFAULTS, type Method, type MethodParameters } from './methods.ts';

/** Forward + backward, in forward passes. */
const GRADIENT_PASS = 3;
/** Score-CAM scores one masked image per channel; a typical last conv layer has about this many. */
const SCORE_CAM_CHANNELS = 512;

export function expectedCost(method: Method, params: MethodParameters): number {
  const classes = params.target.kind === 'CLASSES' ? params.target.classes.length : params.target.k;
  const g = { ...DEFAULTS.gradient, ...params.gradient };
  const augmentations = params.cam?.augSmooth ? 6 : 1;
  switch (method) {
    case 'EIGEN_CAM':
      return augmentations;
    case 'SCORE_CAM':
      return augmentations * (1 + SCORE_CAM_CHANNELS * classes);
    case 'GRAD_CAM':
    case 'GRAD_CAM_PLUS_PLUS':
    case 'XGRAD_CAM':
    case 'HIRES_CAM':
    case 'LAYER_CAM':
      return augmentations * GRADIENT_PASS;
    case 'SALIENCY':
      return GRADIENT_PASS * classes;
    case 'SMOOTH_GRAD':
    case 'GRADIENT_SHAP':
      return GRADIENT_PASS * g.samples * classes;
    case 'INTEGRATED_GRADIENTS':
      return GRADIENT_PASS * g.steps * classes;
    case 'LIME':
      return 1 + (params.lime?.numSamples ?? DEFAULTS.lime.numSamples);
    case 'KERNEL_SHAP':
      // The reference default: 2 × segments + 2048 (about 50 SLIC segments).
      return 1 + (params.kernelShap?.nsamples ?? 2 * 50 + 2048);
    case 'PARTITION_SHAP':
      return 1 + (params.partitionShap?.maxEvals ?? DEFAULTS.partitionShap.maxEvals) * classes;
  }
}
