import { EngineError } from '../errors.ts';
import type { ExplainRequest, ExplainResult } from '../explain/types.ts';
import type { SessionCache } from '../session.ts';
import type { RunControl } from '../types.ts';
export async function explainKernelShapWith(_s: SessionCache, _r: ExplainRequest, _c: RunControl): Promise<ExplainResult> {
  throw new EngineError('NOT_IMPLEMENTED', 'KERNEL_SHAP');
}
