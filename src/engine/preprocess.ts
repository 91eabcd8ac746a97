// Image → model input tensor, reproducing the reference pipelines on PIL's pixels:
// Image.open(f).convert('RGB') → Resize (PIL BILINEAR or NEAREST) → CenterCrop → ToTensor → Normalize.
import { decodeRgb } from './pil/decode.ts';
import { pilResize, type Pixels } from './pil/resample.ts';
import type { ImageSource, OpenOptions } from './image.ts';
import { validateInputSpec } from './presets.ts';
import type { DecodePolicy, InputSpec } from './types.ts';

/** Where the model's input sits in the decoded original image. */
export interface CropGeometry {
  /** Decoded size: the stored pixels, or after EXIF orientation when the spec applies it. */
  originalWidth: number;
  originalHeight: number;
  /** How the original was decoded: anything drawn on it must decode it the same way. */
  decode: DecodePolicy;
  /** Size after resizing (the shorter-side resize, or the whole input size when stretching). */
  resizedWidth: number;
  resizedHeight: number;
  /** resized / original, per axis (they differ slightly because torchvision truncates the long side). */
  scaleX: number;
  scaleY: number;
  /** Crop offset in resized coordinates (0 when stretching). */
  cropLeft: number;
  cropTop: number;
  /** Crop size (= model input width/height). */
  width: number;
  height: number;
}

export interface RgbImage {
  /** Cropped pixels, uint8 RGB interleaved (HWC), width × height × 3. */
  data: Buffer;
  geometry: CropGeometry;
  /** The decoded original (as geometry.decode says), for drawing maps back on it without decoding again. */
  original: Pixels;
}

/** Python's round(): halves go to the even neighbour (torchvision's CenterCrop uses it). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * CENTER_CROP: torchvision 0.14 Resize(int) — shorter side = s, longer side = int(s × long / short) —
 * then CenterCrop's offsets int(round((resized − crop) / 2)). STRETCH: the whole input size, no crop.
 */
export function cropGeometry(originalWidth: number, originalHeight: number, spec: InputSpec): CropGeometry {
  let resizedWidth = spec.width;
  let resizedHeight = spec.height;
  if (spec.resizeMode === 'CENTER_CROP') {
    const s = spec.resizeShorter as number;
    if (originalWidth <= originalHeight) {
      resizedWidth = s;
      resizedHeight = Math.trunc((s * originalHeight) / originalWidth);
    } else {
      resizedHeight = s;
      resizedWidth = Math.trunc((s * originalWidth) / originalHeight);
    }
  }
  return {
    originalWidth,
    originalHeight,
    decode: { colorProfile: spec.colorProfile, orientation: spec.orientation },
    resizedWidth,
    resizedHeight,
    scaleX: resizedWidth / originalWidth,
    scaleY: resizedHeight / originalHeight,
    cropLeft: roundHalfEven((resizedWidth - spec.width) / 2),
    cropTop: roundHalfEven((resizedHeight - spec.height) / 2),
    width: spec.width,
    height: spec.height,
  };
}

/** The crop rectangle in original-image coordinates (for drawing maps back onto the photo). */
export function cropBoxInOriginal(g: CropGeometry): { left: number; top: number; width: number; height: number } {
  return { left: g.cropLeft / g.scaleX, top: g.cropTop / g.scaleY, width: g.width / g.scaleX, height: g.height / g.scaleY };
}

/** Decodes as PIL does (or as the spec's decode policy asks), resizes and crops: the model's view as uint8 RGB. */
export async function toRgbRaw(source: ImageSource, spec: InputSpec, opts: OpenOptions = {}): Promise<RgbImage> {
  validateInputSpec(spec);
  const full = await decodeRgb(source, spec, opts);
  const g = cropGeometry(full.width, full.height, spec);
  const filter = spec.interpolation === 'NEAREST' ? 'nearest' : 'bilinear';
  // Only the crop is computed; its pixels are those of resizing everything and cropping.
  const crop = pilResize(full, g.resizedWidth, g.resizedHeight, filter, { left: g.cropLeft, top: g.cropTop, width: g.width, height: g.height });
  return { data: Buffer.from(crop.data.buffer, crop.data.byteOffset, crop.data.byteLength), geometry: g, original: full };
}

/**
 * One channel's normalization as the reference pipelines compute it, in float32 operations:
 * torchvision's ToTensor divides by 255 and Normalize subtracts the float32 mean and divides by
 * the float32 std (Keras' 'tf' mode: x / 127.5 − 1). Each step is rounded to float32, so values
 * equal PyTorch's bit for bit; computing (v·scale − mean)/std in float64 and rounding once differs
 * from them on 491 of the 768 uint8 × channel values (up to 127 ulp near 0), and gradient methods
 * are that sensitive (an ulp of input moves Gradient SHAP pixels by up to 6e-3 of the map's range).
 */
