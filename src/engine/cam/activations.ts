// The target layer's activations (and the logits) of the augmented images, from one forward pass
// through the activation model — shared by every CAM method of a group.
import { EngineError, throwIfAborted } from '../errors.ts';
import type { EngineContext } from '../explain/context.ts';
import { fixedBatch, floatData, runRows, type ImageInput } from '../explain/toolkit.ts';
import type { ExplainRequest } from '../explain/types.ts';
import type { RunControl } from '../types.ts';
import { augmentInto, type Augmentation } from './augment.ts';

export interface Activations {
  acts: Float32Array[];
  logits: Float32Array[];
  K: number;
  h: number;
  w: number;
  activationName: string;
}

/** [K, h, w] of a layer's [N, K, h, w] output, or INVALID_ARGUMENT for other ranks. */
export function checkActivation(shape: readonly number[], layer: string): [number, number, number] {
  if (shape.length !== 4) {
    throw new EngineError('INVALID_ARGUMENT', `target layer '${layer}' has shape [${shape.join(', ')}]; CAM methods need a 4-D [N, C, H, W] feature map`);
  }
  return [shape[1], shape[2], shape[3]];
}

/** Batch size for one run: the request's, bounded by a fixed batch dimension of the graph. */
export function rowsPerRun(requested: number, fixed: number | null): number {
  return fixed ?? Math.max(1, requested);
}

/** Activations (and logits) of the augmented images through the activation model, chunked. */
export async function activationsOf(
  ctx: EngineContext,
  req: ExplainRequest,
  img: ImageInput,
  layer: string,
  augs: readonly Augmentation[],
  batchSize: number,
  ctl: RunControl,
): Promise<Activations> {
  const facts = await ctx.models.modelFacts(req.model);
  const am = await ctx.models.activationModel(req.model, layer, facts);
  const B = rowsPerRun(batchSize, fixedBatch(am.session, am.inputName));
  const acts: Float32Array[] = [];
  const logits: Float32Array[] = [];
  let dims: number[] = [];
  const buf = new Float32Array(Math.min(B, augs.length) * img.per);
  for (let start = 0; start < augs.length; start += B) {
    throwIfAborted(ctl.signal);
    const chunk = augs.slice(start, start + B);
    chunk.forEach((a, j) => augmentInto(img, a, buf, j * img.per));
    const out = await runRows(am.session, img.spec, am.inputName, buf, chunk.length, [am.outputName, am.activation]);
    const A = floatData(out[am.activation], am.activation);
    const L = floatData(out[am.outputName], am.outputName);
    dims = [...out[am.activation].dims];
    checkActivation(dims, layer);
    const per = dims[1] * dims[2] * dims[3];
    const C = L.length / out[am.outputName].dims[0];
    chunk.forEach((_, j) => {
      acts.push(A.slice(j * per, (j + 1) * per));
      logits.push(L.slice(j * C, (j + 1) * C));
    });
  }
  return { acts, logits, K: dims[1], h: dims[2], w: dims[3], activationName: am.activation };
}

/** Activations of the augmented images per layer, computed at most once per group. */
export type ActivationMemo = (layer: string) => Promise<Activations>;

/** What one CAM method computed for one request, before it becomes attributions. */
export interface CamRun {
  classes: number[];
  probs: Float64Array;
  scores: Float64Array;
  maps: Float32Array[];
  rawMax: number[];
  layer: string;
  activationShape: number[];
  summary: Record<string, unknown>;
}
