// CAM explainers (Grad-CAM, Grad-CAM++, XGrad-CAM, HiRes-CAM, LayerCAM, Eigen-CAM, Score-CAM)
// over one core: see core.ts.
import type { EngineContext } from '../explain/index.ts';
import type { Explainer } from '../explain/types.ts';
import type { Method } from '../methods.ts';
import { explainCam, type CamMethod, type CamOptions } from './core.ts';

export { AUG_SMOOTH, explainCam, explainCamGroup, finishCam, type Augmentation, type CamMethod, type CamOptions } from './core.ts';
export { firstComponentProjection, resizeBilinear } from './maps.ts';
export { modelFacts, releaseDecoded, type ModelFacts } from './model.ts';

export const CAM_EXPLAINER_METHODS: readonly CamMethod[] = ['GRAD_CAM', 'GRAD_CAM_PLUS_PLUS', 'XGRAD_CAM', 'HIRES_CAM', 'LAYER_CAM', 'EIGEN_CAM', 'SCORE_CAM'];

/** One explainer per CAM method, sharing ctx.sessions (forward, backward and activation models). */
export function createCamExplainers(ctx: EngineContext, opts: CamOptions = {}): Partial<Record<Method, Explainer>> {
  const out: Partial<Record<Method, Explainer>> = {};
  for (const m of CAM_EXPLAINER_METHODS) out[m] = (req, ctl) => explainCam(ctx, m, req, ctl, opts);
  return out;
}