export function channelNormalizer(spec: InputSpec, c: number): (pixel: number) => number {
  const f = Math.fround;
  const divisor = f(1 / spec.scale);
  const mean = f(spec.mean[c]);
  const std = f(spec.std[c]);
  return (pixel) => f(f(f(f(pixel) / divisor) - mean) / std);
}

/** Per-channel lookup tables uint8 → normalized float32, in output channel order. */
function channelTables(spec: InputSpec): Float32Array[] {
  const order = spec.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  return order.map((c) => {
    const norm = channelNormalizer(spec, c);
    return Float32Array.from({ length: 256 }, (_, v) => norm(v));
  });
}

const tableCache = new WeakMap<InputSpec, Float32Array[]>();
function tablesFor(spec: InputSpec): Float32Array[] {
  let t = tableCache.get(spec);
  if (!t) tableCache.set(spec, (t = channelTables(spec)));
  return t;
}

/**
 * Writes one image's uint8 RGB crop (HWC, spec.width × spec.height) normalized into `target`
 * starting at element `offset`, in the spec's layout and channel order. Explainers use this
 * directly for perturbed images.
 */
export function normalizeInto(rgb: Uint8Array, spec: InputSpec, target: Float32Array, offset = 0): void {
  const n = spec.width * spec.height;
  if (rgb.length !== n * 3) throw new RangeError(`expected ${n * 3} RGB bytes, got ${rgb.length}`);
  if (offset < 0 || offset + n * 3 > target.length) throw new RangeError('target tensor too small for this offset');
  const [t0, t1, t2] = tablesFor(spec);
  // Source channel feeding output channel k: BGR reverses, which the tables' order already encodes.
  const [s0, s1, s2] = spec.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  if (spec.layout === 'NCHW') {
    const o1 = offset + n;
    const o2 = offset + 2 * n;
    for (let i = 0, p = 0; i < n; i++, p += 3) {
      target[offset + i] = t0[rgb[p + s0]];
      target[o1 + i] = t1[rgb[p + s1]];
      target[o2 + i] = t2[rgb[p + s2]];
    }
  } else {
    for (let p = 0; p < n * 3; p += 3) {
      target[offset + p] = t0[rgb[p + s0]];
      target[offset + p + 1] = t1[rgb[p + s1]];
      target[offset + p + 2] = t2[rgb[p + s2]];
    }
  }
}

/** Preprocesses one image into `target` at element offset `offset`; returns its crop geometry. */
export async function preprocessInto(
  source: ImageSource,
  spec: InputSpec,
  target: Float32Array,
  offset: number,
  opts: OpenOptions = {},
): Promise<CropGeometry> {
  const { data, geometry } = await toRgbRaw(source, spec, opts);
  normalizeInto(data, spec, target, offset);
  return geometry;
}

/** One image → Float32Array of length 3 × H × W (a batch of one). */
export async function preprocess(source: ImageSource, spec: InputSpec, opts: OpenOptions = {}): Promise<Float32Array> {
  const out = new Float32Array(3 * spec.width * spec.height);
  await preprocessInto(source, spec, out, 0, opts);
  return out;
}

export interface BatchOptions extends OpenOptions {
  /** Images decoded at once; bounds peak memory (each full-size decode can be ~150 MB). */
  concurrency?: number;
  /** Write into this tensor instead of allocating (length ≥ (startIndex + n) × 3HW). */
  target?: Float32Array;
  /** Batch slot of the first image in `target`. */
  startIndex?: number;
}

/** Preprocesses images in parallel into one [N, …] batch tensor. */
export async function preprocessBatch(
  sources: readonly ImageSource[],
  spec: InputSpec,
  opts: BatchOptions = {},
): Promise<{ data: Float32Array; geometries: CropGeometry[] }> {
  const per = 3 * spec.width * spec.height;
  const start = opts.startIndex ?? 0;
  const data = opts.target ?? new Float32Array((start + sources.length) * per);
  const geometries = new Array<CropGeometry>(sources.length);
  await mapLimit(sources.length, opts.concurrency ?? 4, async (i) => {
    geometries[i] = await preprocessInto(sources[i], spec, data, (start + i) * per, opts);
  });
  return { data, geometries };
}

/** Runs fn(0..n-1) with at most `limit` in flight; rejects on the first failure. */
async function mapLimit(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), n) }, worker));
}
