// CAM explainers (Grad-CAM, Grad-CAM++, XGrad-CAM, HiRes-CAM, LayerCAM, Eigen-CAM, Score-CAM):
// the variants are rows of the method registry (formulas in variants/), run by core.ts.
import { EngineError } from '../errors.ts';
import type { EngineContext } from '../explain/context.ts';
import type { Explainer } from '../explain/types.ts';
import { methodFamily, methodsOf, type Method, type MethodOf } from '../methods.ts';
import { explainCam } from './core.ts';
import type { CamOptions } from './formula.ts';

export { AUG_SMOOTH, type Augmentation } from './augment.ts';
export { explainCam, explainCamGroup, type CamMethod } from './core.ts';
export type { CamOptions } from './formula.ts';
export { finishCam, resizeBilinear } from './maps.ts';
export { firstComponentProjection } from './projection.ts';

export const CAM_EXPLAINER_METHODS: readonly MethodOf<'CAM'>[] = methodsOf('CAM');

export function camExplainer(ctx: EngineContext, method: Method, opts: CamOptions = {}): Explainer {
  if (methodFamily(method) !== 'CAM') throw new EngineError('INVALID_ARGUMENT', `${method} is not a CAM method`);
  return (req, ctl) => explainCam(ctx, method as MethodOf<'CAM'>, req, ctl, opts);
}

/** One explainer per CAM method, sharing the context's sessions and models (forward, backward and activation models). */
export function createCamExplainers(ctx: EngineContext, opts: CamOptions = {}): Partial<Record<Method, Explainer>> {
  return Object.fromEntries(CAM_EXPLAINER_METHODS.map((m) => [m, camExplainer(ctx, m, opts)]));
}
