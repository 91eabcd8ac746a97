// LIME views from stored results (segments + per-segment weights), without re-running LIME.
//
// limeImageAndMask replicates lime_image.ImageExplanation.get_image_and_mask exactly:
//  - features sorted by |weight| descending (lime_base sorts by abs(coef); ties keep segment order);
//  - positiveOnly: [f for f, w in exp if w > 0 and w > minWeight][:numFeatures];
//    negativeOnly: [f for f, w in exp if w < 0 and abs(w) > minWeight][:numFeatures];
//    selected segments keep their pixels, mask = 1;
//  - neither: for f, w in exp[:numFeatures], skipping abs(w) < minWeight: pixels kept, then
//    channel c = 0 (red) if w < 0 else 1 (green) set to max(image), mask = −1 / 1;
//  - hideRest: everything else is 0 (black), otherwise the original pixels.
// limeView then applies what the seeds do with it, mark_boundaries(temp / 2 + 0.5, mask): the
// optional brightness transform (x/2 + 0.5 on [0, 1] values, so 0 → 128 and 255 → 255) and yellow
// 'outer' boundaries of the MASK (around the selected superpixels, not all segments).
import { EngineError } from '../errors.ts';
import { markBoundaries } from '../segment/index.ts';
import { encodePng, type RawImage } from './heatmap.ts';
import { limePixels, limeSelection, type LimeViewOptions } from './lime-selection.ts';

export { limeSelection, rankSegments, type LimeSelection, type LimeViewOptions } from './lime-selection.ts';

export interface LimeRenderOptions extends LimeViewOptions {
  /** mark_boundaries(temp / 2 + 0.5, …): washes the image towards white. Default true. */
  brighten?: boolean;
  /** Boundary color, default skimage's yellow. */
  boundaryColor?: readonly [number, number, number];
}

function invalid(message: string): never {
  throw new EngineError('INVALID_ARGUMENT', message);
}

function checkInputs(rgb: Uint8Array, segments: Int32Array, width: number, height: number): number {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    invalid(`image size must be positive integers, got ${width}×${height}`);
  }
  const n = width * height;
  if (!(rgb instanceof Uint8Array) || rgb.length !== n * 3) invalid(`expected ${n * 3} RGB bytes (${width}×${height}×3), got ${rgb?.length}`);
  if (!(segments instanceof Int32Array) || segments.length !== n) invalid(`expected ${n} segment labels, got ${segments?.length}`);
  let count = 0;
  for (let p = 0; p < n; p++) {
    const s = segments[p];
    if (s < 0) invalid(`segment labels must be ≥ 0, got ${s}`);
    if (s + 1 > count) count = s + 1;
  }
  return count;
}

/** lime's get_image_and_mask: the image `temp` (uint8 RGB) and the mask (1, −1 or 0 per pixel). */
export function limeImageAndMask(
  rgb: Uint8Array,
  segments: Int32Array,
  weights: ArrayLike<number>,
  width: number,
  height: number,
  opts: LimeViewOptions = {},
): { image: Uint8Array; mask: Int32Array; selected: number[] } {
  const count = checkInputs(rgb, segments, width, height);
  if (weights.length < count) invalid(`expected a weight for each of the ${count} segments, got ${weights.length}`);
  const { selected, show } = limeSelection(weights, opts);
  return { ...limePixels(rgb, 3, segments, show, opts), selected };
}

/** uint8 v as float v/255, then x/2 + 0.5, back to uint8 (rounded). */
export function brighten(rgb: Uint8Array): Uint8Array {
  return Uint8Array.from(rgb, (v) => Math.round(v / 2 + 127.5));
}

/** The seeds' LIME figure: get_image_and_mask → (brighten) → mark_boundaries(…, mask). Raw RGB. */
export function limeView(
  rgb: Uint8Array,
  segments: Int32Array,
  weights: ArrayLike<number>,
  width: number,
  height: number,
  opts: LimeRenderOptions = {},
): RawImage {
  const { image, mask } = limeImageAndMask(rgb, segments, weights, width, height, opts);
  const base = (opts.brighten ?? true) ? brighten(image) : image;
  const data = markBoundaries(base, mask, width, height, opts.boundaryColor ?? [255, 255, 0], 'outer', 0);
  return { data, width, height, channels: 3 };
}

/** limeView as a PNG. */
export async function renderLimeView(...args: Parameters<typeof limeView>): Promise<Buffer> {
  return encodePng(limeView(...args));
}

/**
 * Per-segment mean colors, truncated to uint8 as lime's fudged_image does (float means assigned
 * into a uint8 array). Indexed by segment id; 3 bytes each.
 */
export function segmentMeans(rgb: Uint8Array, segments: Int32Array, width: number, height: number): Uint8Array {
  const count = checkInputs(rgb, segments, width, height);
  const sums = new Float64Array(count * 3);
  const pixels = new Float64Array(count);
  for (let p = 0; p < segments.length; p++) {
    const s = segments[p];
    pixels[s]++;
    sums[s * 3] += rgb[p * 3];
    sums[s * 3 + 1] += rgb[p * 3 + 1];
    sums[s * 3 + 2] += rgb[p * 3 + 2];
  }
  const means = new Uint8Array(count * 3);
  for (let s = 0; s < count; s++) {
    if (pixels[s] === 0) continue;
    for (let c = 0; c < 3; c++) means[s * 3 + c] = Math.floor(sums[s * 3 + c] / pixels[s]);
  }
  return means;
}

