// Binarizations that turn an explanation map into a mask, explicit and stored with every agreement
// metric so a table can be recomputed from the raw maps alone:
//   LIME_FEATURES  the superpixels lime's get_image_and_mask(positive_only=True, num_features=k)
//                  shows: the k first positive features of local_exp (by |weight|, ties by segment id);
//   THRESHOLD      min–max scale the map ((x − min) / (max − min), all 0 for a constant map), keep ≥ value;
//   TOP_PERCENT    the round(p·N/100) largest values (at least one), ties at the cut by lower pixel index.
import { EngineError } from '../errors.ts';
import { limeSelection } from '../render/lime-views.ts';
import { descendingOrder } from './order.ts';

export type Binarization =
  | { kind: 'LIME_FEATURES'; numFeatures: number }
  | { kind: 'THRESHOLD'; value: number }
  | { kind: 'TOP_PERCENT'; percent: number };

function invalid(message: string): never {
  throw new EngineError('INVALID_ARGUMENT', message);
}

export function checkBinarization(b: Binarization): Binarization {
  if (b.kind === 'LIME_FEATURES') {
    if (!Number.isInteger(b.numFeatures) || b.numFeatures < 1 || b.numFeatures > 10000) invalid(`binarization.numFeatures must be an integer from 1 to 10000, got ${b.numFeatures}`);
    return { kind: b.kind, numFeatures: b.numFeatures };
  }
  if (b.kind === 'THRESHOLD') {
    if (!Number.isFinite(b.value) || b.value < 0 || b.value > 1) invalid(`binarization.value must be between 0 and 1, got ${b.value}`);
    return { kind: b.kind, value: b.value };
  }
  if (b.kind === 'TOP_PERCENT') {
    if (!Number.isFinite(b.percent) || b.percent <= 0 || b.percent > 100) invalid(`binarization.percent must be in (0, 100], got ${b.percent}`);
    return { kind: b.kind, percent: b.percent };
  }
  return invalid(`unknown binarization ${(b as { kind: string }).kind}`);
}

/** Per-segment values of a map that is constant on each segment (a LIME map): the value at each segment's first pixel. */
export function segmentValues(map: ArrayLike<number>, segments: Int32Array): Float64Array {
  if (segments.length !== map.length) invalid(`segments cover ${segments.length} pixels, the map ${map.length}`);
  let count = 0;
  for (let p = 0; p < segments.length; p++) if (segments[p] + 1 > count) count = segments[p] + 1;
  const values = new Float64Array(count);
  const seen = new Uint8Array(count);
  for (let p = 0; p < segments.length; p++) {
    const s = segments[p];
    if (s < 0) invalid(`segment labels must be ≥ 0, got ${s}`);
    if (!seen[s]) {
      seen[s] = 1;
      values[s] = map[p];
    }
  }
  return values;
}

/** Pixels of the k largest values (ties: lower index first), as a 0/1 mask. */
export function topPixels(map: ArrayLike<number>, k: number): Uint8Array {
  const n = map.length;
  const mask = new Uint8Array(n);
  if (k <= 0) return mask;
  if (k >= n) return mask.fill(1);
  const order = descendingOrder(map);
  for (let p = 0; p < k; p++) mask[order[p]] = 1;
  return mask;
}

/** Pixel count round(p·N/100), at least 1: the size of a TOP_PERCENT mask. */
export function topCount(percent: number, n: number): number {
  return Math.max(1, Math.round((percent * n) / 100));
}

/** The 0/1 mask of `map` under `b`; LIME_FEATURES needs the segment labels of the same grid. */
export function binarize(map: ArrayLike<number>, b: Binarization, segments?: Int32Array): Uint8Array {
  const n = map.length;
  if (b.kind === 'LIME_FEATURES') {
    if (!segments) invalid('LIME_FEATURES binarization needs the segment labels');
    const { show } = limeSelection(segmentValues(map, segments), { positiveOnly: true, numFeatures: b.numFeatures });
    const mask = new Uint8Array(n);
    for (let p = 0; p < n; p++) mask[p] = show[segments[p]] === 1 ? 1 : 0;
    return mask;
  }
  if (b.kind === 'TOP_PERCENT') return topPixels(map, topCount(b.percent, n));
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    if (map[i] < lo) lo = map[i];
    if (map[i] > hi) hi = map[i];
  }
  const range = hi - lo;
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = (range > 0 ? (map[i] - lo) / range : 0) >= b.value ? 1 : 0;
  return mask;
}
