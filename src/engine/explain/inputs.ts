// The decoded, preprocessed image and the model's unmodified prediction, shared by the perturbation
// cells of one (image, model): a study asks for LIME, Kernel SHAP and Partition SHAP of the same photo
// on the same model, and each would otherwise decode, resize, normalize and predict again. Keyed by
// content (the image file's sha256, the model file's sha256, its input spec and output kind), so any
// request for the same bytes hits; bounded by bytes. Owned by whoever owns the EngineContext (one per
// worker thread), never module state.
import { createHash } from 'node:crypto';
import type { RgbImage } from '../preprocess.ts';
import { specKey, TensorCache } from '../tensor-cache.ts';
import type { ExplainRequest } from './types.ts';

export interface SharedInput {
  crop: RgbImage;
  /** The crop as a plain Uint8Array (HWC RGB). */
  rgb: Uint8Array;
  /** Normalized unmodified input. Callers must not mutate it. */
  original: Float32Array;
  /** Full probability vector of the unmodified input. */
  probs: Float64Array;
}

/** How often the work was done and how often it was reused: the cache's facts, for tests and benches. */
export interface InputCounts {
  decodes: number;
  predictions: number;
  hits: number;
}

const bytesOf = (v: SharedInput) => v.crop.data.byteLength + v.crop.original.data.byteLength + v.original.byteLength + v.probs.byteLength;

export class InputCache {
  readonly counts: InputCounts = { decodes: 0, predictions: 0, hits: 0 };
  private readonly cache: TensorCache<SharedInput>;

  constructor(maxBytes = 128 * 1024 * 1024) {
    this.cache = new TensorCache(maxBytes, bytesOf);
  }

  static keyOf(req: ExplainRequest): string {
    const image = createHash('sha256').update(req.image).digest('hex');
    return [image, req.model.key, req.model.outputKind, specKey(req.model.spec), req.maxPixels ?? ''].join('|');
  }

  /**
   * The shared input of `req`, computed at most once while it stays cached (also under concurrent
   * calls). `decode` and `predict` are the caller's own steps, so a hit returns exactly what a miss
   * computes.
   */
  get(req: ExplainRequest, decode: () => Promise<Omit<SharedInput, 'probs'>>, predict: (original: Float32Array) => Promise<Float64Array>): Promise<SharedInput> {
    const key = InputCache.keyOf(req);
    if (this.cache.has(key)) this.counts.hits++;
    return this.cache.get(key, async () => {
      this.counts.decodes++;
      const d = await decode();
      this.counts.predictions++;
      return { ...d, probs: await predict(d.original) };
    });
  }
}
