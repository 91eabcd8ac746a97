// Perturbation explainers: LIME, Kernel SHAP and Partition SHAP (see the per-method modules).
import { EngineError } from '../errors.ts';
import type { EngineContext } from '../explain/context.ts';
import type { Explainer, ExplainRequest, ExplainResult } from '../explain/types.ts';
import type { Method, MethodOf } from '../methods.ts';
import type { SessionCache } from '../session.ts';
import type { RunControl } from '../types.ts';
import { explainKernelShapWith } from './kernel-shap.ts';
import { explainLimeWith } from './lime.ts';
import { explainPartitionShapWith } from './partition-shap.ts';

export { chooseBatch, BatchRunner } from './runner.ts';

type Run = (sessions: SessionCache, req: ExplainRequest, ctl: RunControl) => Promise<ExplainResult>;

const RUNS: Record<MethodOf<'PERTURBATION'>, Run> = {
  LIME: explainLimeWith,
  KERNEL_SHAP: explainKernelShapWith,
  PARTITION_SHAP: explainPartitionShapWith,
};

/** The perturbation methods need only the forward sessions. */
export function perturbExplainer(ctx: Pick<EngineContext, 'sessions'>, method: Method): Explainer {
  const run = RUNS[method as MethodOf<'PERTURBATION'>];
  if (!run) throw new EngineError('INVALID_ARGUMENT', `${method} is not a perturbation method`);
  return (req, ctl) => run(ctx.sessions, req, ctl);
}

export interface PerturbExplainers {
  explainLime: Explainer;
  explainKernelShap: Explainer;
  explainPartitionShap: Explainer;
}

/** The three explainers over one engine context. */
export function createPerturbExplainers(ctx: Pick<EngineContext, 'sessions'>): PerturbExplainers {
  return {
    explainLime: perturbExplainer(ctx, 'LIME'),
    explainKernelShap: perturbExplainer(ctx, 'KERNEL_SHAP'),
    explainPartitionShap: perturbExplainer(ctx, 'PARTITION_SHAP'),
  };
}
