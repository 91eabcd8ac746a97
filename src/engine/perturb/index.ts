// Perturbation explainers: LIME, Kernel SHAP and Partition SHAP (see the per-method modules).
import type { Explainer } from '../explain/types.ts';
import { SessionCache } from '../session.ts';
import { explainKernelShapWith } from './kernel-shap.ts';
import { explainLimeWith } from './lime.ts';
import { explainPartitionShapWith } from './partition-shap.ts';

export { chooseBatch, BatchRunner } from './runner.ts';

export interface PerturbExplainers {
  explainLime: Explainer;
  explainKernelShap: Explainer;
  explainPartitionShap: Explainer;
}

/** The three explainers over a shared session cache (the engine's, normally). */
export function createPerturbExplainers(sessions: SessionCache): PerturbExplainers {
  return {
    explainLime: (req, ctl) => explainLimeWith(sessions, req, ctl),
    explainKernelShap: (req, ctl) => explainKernelShapWith(sessions, req, ctl),
    explainPartitionShap: (req, ctl) => explainPartitionShapWith(sessions, req, ctl),
  };
}

/** Module-level cache for callers without an engine context. */
export const perturbSessions = new SessionCache();
const standalone = createPerturbExplainers(perturbSessions);
export const explainLime: Explainer = standalone.explainLime;
export const explainKernelShap: Explainer = standalone.explainKernelShap;
export const explainPartitionShap: Explainer = standalone.explainPartitionShap;
