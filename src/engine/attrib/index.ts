// Input-gradient explainers (Saliency, SmoothGrad, Integrated Gradients, Gradient SHAP): see core.ts.
import { EngineError } from '../errors.ts';
import type { EngineContext } from '../explain/context.ts';
import type { Explainer } from '../explain/types.ts';
import { methodFamily, methodsOf, type Method, type MethodOf } from '../methods.ts';
import { explainGradient, type GradientOptions } from './core.ts';

export { baselineImage, explainGradient, gaussLegendre, trapezoid, type GradientMethod, type GradientOptions } from './core.ts';

export const GRADIENT_EXPLAINER_METHODS: readonly MethodOf<'GRADIENT'>[] = methodsOf('GRADIENT');

export function gradientExplainer(ctx: EngineContext, method: Method, opts: GradientOptions = {}): Explainer {
  if (methodFamily(method) !== 'GRADIENT') throw new EngineError('INVALID_ARGUMENT', `${method} is not an input-gradient method`);
  return (req, ctl) => explainGradient(ctx, method as MethodOf<'GRADIENT'>, req, ctl, opts);
}

/** One explainer per input-gradient method, sharing ctx.sessions; `opts` apply to every request. */
export function createGradientExplainers(ctx: EngineContext, opts: GradientOptions = {}): Partial<Record<Method, Explainer>> {
  return Object.fromEntries(GRADIENT_EXPLAINER_METHODS.map((m) => [m, gradientExplainer(ctx, m, opts)]));
}
