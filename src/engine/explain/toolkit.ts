// The explainer toolkit: request plumbing shared by the CAM, input-gradient and perturbation
// explainers — the forward session, batch facts, the model's view of the image, normalization,
// target resolution, probabilities, batched forward passes and attribution records.
import ort from 'onnxruntime-node';
import { EngineError, throwIfAborted } from '../errors.ts';
import type { Attribution, DecodedView, ExplainRequest, ModelHandle } from './types.ts';
import type { Target } from '../methods.ts';
import { softmax, topK } from '../predict.ts';
import { channelNormalizer, normalizeInto, toRgbRaw, type CropGeometry } from '../preprocess.ts';
import type { Session, SessionCache } from '../session.ts';
import type { InputSpec, RunControl } from '../types.ts';

export interface ImageInput {
  spec: InputSpec;
  width: number;
  height: number;
  /** Values per image (3·H·W). */
  per: number;
  /** Normalized input, one image, in the spec's layout. */
  input: Float32Array;
  /** The uint8 RGB crop (HWC). */
  rgb: Uint8Array;
  geometry: CropGeometry;
  /** The crop and the decoded original, handed on with the result to rendering. */
  view: DecodedView;
}

export async function loadImage(req: ExplainRequest, ctl: RunControl): Promise<ImageInput> {
  throwIfAborted(ctl.signal);
  const spec = req.model.spec;
  const crop = await toRgbRaw(req.image, spec, { maxPixels: req.maxPixels });
  const rgb = new Uint8Array(crop.data.buffer, crop.data.byteOffset, crop.data.byteLength);
  const per = 3 * spec.width * spec.height;
  const input = new Float32Array(per);
  normalizeInto(rgb, spec, input, 0);
  throwIfAborted(ctl.signal);
  return { spec, width: spec.width, height: spec.height, per, input, rgb, geometry: crop.geometry, view: { crop: rgb, original: crop.original } };
}

/** [n, 3, H, W] or [n, H, W, 3]. */
export function batchDims(spec: InputSpec, n: number): number[] {
  return spec.layout === 'NCHW' ? [n, 3, spec.height, spec.width] : [n, spec.height, spec.width, 3];
}

/** Probabilities from one output row (softmax of logits, or the row itself). */
export function probabilitiesOf(row: ArrayLike<number>, model: ModelHandle): Float64Array {
  return model.outputKind === 'LOGITS' ? softmax(row) : Float64Array.from(row as ArrayLike<number>);
}

/** The classes to explain: the top k of `probs`, or the requested ones checked against the class count. */
export function resolveTargets(target: Target, probs: ArrayLike<number>): number[] {
  if (target.kind === 'TOP') return topK(probs, Math.min(Math.max(1, target.k), probs.length));
  for (const c of target.classes) {
    if (!Number.isInteger(c) || c < 0 || c >= probs.length) {
      throw new EngineError('INVALID_ARGUMENT', `target class ${c} is outside 0..${probs.length - 1}`);
    }
  }
  return [...new Set(target.classes)];
}

/** The plain forward session of a model (shared by prediction and every explainer), keyed by its hash. */
export function forwardSession(sessions: SessionCache, model: ModelHandle): Promise<Session> {
  return sessions.get(model.key, () => model.path);
}

/** Float RGB values (0..255, HWC) normalized into the model's layout: normalizeInto without the uint8 rounding. */
export function normalizeFloatInto(rgb: ArrayLike<number>, spec: InputSpec, target: Float32Array, offset = 0): void {
  const n = spec.width * spec.height;
  const src = spec.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  for (let k = 0; k < 3; k++) {
    const c = src[k];
    const norm = channelNormalizer(spec, c);
    if (spec.layout === 'NCHW') {
      const o = offset + k * n;
      for (let i = 0; i < n; i++) target[o + i] = norm(rgb[i * 3 + c]);
    } else {
      for (let i = 0; i < n; i++) target[offset + i * 3 + k] = norm(rgb[i * 3 + c]);
    }
  }
}

/** Fixed batch dimension of a session's image input (rows must be padded to it), else null. */
export function fixedBatch(session: Session, inputName: string): number | null {
  const m = session.inputMetadata.find((x) => x.name === inputName);
  const d = m?.isTensor ? m.shape[0] : undefined;
  return typeof d === 'number' && d > 0 ? d : null;
}

/** Runs a session on `rows` images (padding to a fixed batch when the graph has one). */
export async function runRows(
  session: Session,
  spec: InputSpec,
  inputName: string,
  data: Float32Array,
  rows: number,
  fetch: string[],
): Promise<Record<string, ort.Tensor>> {
  const fixed = fixedBatch(session, inputName);
  const per = 3 * spec.width * spec.height;
  let n = rows;
  let buf = data.subarray(0, rows * per);
  if (fixed !== null && fixed !== rows) {
    if (rows > fixed) throw new EngineError('INVALID_ARGUMENT', `batch of ${rows} exceeds the model's fixed batch ${fixed}`);
    const padded = new Float32Array(fixed * per);
    padded.set(buf);
    buf = padded;
    n = fixed;
  }
  try {
    return await session.run({ [inputName]: new ort.Tensor('float32', buf, batchDims(spec, n)) }, fetch);
  } catch (err) {
    if (err instanceof EngineError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new EngineError('UNSUPPORTED_MODEL', `inference failed: ${msg}`, { cause: msg });
  }
}

/** Float values of an output tensor. */
export function floatData(t: ort.Tensor | undefined, name: string): Float32Array {
  if (!t) throw new EngineError('UNSUPPORTED_MODEL', `the model did not produce '${name}'`);
  if (t.type === 'float32') return t.data as Float32Array;
  if (t.type === 'float64') return Float32Array.from(t.data as Float64Array);
  throw new EngineError('UNSUPPORTED_MODEL', `output '${name}' is ${t.type}, not a float tensor`);
}

/** Horizontal flip of one normalized image (either layout), from src into dst. */
export function flipImage(src: Float32Array, dst: Float32Array, spec: InputSpec, dstOffset = 0): void {
  const { width: W, height: H } = spec;
  if (spec.layout === 'NCHW') {
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < H; y++) {
        const r = c * H * W + y * W;
        for (let x = 0; x < W; x++) dst[dstOffset + r + x] = src[r + W - 1 - x];
      }
    }
  } else {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const d = dstOffset + (y * W + x) * 3;
        const s = (y * W + W - 1 - x) * 3;
        dst[d] = src[s];
        dst[d + 1] = src[s + 1];
        dst[d + 2] = src[s + 2];
      }
    }
  }
}

export function attributionRecord(
  model: ModelHandle,
  classIndex: number,
  probability: number,
  map: Float32Array,
  grid: Pick<ImageInput, 'width' | 'height'>,
  signed: boolean,
  metrics: Record<string, number>,
): Attribution {
  return {
    classIndex,
    label: model.labels[classIndex]?.label ?? `class ${classIndex}`,
    probability,
    map,
    width: grid.width,
    height: grid.height,
    signed,
    metrics,
  };
}

export function seedOf(req: ExplainRequest): number {
  return (req.seed ?? 0) >>> 0;
}
