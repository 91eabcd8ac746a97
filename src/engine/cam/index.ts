// CAM explainers (Grad-CAM, Grad-CAM++, XGrad-CAM, HiRes-CAM, LayerCAM, Eigen-CAM, Score-CAM):
// the variants are rows of the method registry (formulas in variants/), run by core.ts.
import { EngineError } from '../errors.ts';
import type { EngineContext, Explainer } from '../explain/types.ts';
import { methodFamily, methodsOf, type Method, type MethodOf } from '../methods.ts';
import { explainCam, type CamOptions } from './core.ts';

export { AUG_SMOOTH, explainCam, explainCamGroup, finishCam, type Augmentation, type CamMethod, type CamOptions } from './core.ts';
export { firstComponentProjection, resizeBilinear } from './maps.ts';
export { modelFacts, releaseDecoded, type ModelFacts } from './model.ts';

export const CAM_EXPLAINER_METHODS: readonly MethodOf<'CAM'>[] = methodsOf('CAM');

export function camExplainer(ctx: EngineContext, method: Method, opts: CamOptions = {}): Explainer {
  if (methodFamily(method) !== 'CAM') throw new EngineError('INVALID_ARGUMENT', `${method} is not a CAM method`);
  return (req, ctl) => explainCam(ctx, method as MethodOf<'CAM'>, req, ctl, opts);
}

/** One explainer per CAM method, sharing ctx.sessions (forward, backward and activation models). */
export function createCamExplainers(ctx: EngineContext, opts: CamOptions = {}): Partial<Record<Method, Explainer>> {
  return Object.fromEntries(CAM_EXPLAINER_METHODS.map((m) => [m, camExplainer(ctx, m, opts)]));
}
