// Deletion and insertion curves (Petsiuk et al., RISE): pixels ranked by the explanation map, most
// relevant first (ties by lower pixel index). Deletion replaces the first k_i ranked pixels of the
// image by a fill, insertion puts them back into the fill image, at k_i = round(i·P/N), i = 0..N;
// each curve is the model's probability of the explained class per step and its area (trapezoid
// over the fraction of pixels changed, 0..1). Low deletion AUC and high insertion AUC mean the map
// points at what the model uses.
//
// The 2(N+1) images are composed incrementally (each step changes only the next block of ranked
// pixels) into the perturbation runner's batches; one runner, hence one pair of batch tensors,
// serves every map. The normalized fill image can come from a cache: a study evaluates several
// explanations of the same crop, and its blur would be computed again for each.
import { createHash } from 'node:crypto';
import { EngineError, throwIfAborted } from '../errors.ts';
import type { ModelHandle } from '../explain/types.ts';
import { FAITHFULNESS_FILLS, type FaithfulnessParams } from '../methods.ts';
import { forwardSession, normalizeFloatInto } from '../explain/toolkit.ts';
import { BatchRunner, chooseBatch, modelFileSize } from '../perturb/runner.ts';
import { normalizeInto } from '../preprocess.ts';
import { gaussianFilter } from '../segment/gaussian.ts';
import type { SessionCache } from '../session.ts';
import { specKey, type TensorCache } from '../tensor-cache.ts';
import type { RunControl } from '../types.ts';
import { descendingOrder } from './order.ts';

export { FAITHFULNESS_FILLS, type FaithfulnessFill, type FaithfulnessParams } from '../methods.ts';

export const FAITHFULNESS_DEFAULTS: FaithfulnessParams = { steps: 20, fill: 'BLUR', blurSigma: 5, batchSize: 32 };

export interface Curve {
  /** Fraction of pixels changed at each step (0 … 1). */
  fractions: number[];
  /** Probability of the class at each step. */
  probabilities: number[];
  auc: number;
}

export interface ClassCurves {
  classIndex: number;
  deletion: Curve;
  insertion: Curve;
}

function invalid(message: string): never {
  throw new EngineError('INVALID_ARGUMENT', message);
}

export function checkFaithfulness(p: Partial<FaithfulnessParams>): FaithfulnessParams {
  const out = { ...FAITHFULNESS_DEFAULTS, ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined && v !== null)) } as FaithfulnessParams;
  if (!Number.isInteger(out.steps) || out.steps < 1 || out.steps > 1000) invalid(`faithfulness.steps must be an integer from 1 to 1000, got ${out.steps}`);
  if (!(FAITHFULNESS_FILLS as readonly string[]).includes(out.fill)) invalid(`faithfulness.fill must be BLUR, MEAN or BLACK, got ${out.fill}`);
  if (!Number.isFinite(out.blurSigma) || out.blurSigma <= 0 || out.blurSigma > 100) invalid(`faithfulness.blurSigma must be in (0, 100], got ${out.blurSigma}`);
  if (!Number.isInteger(out.batchSize) || out.batchSize < 1 || out.batchSize > 512) invalid(`faithfulness.batchSize must be an integer from 1 to 512, got ${out.batchSize}`);
  return out;
}

/** Trapezoidal area under y over x. */
export function trapezoid(x: readonly number[], y: readonly number[]): number {
  let a = 0;
  for (let i = 1; i < x.length; i++) a += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return a;
}

/** The fill image (float RGB 0..255, HWC) for a uint8 crop. */
export function fillImage(rgb: Uint8Array, width: number, height: number, p: Pick<FaithfulnessParams, 'fill' | 'blurSigma'>): Float64Array {
  const n = width * height;
  if (p.fill === 'BLACK') return new Float64Array(n * 3);
  if (p.fill === 'BLUR') return gaussianFilter(rgb, width, height, 3, p.blurSigma);
  const mean = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) mean[c] += rgb[i * 3 + c];
  const out = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = mean[c] / n;
  return out;
}

/** Pixel counts changed at each step: round(i·P/N). */
export function stepCounts(pixels: number, steps: number): number[] {
  return Array.from({ length: steps + 1 }, (_, i) => Math.round((i * pixels) / steps));
}

/**
 * The ranked pixels regrouped by step block (block s holds ranks counts[s] … counts[s + 1] − 1), each
 * block in ascending pixel index. An image depends only on which pixels its blocks hold, not on the
 * order they are written in, and index order turns the composing's scattered reads and writes into
 * a forward sweep (by then inference has evicted the images from cache).
 */
