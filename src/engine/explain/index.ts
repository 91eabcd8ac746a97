// Method → explainer dispatch. A method without an explainer in this build fails its job with a
// clear NOT_IMPLEMENTED error rather than pretending to run.
import { EngineError } from '../errors.js';
import type { Method } from '../methods.js';
import type { SessionCache } from '../session.js';
import type { Explainer } from './types.js';

/** What explainers share inside one process (or worker thread): loaded onnxruntime sessions. */
export interface EngineContext {
  sessions: SessionCache;
}

type Loader = (ctx: EngineContext) => Promise<Explainer>;

// Explainer modules are imported on first use so a worker only loads what its jobs need.
const perturb = async (ctx: EngineContext) => (await import('../perturb/index.js')).createPerturbExplainers(ctx.sessions);

const LOADERS: Partial<Record<Method, Loader>> = {
  LIME: async (ctx) => (await perturb(ctx)).explainLime,
  KERNEL_SHAP: async (ctx) => (await perturb(ctx)).explainKernelShap,
  PARTITION_SHAP: async (ctx) => (await perturb(ctx)).explainPartitionShap,
  GRAD_CAM: async (ctx) => (await import('../cam/index.js')).createCamExplainers(ctx).GRAD_CAM!,
  GRAD_CAM_PLUS_PLUS: async (ctx) => (await import('../cam/index.js')).createCamExplainers(ctx).GRAD_CAM_PLUS_PLUS!,
  XGRAD_CAM: async (ctx) => (await import('../cam/index.js')).createCamExplainers(ctx).XGRAD_CAM!,
  HIRES_CAM: async (ctx) => (await import('../cam/index.js')).createCamExplainers(ctx).HIRES_CAM!,
  LAYER_CAM: async (ctx) => (await import('../cam/index.js')).createCamExplainers(ctx).LAYER_CAM!,
  EIGEN_CAM: async (ctx) => (await import('../cam/index.js')).createCamExplainers(ctx).EIGEN_CAM!,
  SCORE_CAM: async (ctx) => (await import('../cam/index.js')).createCamExplainers(ctx).SCORE_CAM!,
  SALIENCY: async (ctx) => (await import('../attrib/index.js')).createGradientExplainers(ctx).SALIENCY!,
  SMOOTH_GRAD: async (ctx) => (await import('../attrib/index.js')).createGradientExplainers(ctx).SMOOTH_GRAD!,
  INTEGRATED_GRADIENTS: async (ctx) => (await import('../attrib/index.js')).createGradientExplainers(ctx).INTEGRATED_GRADIENTS!,
  GRADIENT_SHAP: async (ctx) => (await import('../attrib/index.js')).createGradientExplainers(ctx).GRADIENT_SHAP!,
};

export async function explainerFor(method: Method, ctx: EngineContext): Promise<Explainer> {
  const load = LOADERS[method];
  if (!load) throw new EngineError('NOT_IMPLEMENTED', `${method} is not available in this version of xai-lab yet`);
  return load(ctx);
}

export function availableMethods(): Method[] {
  return Object.keys(LOADERS) as Method[];
}
