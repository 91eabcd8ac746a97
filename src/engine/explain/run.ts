// One explanation end to end inside the engine: explain, evaluate when asked, then render every artifact.
import { renderArtifacts, type RenderedArtifact } from '../render/artifacts.ts';
import { toRgbRaw } from '../preprocess.ts';
import type { RunControl } from '../types.ts';
import { evaluateExplanation, type EvaluationOutput } from './evaluate.ts';
import { explainerFor } from './index.ts';
import type { EngineContext, ExplainRequest, ExplainResult } from './types.ts';

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
  const result = await explain(req, ctl);
  const crop = await toRgbRaw(req.image, req.model.spec, { maxPixels: req.maxPixels });
  const rgb = new Uint8Array(crop.data.buffer, crop.data.byteOffset, crop.data.byteLength);
  const evaluation = req.params.evaluation ? await evaluateExplanation(ctx, req, result, rgb, req.params.evaluation, ctl) : undefined;
  ctl.onProgress?.({ stage: 'render', done: 0, total: 1 });
  const artifacts = await renderArtifacts(result, req.image, rgb, {});
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
