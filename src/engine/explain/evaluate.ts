// Faithfulness and sanity metrics of one explanation, computed in the same run as the maps (the
// session is warm and the maps are in memory): deletion/insertion curves for every explained class,
// and optionally the model-parameter randomization check.
import { EngineError } from '../errors.ts';
import type { EvaluationParams, FaithfulnessParams, RandomizationParams } from '../methods.ts';
import { checkFaithfulness, deletionInsertion, type ClassCurves } from '../metrics/faithfulness.ts';
import { checkRandomization, randomizationCheck, type RandomizationResult } from '../metrics/randomization.ts';
import type { RunControl } from '../types.ts';
import type { EngineContext } from './context.ts';
import type { ExplainRequest, ExplainResult } from './types.ts';

export interface EvaluationOutput {
  faithfulness?: { params: FaithfulnessParams; curves: ClassCurves[] };
  randomization?: RandomizationResult;
}

/**
 * Validates and completes an evaluation request (defaults filled in); null when nothing is asked.
 * Randomization needs faithfulness' company no more than the reverse: either may be given alone.
 */
export function normalizeEvaluation(raw: { faithfulness?: object | null; randomization?: object | null } | null | undefined): EvaluationParams | null {
  if (!raw) return null;
  const out: EvaluationParams = {};
  if (raw.faithfulness) out.faithfulness = checkFaithfulness(raw.faithfulness as Partial<FaithfulnessParams>);
  if (raw.randomization) out.randomization = checkRandomization(raw.randomization as Partial<RandomizationParams>);
  return out.faithfulness || out.randomization ? out : null;
}

export async function evaluateExplanation(
  ctx: EngineContext,
  req: ExplainRequest,
  result: ExplainResult,
  rgb: Uint8Array,
  params: EvaluationParams,
  ctl: RunControl,
): Promise<EvaluationOutput> {
  const out: EvaluationOutput = {};
  if (params.faithfulness) {
    for (const a of result.attributions) {
      if (a.width !== req.model.spec.width || a.height !== req.model.spec.height) {
        throw new EngineError('INVALID_ARGUMENT', `faithfulness needs maps over the model input (${req.model.spec.width}×${req.model.spec.height}), got ${a.width}×${a.height}`);
      }
    }
    const maps = result.attributions.map((a) => ({ classIndex: a.classIndex, map: a.map }));
    out.faithfulness = { params: params.faithfulness, curves: await deletionInsertion(ctx.sessions, { model: req.model, rgb, maps, fills: ctx.fills }, params.faithfulness, ctl) };
  }
  if (params.randomization) out.randomization = await randomizationCheck(ctx, req, result, params.randomization, ctl);
  return out;
}