/** The superpixel map: yellow boundaries of all segments over the image, and each segment filled with its mean color. */
export function segmentsViews(rgb: Uint8Array, segments: Int32Array, width: number, height: number): { boundaries: RawImage; meanFill: RawImage } {
  const means = segmentMeans(rgb, segments, width, height);
  const fill = new Uint8Array(rgb.length);
  for (let p = 0; p < segments.length; p++) fill.set(means.subarray(segments[p] * 3, segments[p] * 3 + 3), p * 3);
  return {
    boundaries: { data: markBoundaries(rgb, segments, width, height), width, height, channels: 3 },
    meanFill: { data: fill, width, height, channels: 3 },
  };
}

export async function renderSegments(
  rgb: Uint8Array,
  segments: Int32Array,
  width: number,
  height: number,
): Promise<{ boundaries: Buffer; meanFill: Buffer }> {
  const v = segmentsViews(rgb, segments, width, height);
  const [boundaries, meanFill] = await Promise.all([encodePng(v.boundaries), encodePng(v.meanFill)]);
  return { boundaries, meanFill };
}

export type SampleFill = 'mean' | readonly [number, number, number];

/**
 * One perturbed sample as LIME builds it (data_labels): segments whose mask entry is 0 are
 * replaced by the fill (the segment's mean color = hide_color None, or a fixed RGB = hide_color).
 */
export function perturb(
  rgb: Uint8Array,
  segments: Int32Array,
  width: number,
  height: number,
  mask: Uint8Array,
  fill: SampleFill = 'mean',
  means?: Uint8Array,
): Uint8Array {
  const count = checkInputs(rgb, segments, width, height);
  if (!(mask instanceof Uint8Array) || mask.length < count) invalid(`each sample mask needs ${count} entries (one per segment), got ${mask?.length}`);
  const m = fill === 'mean' ? means ?? segmentMeans(rgb, segments, width, height) : null;
  if (fill !== 'mean' && (!Array.isArray(fill) || fill.length !== 3 || fill.some((c) => !Number.isInteger(c) || c < 0 || c > 255))) {
    invalid('fill must be "mean" or three integers 0..255');
  }
  const out = Uint8Array.from(rgb);
  for (let p = 0; p < segments.length; p++) {
    const s = segments[p];
    if (mask[s]) continue;
    if (m) out.set(m.subarray(s * 3, s * 3 + 3), p * 3);
    else out.set(fill as readonly number[], p * 3);
  }
  return out;
}

export interface SampleGridOptions {
  /** Tiles per row; default ceil(sqrt(n)) (4 for 16 samples). */
  columns?: number;
  /** Pixels between tiles; default 2. */
  gap?: number;
  /** Color of the gaps; default white. */
  background?: readonly [number, number, number];
}

/** Perturbed samples (one per mask) tiled into a grid. Raw RGB. */
export function sampleGrid(
  rgb: Uint8Array,
  segments: Int32Array,
  width: number,
  height: number,
  masks: readonly Uint8Array[],
  fill: SampleFill = 'mean',
  opts: SampleGridOptions = {},
): RawImage {
  checkInputs(rgb, segments, width, height);
  if (!Array.isArray(masks) || masks.length === 0) invalid('at least one sample mask is required');
  const columns = opts.columns ?? Math.ceil(Math.sqrt(masks.length));
  const gap = opts.gap ?? 2;
  if (!Number.isInteger(columns) || columns < 1) invalid(`columns must be a positive integer, got ${columns}`);
  if (!Number.isInteger(gap) || gap < 0) invalid(`gap must be an integer ≥ 0, got ${gap}`);
  const bg = opts.background ?? [255, 255, 255];
  const cols = Math.min(columns, masks.length);
  const rowsN = Math.ceil(masks.length / cols);
  const W = cols * width + (cols - 1) * gap;
  const H = rowsN * height + (rowsN - 1) * gap;
  const data = new Uint8Array(W * H * 3);
  for (let p = 0; p < W * H; p++) data.set(bg, p * 3);
  const means = fill === 'mean' ? segmentMeans(rgb, segments, width, height) : undefined;
  masks.forEach((mask, k) => {
    const tile = perturb(rgb, segments, width, height, mask, fill, means);
    const ox = (k % cols) * (width + gap);
    const oy = Math.floor(k / cols) * (height + gap);
    for (let y = 0; y < height; y++) {
      data.set(tile.subarray(y * width * 3, (y + 1) * width * 3), ((oy + y) * W + ox) * 3);
    }
  });
  return { data, width: W, height: H, channels: 3 };
}

/** sampleGrid as a PNG. */
export async function renderSampleGrid(...args: Parameters<typeof sampleGrid>): Promise<Buffer> {
  return encodePng(sampleGrid(...args));
}
