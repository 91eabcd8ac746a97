// Method → explainer, derived from the registry (engine/methods.ts): each family's module is
// imported on first use, so a worker loads only what its jobs need, and makes the explainer of any
// method of its family. The loaders are per family rather than per registry row because the
// explainer modules import the registry (defaults, the Method type): a registry importing them
// back would close an import circle.
import { methodInfo, METHODS, type Method, type MethodFamily } from '../methods.ts';
import type { EngineContext } from './context.ts';
import type { Explainer } from './types.ts';

type FamilyLoader = (ctx: EngineContext, method: Method) => Promise<Explainer>;

const FAMILY_LOADERS: Record<MethodFamily, FamilyLoader> = {
  CAM: async (ctx, m) => (await import('../cam/index.ts')).camExplainer(ctx, m),
  GRADIENT: async (ctx, m) => (await import('../attrib/index.ts')).gradientExplainer(ctx, m),
  PERTURBATION: async (ctx, m) => (await import('../perturb/index.ts')).perturbExplainer(ctx, m),
};

export async function explainerFor(method: Method, ctx: EngineContext): Promise<Explainer> {
  return FAMILY_LOADERS[methodInfo(method).family](ctx, method);
}

export function availableMethods(): Method[] {
  return [...METHODS];
}
