// lime_image.ImageExplanation.get_image_and_mask as a pure function over segments and weights, so
// rendering can draw LIME's views (positive only, negative only, hide rest…) from SegmentWeights.
import { EngineError } from '../errors.ts';

export interface LimeMaskOptions {
  positiveOnly?: boolean;
  negativeOnly?: boolean;
  hideRest?: boolean;
  numFeatures?: number;
  minWeight?: number;
}

export interface LimeMask {
  /** Per pixel: 1 (shown, positive), -1 (negative; only when neither *Only option is set), 0 otherwise. */
  mask: Int8Array;
  /** Segments shown, in |weight| order. */
  features: number[];
  /** The image view (HWC RGB) when an image was given: the original where shown, black elsewhere if hideRest. */
  image?: Uint8Array;
}

/**
 * `weights` is indexed by segment id; segments with weight exactly 0 are treated as not in the
 * explanation (LIME's local_exp lists only the selected features). Defaults as lime's:
 * positiveOnly true, negativeOnly false, hideRest false, numFeatures 5, minWeight 0.
 */
export function limeMask(segments: Int32Array, weights: ArrayLike<number>, opts: LimeMaskOptions = {}, image?: Uint8Array): LimeMask {
  const { positiveOnly = true, negativeOnly = false, hideRest = false, numFeatures = 5, minWeight = 0 } = opts;
  if (positiveOnly && negativeOnly) throw new EngineError('INVALID_ARGUMENT', 'positiveOnly and negativeOnly cannot both be true');
  const exp: [number, number][] = [];
  for (let f = 0; f < weights.length; f++) if (weights[f] !== 0) exp.push([f, weights[f]]);
  exp.sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || a[0] - b[0]);
  const mask = new Int8Array(segments.length);
  const n = segments.length;
  let temp: Uint8Array | undefined;
  if (image) temp = hideRest ? new Uint8Array(image.length) : Uint8Array.from(image);
  const segMark = new Int8Array(weights.length);
  const boost = new Int8Array(weights.length).fill(-1); // channel set to max(image) (both-sign view)
  const features: number[] = [];
  if (positiveOnly || negativeOnly) {
    const fs = exp
      .filter(([, w]) => (positiveOnly ? w > 0 && w > minWeight : w < 0 && Math.abs(w) > minWeight))
      .slice(0, numFeatures)
      .map(([f]) => f);
    for (const f of fs) segMark[f] = 1;
    features.push(...fs);
  } else {
    for (const [f, w] of exp.slice(0, numFeatures)) {
      if (Math.abs(w) < minWeight) continue;
      segMark[f] = w < 0 ? -1 : 1;
      boost[f] = w < 0 ? 0 : 1;
      features.push(f);
    }
  }
  let max = 0;
  if (image) for (let i = 0; i < image.length; i++) if (image[i] > max) max = image[i];
  for (let i = 0; i < n; i++) {
    const s = segments[i];
    const m = segMark[s];
    if (m === 0) continue;
    mask[i] = m;
    if (temp && image) {
      temp[i * 3] = image[i * 3];
      temp[i * 3 + 1] = image[i * 3 + 1];
      temp[i * 3 + 2] = image[i * 3 + 2];
      if (boost[s] >= 0) temp[i * 3 + boost[s]] = max;
    }
  }
  return temp ? { mask, features, image: temp } : { mask, features };
}
