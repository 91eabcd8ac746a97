// Which superpixels lime's get_image_and_mask shows, and the image and mask it makes of them. Pure
// (no Node, no packages; scripts/imports.ts BROWSER_SAFE), so the portal redraws stored LIME results
// in the browser with the code the service renders them with (render/lime-views.ts).
import { EngineError } from '../errors.ts';

export interface LimeViewOptions {
  positiveOnly?: boolean;
  negativeOnly?: boolean;
  hideRest?: boolean;
  numFeatures?: number;
  minWeight?: number;
}

function invalid(message: string): never {
  throw new EngineError('INVALID_ARGUMENT', message);
}

/**
 * Segment ids ordered like lime's local_exp: by |weight| descending, ties by id. A weight of exactly 0
 * marks a feature the fit did not select, which local_exp does not list, so it is never shown.
 */
export function rankSegments(weights: ArrayLike<number>): number[] {
  const ids = Array.from({ length: weights.length }, (_, i) => i).filter((i) => weights[i] !== 0);
  return ids.sort((a, b) => Math.abs(weights[b]) - Math.abs(weights[a]) || a - b);
}

export interface LimeSelection {
  /** Segment ids shown, in local_exp order. */
  selected: number[];
  /** Per segment id: 0 not shown, 1 shown, −1 shown as negative evidence (both-signs view only). */
  show: Int8Array;
}

/**
 * Which superpixels get_image_and_mask shows: positive (or negative) only, the first numFeatures of
 * local_exp with weight > minWeight; otherwise the first numFeatures of either sign with
 * |weight| ≥ minWeight. Also the binarization of a LIME result for agreement metrics.
 */
export function limeSelection(weights: ArrayLike<number>, opts: LimeViewOptions = {}): LimeSelection {
  const positiveOnly = opts.positiveOnly ?? true;
  const negativeOnly = opts.negativeOnly ?? false;
  if (positiveOnly && negativeOnly) invalid('positiveOnly and negativeOnly cannot both be true');
  const numFeatures = opts.numFeatures ?? 5;
  if (!Number.isInteger(numFeatures) || numFeatures < 0) invalid(`numFeatures must be an integer ≥ 0, got ${numFeatures}`);
  const minWeight = opts.minWeight ?? 0;
  if (!Number.isFinite(minWeight)) invalid(`minWeight must be a finite number, got ${minWeight}`);
  const exp = rankSegments(weights);
  const show = new Int8Array(weights.length);
  let selected: number[];
  if (positiveOnly || negativeOnly) {
    selected = exp
      .filter((f) => (positiveOnly ? weights[f] > 0 && weights[f] > minWeight : weights[f] < 0 && Math.abs(weights[f]) > minWeight))
      .slice(0, numFeatures);
    for (const f of selected) show[f] = 1;
  } else {
    selected = [];
    for (const f of exp.slice(0, numFeatures)) {
      const w = weights[f];
      if (Math.abs(w) < minWeight) continue;
      selected.push(f);
      show[f] = w < 0 ? -1 : 1;
    }
  }
  return { selected, show };
}

/**
 * get_image_and_mask's `temp` and mask for a selection, over interleaved pixels of `channels` values:
 * 3 (RGB) or 4 (RGBA, as a canvas holds them: alpha is copied, never tinted, and a hidden pixel keeps
 * its alpha, opaque when it had none). Shown segments keep their pixels; hidden ones are black with
 * hideRest, else unchanged; the both-signs view raises the red (negative) or green (positive) channel
 * to max(image).
 */
export function limePixels(
  pixels: ArrayLike<number>,
  channels: 3 | 4,
  segments: Int32Array,
  show: Int8Array,
  opts: LimeViewOptions = {},
): { image: Uint8Array<ArrayBuffer>; mask: Int32Array } {
  const n = segments.length;
  if (pixels.length !== n * channels) invalid(`expected ${n * channels} pixel values for ${n} segment labels, got ${pixels.length}`);
  const tinted = !(opts.positiveOnly ?? true) && !(opts.negativeOnly ?? false);
  const image = new Uint8Array(n * channels);
  if (!opts.hideRest) image.set(pixels);
  else if (channels === 4) for (let p = 0; p < n; p++) image[p * 4 + 3] = pixels[p * 4 + 3] || 255;
  const mask = new Int32Array(n);
  let maxValue = 0;
  for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) if (pixels[p * channels + c] > maxValue) maxValue = pixels[p * channels + c];
  for (let p = 0; p < n; p++) {
    const s = segments[p];
    if (s < 0 || s >= show.length || show[s] === 0) continue;
    mask[p] = show[s];
    const o = p * channels;
    for (let c = 0; c < channels; c++) image[o + c] = pixels[o + c];
    if (tinted) image[o + (show[s] < 0 ? 0 : 1)] = maxValue;
  }
  return { image, mask };
}
