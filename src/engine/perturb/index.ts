// Perturbation explainers: LIME, Kernel SHAP and Partition SHAP (see the per-method modules).
import { EngineError } from '../errors.ts';
import type { EngineContext } from '../explain/context.ts';
import type { Explainer, ExplainRequest, ExplainResult } from '../explain/types.ts';
import type { Method, MethodOf } from '../methods.ts';
import type { RunControl } from '../types.ts';
import { explainKernelShapWith } from './kernel-shap.ts';
import { explainLimeWith } from './lime.ts';
import { explainPartitionShapWith } from './partition-shap.ts';
import type { PerturbContext } from './prepare.ts';

export { chooseBatch, BatchRunner } from './runner.ts';

type Run = (ctx: PerturbContext, req: ExplainRequest, ctl: RunControl) => Promise<ExplainResult>;

const RUNS: Record<MethodOf<'PERTURBATION'>, Run> = {
  LIME: explainLimeWith,
  KERNEL_SHAP: explainKernelShapWith,
  PARTITION_SHAP: explainPartitionShapWith,
};

/** The perturbation methods need the forward sessions and, when the context has them, its shared inputs. */
export function perturbExplainer(ctx: Pick<EngineContext, 'sessions'> & Partial<Pick<EngineContext, 'inputs'>>, method: Method): Explainer {
  const run = RUNS[method as MethodOf<'PERTURBATION'>];
  if (!run) throw new EngineError('INVALID_ARGUMENT', `${method} is not a perturbation method`);
  return (req, ctl) => run(ctx, req, ctl);
}

export interface PerturbExplainers {
  explainLime: Explainer;
  explainKernelShap: Explainer;
  explainPartitionShap: Explainer;
}

/** The three explainers over one engine context. */
export function createPerturbExplainers(ctx: Pick<EngineContext, 'sessions'> & Partial<Pick<EngineContext, 'inputs'>>): PerturbExplainers {
  return {
    explainLime: perturbExplainer(ctx, 'LIME'),
    explainKernelShap: perturbExplainer(ctx, 'KERNEL_SHAP'),
    explainPartitionShap: perturbExplainer(ctx, 'PARTITION_SHAP'),
  };
}
