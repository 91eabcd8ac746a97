// Batched classification: preprocess → one session.run per batch → softmax → top-k.
import ort from 'onnxruntime-node';
import { EngineError, throwIfAborted } from './errors.ts';
import type { ImageSource } from './image.ts';
import { checkLabelCount } from './labels.ts';
import { preprocessInto } from './preprocess.ts';
import type { Session } from './session.ts';
import type { ClassLabel, ClassScore, InputSpec, OutputKind, RunControl } from './types.ts';

export const DEFAULT_MAX_BATCH = 32;

export interface PredictOptions extends RunControl {
  topK: number;
  /** Labels in output order; "class i" names when absent. */
  labels?: readonly ClassLabel[] | null;
  outputKind: OutputKind;
  maxBatch?: number;
  maxPixels?: number;
}

export interface PredictResult {
  /** Per image, the top-k classes by probability, best first. */
  results: ClassScore[][];
  /** Time inside session.run only. */
  latencyMs: number;
  /** Wall time spent decoding and preprocessing. */
  preprocessMs: number;
}

/** Numerically stable softmax with float64 accumulation. */
export function softmax(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (values[i] > max) max = values[i];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += out[i] = Math.exp(values[i] - max);
  for (let i = 0; i < n; i++) out[i] /= sum;
  return out;
}

/** Indices of the k largest values, largest first (ties: lower index first). O(n·k) partial selection. */
export function topK(values: ArrayLike<number>, k: number): number[] {
  const n = values.length;
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new EngineError('INVALID_ARGUMENT', `topK must be an integer in 1..${n}, got ${k}`);
  }
  const best: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (best.length === k && !(v > values[best[k - 1]])) continue;
    let j = best.length === k ? k - 1 : best.length;
    while (j > 0 && v > values[best[j - 1]]) {
      best[j] = best[j - 1];
      j--;
    }
    best[j] = i;
  }
  return best;
}

/** A fixed dimension of a named input/output, or null when dynamic/unknown. */
function fixedDim(list: readonly ort.InferenceSession.ValueMetadata[], name: string, axis: number): number | null {
  const m = list.find((x) => x.name === name);
  const d = m?.isTensor ? m.shape[axis] : undefined;
  return typeof d === 'number' && d > 0 ? d : null;
}

export async function predict(
  session: Session,
  spec: InputSpec,
  images: readonly (ImageSource | Float32Array)[],
  opts: PredictOptions,
): Promise<PredictResult> {
  if (!Number.isInteger(opts.topK) || opts.topK < 1) {
    throw new EngineError('INVALID_ARGUMENT', `topK must be a positive integer, got ${opts.topK}`);
  }
  // Validate against the static class count up front, so bad requests fail before any work.
  const staticClasses = fixedDim(session.outputMetadata, spec.outputName, 1);
  if (staticClasses !== null) {
    if (opts.topK > staticClasses) {
      throw new EngineError('INVALID_ARGUMENT', `topK must be in 1..${staticClasses}, got ${opts.topK}`);
    }
    if (opts.labels) checkLabelCount(opts.labels, staticClasses);
  }
  // A fixed batch dimension (often 1) is run chunk by chunk, zero-padding the last chunk.
  const fixed = fixedDim(session.inputMetadata, spec.inputName, 0);
  const batch = fixed ?? Math.max(1, opts.maxBatch ?? DEFAULT_MAX_BATCH);
  const per = 3 * spec.width * spec.height;
  const shape = spec.layout === 'NCHW' ? [3, spec.height, spec.width] : [spec.height, spec.width, 3];
  const results: ClassScore[][] = [];
  let latencyMs = 0;
  let preprocessMs = 0;

  for (let start = 0; start < images.length; start += batch) {
    throwIfAborted(opts.signal);
    const chunk = images.slice(start, start + batch);
    const t0 = performance.now();
    const rows = fixed ?? chunk.length;
    const target = new Float32Array(rows * per);
    // Already-preprocessed tensors (from a cache) are copied in; images are decoded in place.
    await Promise.all(
      chunk.map((c, i) =>
        c instanceof Float32Array ? target.set(c, i * per) : preprocessInto(c, spec, target, i * per, { maxPixels: opts.maxPixels }),
      ),
    );
    preprocessMs += performance.now() - t0;
    throwIfAborted(opts.signal);

    const t1 = performance.now();
    const outputs = await runOrFail(session, spec, new ort.Tensor('float32', target, [rows, ...shape]));
    latencyMs += performance.now() - t1;

    const out = outputs.data as Float32Array | Float64Array;
    const numClasses = out.length / rows;
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new EngineError('UNSUPPORTED_MODEL', `output '${spec.outputName}' does not split into ${rows} rows`);
    }
    if (opts.labels) checkLabelCount(opts.labels, numClasses);
    for (let i = 0; i < chunk.length; i++) {
      results.push(scoreRow(out.subarray(i * numClasses, (i + 1) * numClasses), opts));
    }
    opts.onProgress?.({ stage: 'predict', done: results.length, total: images.length });
  }
  return { results, latencyMs, preprocessMs };
}

async function runOrFail(session: Session, spec: InputSpec, input: ort.Tensor): Promise<ort.Tensor> {
  let out: ort.InferenceSession.ReturnType;
  try {
    out = await session.run({ [spec.inputName]: input }, [spec.outputName]);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new EngineError('UNSUPPORTED_MODEL', `inference failed: ${msg}`, { cause: msg });
  }
  const t = out[spec.outputName];
  if (!t || (t.type !== 'float32' && t.type !== 'float64')) {
    throw new EngineError('UNSUPPORTED_MODEL', `output '${spec.outputName}' is not a float tensor`);
  }
  return t;
}

function scoreRow(row: Float32Array | Float64Array, opts: PredictOptions): ClassScore[] {
  const logits = opts.outputKind === 'LOGITS';
  const probs: ArrayLike<number> = logits ? softmax(row) : row;
  return topK(probs, opts.topK).map((index) => {
    const l = opts.labels?.[index];
    return {
      index,
      label: l?.label ?? `class ${index}`,
      synset: l?.synset ?? null,
      probability: probs[index],
      logit: logits ? row[index] : null,
    };
  });
}
