// Input-gradient explainers (Saliency, SmoothGrad, Integrated Gradients, Gradient SHAP): see core.ts.
import type { EngineContext } from '../explain/index.ts';
import type { Explainer } from '../explain/types.ts';
import type { Method } from '../methods.ts';
import { explainGradient, type GradientMethod, type GradientOptions } from './core.ts';

export { baselineImage, explainGradient, gaussLegendre, trapezoid, type GradientMethod, type GradientOptions } from './core.ts';

export const GRADIENT_EXPLAINER_METHODS: readonly GradientMethod[] = ['SALIENCY', 'SMOOTH_GRAD', 'INTEGRATED_GRADIENTS', 'GRADIENT_SHAP'];

/** One explainer per input-gradient method, sharing ctx.sessions; `opts` apply to every request. */
export function createGradientExplainers(ctx: EngineContext, opts: GradientOptions = {}): Partial<Record<Method, Explainer>> {
  const out: Partial<Record<Method, Explainer>> = {};
  for (const m of GRADIENT_EXPLAINER_METHODS) out[m] = (req, ctl) => explainGradient(ctx, m, req, ctl, opts);
  return out;
}
