// Expected cost of an explanation in model evaluations (a backward pass counts as two forward
// passes), for weighting a study's progress before anything has run. Coarse on purpose: it only has
// to rank a LIME run (a thousand forward passes) far above a Grad-CAM (one forward, one backward).
import { isGradientFormula } from './cam/formula.ts';
import { blockParams, DEFAULTS, methodInfo, type Method, type MethodParameters } from './methods.ts';

/** Forward + backward, in forward passes. */
const GRADIENT_PASS = 3;

export function expectedCost(method: Method, params: MethodParameters): number {
  const classes = params.target.kind === 'CLASSES' ? params.target.classes.length : params.target.k;
  const g = blockParams(params, 'gradient');
  const augmentations = params.cam?.augSmooth ? 6 : 1;
  // CAM variants: one backward run, or what the variant says it spends per augmented image.
  const cam = methodInfo(method).cam;
  if (cam) return augmentations * (isGradientFormula(cam) ? GRADIENT_PASS : (cam.expectedPasses?.(classes) ?? 1));
  switch (method) {
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
  return 1;
}