export function stepBlocks(order: Uint32Array, counts: readonly number[]): Uint32Array {
  const steps = counts.length - 1;
  const block = new Uint32Array(order.length);
  for (let s = 0; s < steps; s++) for (let r = counts[s]; r < counts[s + 1]; r++) block[order[r]] = s;
  const next = Int32Array.from(counts.slice(0, steps));
  const out = new Uint32Array(order.length);
  for (let p = 0; p < order.length; p++) out[next[block[p]]++] = p;
  return out;
}

/** Normalized fill images by fillKey; whoever owns the engine context owns it. */
export type FillCache = TensorCache<Float32Array>;

/** What determines the normalized fill: the crop's bytes, its size, the fill (σ for BLUR) and the input spec. */
export function fillKey(rgb: Uint8Array, spec: ModelHandle['spec'], p: Pick<FaithfulnessParams, 'fill' | 'blurSigma'>): string {
  const crop = createHash('sha256').update(rgb).digest('hex');
  return [crop, p.fill, p.fill === 'BLUR' ? p.blurSigma : '', specKey(spec)].join('|');
}

export interface FaithfulnessInput {
  model: ModelHandle;
  /** The model's uint8 RGB crop (HWC), as preprocessing makes it. */
  rgb: Uint8Array;
  /** One map per class to evaluate, over the model input grid. */
  maps: { classIndex: number; map: ArrayLike<number> }[];
  /** Where to find or keep the normalized fill image (computed per call without one). */
  fills?: FillCache;
}

/**
 * Deletion and insertion curves of every map: 2(N+1) forward passes per map, batched. Progress is
 * reported as the 'faithfulness' stage (images done / total).
 */
export async function deletionInsertion(sessions: SessionCache, input: FaithfulnessInput, params: FaithfulnessParams, ctl: RunControl = {}): Promise<ClassCurves[]> {
  const { model, rgb, maps, fills } = input;
  const spec = model.spec;
  const P = spec.width * spec.height;
  if (rgb.length !== 3 * P) invalid(`expected the ${spec.width}×${spec.height} crop as ${3 * P} RGB bytes, got ${rgb.length}`);
  for (const m of maps) if (m.map.length !== P) invalid(`the map of class ${m.classIndex} has ${m.map.length} values, the model input ${P}`);
  throwIfAborted(ctl.signal);
  const session = await forwardSession(sessions, model);
  const plan = chooseBatch(session, model, params.batchSize, modelFileSize(model.path));
  const original = new Float32Array(3 * P);
  normalizeInto(rgb, spec, original, 0);
  const makeFill = async () => {
    const f = new Float32Array(3 * P);
    normalizeFloatInto(fillImage(rgb, spec.width, spec.height, params), spec, f, 0);
    return f;
  };
  // Read only below (a cached fill is shared).
  const fill = fills ? await fills.get(fillKey(rgb, spec, params), makeFill) : await makeFill();
  const counts = stepCounts(P, params.steps);
  const fractions = counts.map((k) => k / P);
  const perCurve = params.steps + 1;
  // NCHW: a pixel's three values are planes apart; NHWC: adjacent.
  const [planeStride, pixelStride] = spec.layout === 'NCHW' ? [P, 1] : [1, 3];
  const progress = { done: 0, total: maps.length * 2 * perCurve };
  const out: ClassCurves[] = [];
  const runner = new BatchRunner(session, model, plan, []);
  const work = new Float32Array(3 * P);
  for (const { classIndex, map } of maps) {
    const order = stepBlocks(descendingOrder(map), counts);
    let composed = -1;
    runner.classes = [classIndex];
    const probabilities = new Float64Array(2 * perCurve);
    await runner.run(
      2 * perCurve,
      (i, tensor, offset) => {
        if (i !== composed + 1) throw new Error('faithfulness images must be composed in order');
        composed = i;
        const deletion = i < perCurve;
        const step = deletion ? i : i - perCurve;
        // Step 0 of each curve starts from its base image; later steps change the next block.
        if (step === 0) work.set(deletion ? original : fill);
        const src = deletion ? fill : original;
        for (let r = step === 0 ? 0 : counts[step - 1]; r < counts[step]; r++) {
          const b = order[r] * pixelStride;
          for (let c = 0; c < 3; c++) work[b + c * planeStride] = src[b + c * planeStride];
        }
        tensor.set(work, offset);
      },
      (start, count, probs) => probabilities.set(probs.subarray(0, count), start),
      ctl,
      'faithfulness',
      progress,
    );
    const curve = (from: number): Curve => {
      const y = Array.from(probabilities.subarray(from, from + perCurve));
      return { fractions, probabilities: y, auc: trapezoid(fractions, y) };
    };
    out.push({ classIndex, deletion: curve(0), insertion: curve(perCurve) });
  }
  return out;
}
