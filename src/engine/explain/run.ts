// One explanation end to end inside the engine: explain, evaluate when asked, then render every artifact.
import { renderArtifacts, type RenderedArtifact } from '../render/artifacts.ts';
import { toRgbRaw } from '../preprocess.ts';
import type { RunControl } from '../types.ts';
import { evaluateExplanation, type EvaluationOutput } from './evaluate.ts';
import { explainerFor } from './index.ts';
import type { EngineContext } from './context.ts';
import type { DecodedView, ExplainRequest, ExplainResult } from './types.ts';
import type { CamMethod } from '../cam/index.ts';

export interface ExplanationOutput {
  summary: Record<string, unknown>;
  /** Per explained class, as the seeds caption their figures: "grad_cam on n03445924 golfcart". */
  caption: string;
  targetClasses: number[];
  artifacts: RenderedArtifact[];
  /** Faithfulness curves and the randomization check, when the request's parameters ask for them. */
  evaluation?: EvaluationOutput;
}

export function captionOf(result: ExplainResult, labels: ExplainRequest['model']['labels']): string {
  return result.attributions
    .map((a) => {
      const synset = labels[a.classIndex]?.synset;
      return `${result.method.toLowerCase()} on ${synset ? `${synset} ` : ''}${a.label}`;
    })
    .join('; ');
}

export async function runExplanation(req: ExplainRequest, ctx: EngineContext, ctl: RunControl): Promise<ExplanationOutput> {
  const explain = await explainerFor(req.method, ctx);
  return finish(req, await explain(req, ctl), ctx, ctl);
}

/**
 * Several CAM methods on one request (they differ only in the method): one decode, one forward and
 * one backward pass (explainCamGroup), then each result evaluated and rendered as if run alone.
 * Outputs are in `methods` order.
 */
export async function runExplanationGroup(req: ExplainRequest, methods: readonly CamMethod[], ctx: EngineContext, ctl: RunControl): Promise<ExplanationOutput[]> {
  const { explainCamGroup } = await import('../cam/index.ts');
  const results = await explainCamGroup(ctx, methods, req, ctl);
  const outputs: ExplanationOutput[] = [];
  for (const [k, result] of results.entries()) outputs.push(await finish({ ...req, method: methods[k] }, result, ctx, ctl));
  return outputs;
}

async function finish(req: ExplainRequest, result: ExplainResult, ctx: EngineContext, ctl: RunControl): Promise<ExplanationOutput> {
  // The explainer's decode travels with its result; decode here only for a result without it.
  const view = result.view ?? (await decodedView(req));
  const rgb = view.crop;
  const evaluation = req.params.evaluation ? await evaluateExplanation(ctx, req, result, rgb, req.params.evaluation, ctl) : undefined;
  ctl.onProgress?.({ stage: 'render', done: 0, total: 1 });
  const artifacts = await renderArtifacts(result, view.original, rgb, {});
  ctl.onProgress?.({ stage: 'render', done: 1, total: 1 });
  return {
    summary: {
      ...result.summary,
      classes: result.attributions.map((a) => ({ index: a.classIndex, label: a.label, probability: a.probability, ...a.metrics })),
    },
    caption: captionOf(result, req.model.labels),
    targetClasses: result.attributions.map((a) => a.classIndex),
    artifacts,
    ...(evaluation ? { evaluation } : {}),
  };
}

async function decodedView(req: ExplainRequest): Promise<DecodedView> {
  const crop = await toRgbRaw(req.image, req.model.spec, { maxPixels: req.maxPixels });
  return { crop: new Uint8Array(crop.data.buffer, crop.data.byteOffset, crop.data.byteLength), original: crop.original };
}
