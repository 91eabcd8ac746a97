// Superpixel segmentation for LIME / Kernel SHAP, faithful to scikit-image 0.19+:
// quickshift (LIME's default), slic (shap's image examples) and felzenszwalb.
import { EngineError } from '../errors.ts';
import type { Segmentation } from '../methods.ts';
import { rgbToLab } from './color.ts';
import { felzenszwalbRoots } from './felzenszwalb.ts';
import { gaussianFilter } from './gaussian.ts';
import { quickshiftRoots } from './quickshift.ts';
import { slicLabels } from './slic.ts';

export { markBoundaries, segmentBoundaries, type BoundaryMode } from './boundaries.ts';

export interface SegmentStats {
  label: number;
  pixels: number;
  /** Mean of the input RGB over the segment (not rounded). */
  meanRgb: [number, number, number];
  /** [x0, y0, x1, y1]: x0/y0 inclusive, x1/y1 exclusive (skimage regionprops' half-open bbox). */
  bbox: [number, number, number, number];
  /** Mean pixel coordinates [x, y]. */
  centroid: [number, number];
}

export interface Segments {
  /**
   * H×W row-major, labels 0..count-1 numbered as scikit-image numbers them (np.unique of the root
   * map): by each segment's root pixel index. Quickshift's root is the segment's density mode;
   * Felzenszwalb's (smallest index wins a union) and SLIC's numbering are raster order of first appearance.
   */
  labels: Int32Array;
  count: number;
  /** One entry per label, indexed by label. */
  stats: SegmentStats[];
}

function invalid(message: string): never {
  throw new EngineError('INVALID_ARGUMENT', message);
}

function check(name: string, v: unknown, min: number, max: number, integer = false): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    invalid(`segmentation.${name} must be ${integer ? 'an integer ' : 'a number '}between ${min} and ${max}, got ${String(v)}`);
  }
}

/** Mathematical validity (what skimage itself accepts or would need), not the API's tighter ranges. */
function validate(params: Segmentation): void {
  if (params === null || typeof params !== 'object') invalid('segmentation parameters are required');
  switch (params.algorithm) {
    case 'QUICKSHIFT':
      check('kernelSize', params.kernelSize, 1, 50); // skimage: "`kernel_size` should be >= 1"
      check('maxDist', params.maxDist, 0, Number.MAX_VALUE);
      check('ratio', params.ratio, 0, 1);
      break;
    case 'SLIC':
      check('nSegments', params.nSegments, 1, 1_000_000, true);
      check('compactness', params.compactness, Number.MIN_VALUE, Number.MAX_VALUE);
      break;
    case 'FELZENSZWALB':
      check('scale', params.scale, 0, Number.MAX_VALUE);
      check('minSize', params.minSize, 0, Number.MAX_SAFE_INTEGER, true);
      break;
    default:
      invalid(`unknown segmentation algorithm ${String((params as { algorithm?: unknown }).algorithm)}`);
  }
  check('sigma', params.sigma, 0, 100);
}

/** Renumbers any label map (or root-index map) 0..count-1 in raster order of first appearance. */
export function relabelSequential(raw: Int32Array): { labels: Int32Array; count: number } {
  const map = new Map<number, number>();
  const labels = new Int32Array(raw.length);
  for (let p = 0; p < raw.length; p++) {
    const v = raw[p];
    let l = map.get(v);
    if (l === undefined) {
      l = map.size;
      map.set(v, l);
    }
    labels[p] = l;
  }
  return { labels, count: map.size };
}

export function segmentStats(rgb: Uint8Array, labels: Int32Array, width: number, count: number): SegmentStats[] {
  const pixels = new Float64Array(count);
  const sums = new Float64Array(count * 5);
  const box = new Int32Array(count * 4);
  for (let l = 0; l < count; l++) box.set([0x7fffffff, 0x7fffffff, -1, -1], l * 4);
  for (let p = 0; p < labels.length; p++) {
    const l = labels[p];
    const x = p % width;
    const y = (p - x) / width;
    pixels[l]++;
    const s = l * 5;
    sums[s] += rgb[p * 3];
    sums[s + 1] += rgb[p * 3 + 1];
    sums[s + 2] += rgb[p * 3 + 2];
    sums[s + 3] += x;
    sums[s + 4] += y;
    const b = l * 4;
    if (x < box[b]) box[b] = x;
    if (y < box[b + 1]) box[b + 1] = y;
    if (x > box[b + 2]) box[b + 2] = x;
    if (y > box[b + 3]) box[b + 3] = y;
  }
  return Array.from({ length: count }, (_, l) => {
    const n = pixels[l];
    const s = l * 5;
    const b = l * 4;
    return {
      label: l,
      pixels: n,
      meanRgb: [sums[s] / n, sums[s + 1] / n, sums[s + 2] / n],
      bbox: [box[b], box[b + 1], box[b + 2] + 1, box[b + 3] + 1],
      centroid: [sums[s + 3] / n, sums[s + 4] / n],
    };
  });
}

/** Numbers a root-index map by ascending root (np.unique(roots, return_inverse=True), as skimage's quickshift). */
export function relabelByRoot(roots: Int32Array): { labels: Int32Array; count: number } {
  const sorted = Int32Array.from(new Set(roots)).sort();
  const rank = new Map<number, number>();
  sorted.forEach((r, i) => rank.set(r, i));
  const labels = new Int32Array(roots.length);
  for (let p = 0; p < roots.length; p++) labels[p] = rank.get(roots[p])!;
  return { labels, count: sorted.length };
}

/**
 * Segments an H×W×3 interleaved uint8 RGB image (e.g. toRgbRaw's crop) into superpixels.
 * The seed only matters for QUICKSHIFT (its density tie-breaking noise, drawn as skimage 0.19's
 * `quickshift(random_seed=seed)` draws it); SLIC and FELZENSZWALB are deterministic, as in scikit-image.
 */
export function segment(rgb: Uint8Array, width: number, height: number, params: Segmentation, seed: number): Segments {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    invalid(`image size must be positive integers, got ${width}×${height}`);
  }
  if (!(rgb instanceof Uint8Array) || rgb.length !== width * height * 3) {
    invalid(`expected ${width * height * 3} RGB bytes (${width}×${height}×3), got ${rgb?.length}`);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) invalid(`seed must be a non-negative integer, got ${String(seed)}`);
  validate(params);
  const n = width * height;
  let raw: Int32Array;
  if (params.algorithm === 'QUICKSHIFT') {
    let feat = rgbToLab(rgb, n);
    if (params.sigma > 0) feat = gaussianFilter(feat, width, height, 3, params.sigma);
    for (let i = 0; i < feat.length; i++) feat[i] *= params.ratio;
    raw = quickshiftRoots(feat, width, height, params.kernelSize, params.maxDist, seed);
  } else if (params.algorithm === 'SLIC') {
    raw = slicLabels(rgb, width, height, params.nSegments, params.compactness, params.sigma);
  } else {
    raw = felzenszwalbRoots(rgb, width, height, params.scale, params.sigma, params.minSize);
  }
  const { labels, count } = params.algorithm === 'QUICKSHIFT' ? relabelByRoot(raw) : relabelSequential(raw);
  return { labels, count, stats: segmentStats(rgb, labels, width, count) };
}
