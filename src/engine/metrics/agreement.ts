// Agreement between two explanations of the same image on the same pixel grid: IoU and Dice of their
// binarized masks, Pearson and Spearman correlation of the maps, and the overlap of their top-k pixels.
import { binarize, topCount, topPixels, type Binarization } from './binarize.ts';
import { pearson, spearman } from './correlation.ts';

function counts(a: Uint8Array, b: Uint8Array): { both: number; either: number; sizes: number } {
  if (a.length !== b.length) throw new RangeError(`masks differ in size: ${a.length} and ${b.length}`);
  let both = 0;
  let either = 0;
  let sizes = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    if (x && y) both++;
    if (x || y) either++;
    sizes += (x ? 1 : 0) + (y ? 1 : 0);
  }
  return { both, either, sizes };
}

/** |A ∩ B| / |A ∪ B|; two empty masks agree completely (1). */
export function iou(a: Uint8Array, b: Uint8Array): number {
  const c = counts(a, b);
  return c.either === 0 ? 1 : c.both / c.either;
}

/** 2|A ∩ B| / (|A| + |B|); two empty masks agree completely (1). */
export function dice(a: Uint8Array, b: Uint8Array): number {
  const c = counts(a, b);
  return c.sizes === 0 ? 1 : (2 * c.both) / c.sizes;
}

/** Shared fraction of the k = round(p·N/100) largest pixels of each map (ties by lower index). */
export function topKOverlap(a: ArrayLike<number>, b: ArrayLike<number>, percent: number): number {
  const k = topCount(percent, a.length);
  return counts(topPixels(a, k), topPixels(b, k)).both / k;
}

export interface MapOperand {
  map: ArrayLike<number>;
  binarization: Binarization;
  /** Segment labels, for LIME_FEATURES. */
  segments?: Int32Array;
}

export interface Agreement {
  iou: number;
  dice: number;
  pearson: number | null;
  spearman: number | null;
  topKOverlap: number;
  /** The k of the top-k overlap, as a percentage of the pixels. */
  topPercent: number;
}

export function agreement(a: MapOperand, b: MapOperand, topPercent = 10): Agreement {
  if (a.map.length !== b.map.length) throw new RangeError(`maps differ in size: ${a.map.length} and ${b.map.length} values`);
  const ma = binarize(a.map, a.binarization, a.segments);
  const mb = binarize(b.map, b.binarization, b.segments);
  return {
    iou: iou(ma, mb),
    dice: dice(ma, mb),
    pearson: pearson(a.map, b.map),
    spearman: spearman(a.map, b.map),
    topKOverlap: topKOverlap(a.map, b.map, topPercent),
    topPercent,
  };
}
