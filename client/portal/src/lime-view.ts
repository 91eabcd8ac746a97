// LIME views computed in the browser from what a finished LIME explanation stores (the superpixel
// labels `raw-segments.npy` and `result.localExp`), so the portal can switch between positive only /
// negative only / both, hide rest and the number of features instantly, without re-running LIME.
// Pure functions (no DOM): unit-tested in test/portal/lime-view.test.ts.
//
// limeImageAndMask follows lime_image.ImageExplanation.get_image_and_mask(label, positive_only,
// negative_only, hide_rest, num_features, min_weight) line by line (and the service's own
// src/engine/render/lime-views.ts):
//   exp = local_exp[label]                      (already sorted by |weight| descending)
//   temp = zeros if hide_rest else image.copy(); mask = zeros
//   positive_only: fs = [f for f, w in exp if w > 0 and w > min_weight][:num_features]
//   negative_only: fs = [f for f, w in exp if w < 0 and abs(w) > min_weight][:num_features]
//     → temp[seg == f] = image[seg == f]; mask[seg == f] = 1
//   neither: for f, w in exp[:num_features]: skip if abs(w) < min_weight;
//     c = 0 (red) if w < 0 else 1 (green); mask[seg == f] = -1 if w < 0 else 1;
//     temp[seg == f] = image[seg == f]; temp[seg == f, c] = max(image)
// markBoundaries then paints skimage.segmentation.mark_boundaries(temp, mask) (mode 'outer',
// yellow) — the outlines of the selected superpixels, as lime's examples draw them.

/** lime's local_exp for one class: [segment id, weight] sorted by |weight| descending. */
export type LocalExp = ReadonlyArray<readonly [number, number]>;

export interface LimeViewOptions {
  positiveOnly?: boolean;
  negativeOnly?: boolean;
  hideRest?: boolean;
  numFeatures?: number;
  minWeight?: number;
}

export interface LimeRenderOptions extends LimeViewOptions {
  /** Boundary colour; default skimage's yellow (1, 1, 0). null: no boundaries. */
  boundaryColor?: readonly [number, number, number] | null;
}

export interface LimeImageAndMask {
  /** RGBA, same size as the input; alpha copied from the input (255 for hidden pixels). */
  image: Uint8ClampedArray<ArrayBuffer>;
  /** Per pixel 1, −1 (negative, only when both signs are shown) or 0. */
  mask: Int8Array;
  /** The segments shown, in explanation order. */
  features: number[];
}

export interface NpyArray {
  dtype: string;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | Uint8Array | Int16Array | Uint16Array | Int8Array | Uint32Array;
}

/** Parses a NumPy .npy file (format 1.0/2.0/3.0, C order, little-endian or single-byte dtypes). */
export function parseNpy(buffer: ArrayBuffer | Uint8Array): NpyArray {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new Error('not a .npy file (bad magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let offset: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    offset = 10;
  } else if (major === 2 || major === 3) {
    headerLen = view.getUint32(8, true);
    offset = 12;
  } else throw new Error(`unsupported .npy version ${major}`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(offset, offset + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText == null) throw new Error(`bad .npy header: ${header}`);
  if (fortran === 'True') throw new Error('Fortran-order .npy arrays are not supported');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw new Error(`bad .npy shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const start = offset + headerLen;
  const types: Record<string, [number, new (b: ArrayBuffer) => NpyArray['data']]> = {
    f4: [4, Float32Array],
    f8: [8, Float64Array],
    i4: [4, Int32Array],
    u4: [4, Uint32Array],
    i2: [2, Int16Array],
    u2: [2, Uint16Array],
    i1: [1, Int8Array],
    u1: [1, Uint8Array],
    b1: [1, Uint8Array],
  };
  const order = descr[0];
  const kind = descr.slice(1);
  const t = types[kind];
  if (!t || (t[0] > 1 && order !== '<') || !'<|='.includes(order)) throw new Error(`unsupported .npy dtype ${descr}`);
  const [size, Ctor] = t;
  if (bytes.length < start + count * size) throw new Error(`truncated .npy: ${count} × ${descr} need ${count * size} bytes after the header`);
  // Copy so the typed array is aligned whatever the header length.
  const data = new Ctor(bytes.slice(start, start + count * size).buffer);
  return { dtype: descr, shape, data };
}

/** Segment labels (H×W, any numeric dtype) as integers. */
export function segmentLabels(npy: NpyArray): { labels: Int32Array; width: number; height: number; count: number } {
  if (npy.shape.length !== 2) throw new Error(`expected a 2-D segment map, got shape (${npy.shape.join(', ')})`);
  const [height, width] = npy.shape;
  const labels = new Int32Array(width * height);
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    const v = Math.round(npy.data[i]);
    labels[i] = v;
    if (v + 1 > count) count = v + 1;
  }
  return { labels, width, height, count };
}

/** lime's get_image_and_mask over RGBA pixels (canvas ImageData order). */
export function limeImageAndMask(rgba: Uint8ClampedArray | Uint8Array, segments: Int32Array, exp: LocalExp, opts: LimeViewOptions = {}): LimeImageAndMask {
  const { positiveOnly = true, negativeOnly = false, hideRest = false, numFeatures = 5, minWeight = 0 } = opts;
  if (positiveOnly && negativeOnly) throw new Error('positiveOnly and negativeOnly cannot both be true');
  if (!Number.isInteger(numFeatures) || numFeatures < 0) throw new Error(`numFeatures must be an integer ≥ 0, got ${numFeatures}`);
  const n = segments.length;
  if (rgba.length !== n * 4) throw new Error(`expected ${n * 4} RGBA bytes for ${n} segment labels, got ${rgba.length}`);
  const image = new Uint8ClampedArray(n * 4);
  if (hideRest) for (let p = 0; p < n; p++) image[p * 4 + 3] = rgba[p * 4 + 3] || 255;
  else image.set(rgba);
  let maxId = -1;
  for (const [f] of exp) if (f > maxId) maxId = f;
  const show = new Int8Array(maxId + 1); // 0 hidden, 1 / −1 shown
  const channel = new Int8Array(maxId + 1).fill(-1); // colour channel raised to max(image)
  const features: number[] = [];
  if (positiveOnly || negativeOnly) {
    for (const [f, w] of exp) {
      if (features.length >= numFeatures) break;
      if (positiveOnly ? w > 0 && w > minWeight : w < 0 && Math.abs(w) > minWeight) {
        features.push(f);
        show[f] = 1;
      }
    }
  } else {
    for (const [f, w] of exp.slice(0, numFeatures)) {
      if (Math.abs(w) < minWeight) continue;
      features.push(f);
      show[f] = w < 0 ? -1 : 1;
      channel[f] = w < 0 ? 0 : 1;
    }
  }
  let max = 0; // np.max(image) over the colour channels
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) if (rgba[p * 4 + c] > max) max = rgba[p * 4 + c];
  }
  const mask = new Int8Array(n);
  for (let p = 0; p < n; p++) {
    const s = segments[p];
    if (s < 0 || s >= show.length || show[s] === 0) continue;
    mask[p] = show[s];
    const o = p * 4;
    image[o] = rgba[o];
    image[o + 1] = rgba[o + 1];
    image[o + 2] = rgba[o + 2];
    image[o + 3] = rgba[o + 3];
    if (channel[s] >= 0) image[o + channel[s]] = max;
  }
  return { image, mask, features };
}

/**
 * skimage.segmentation.find_boundaries(labels, connectivity=1, mode='outer', background=0):
 * a cross-neighbourhood label change, minus object pixels whose 3×3 square touches only their own
 * label and background (so object/background borders are drawn on the background side and
 * object/object borders on both sides).
 */
export function outerBoundaries(labels: ArrayLike<number>, width: number, height: number): Uint8Array {
  const n = width * height;
  if (labels.length !== n) throw new Error(`expected ${n} labels, got ${labels.length}`);
  const out = new Uint8Array(n);
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p++) {
      const v = labels[p];
      // find_boundaries 'thick': dilation != erosion over the cross.
      let lo = v;
      let hi = v;
      if (x > 0) (lo = Math.min(lo, labels[p - 1])), (hi = Math.max(hi, labels[p - 1]));
      if (x < width - 1) (lo = Math.min(lo, labels[p + 1])), (hi = Math.max(hi, labels[p + 1]));
      if (y > 0) (lo = Math.min(lo, labels[p - width])), (hi = Math.max(hi, labels[p - width]));
      if (y < height - 1) (lo = Math.min(lo, labels[p + width])), (hi = Math.max(hi, labels[p + width]));
      if (lo === hi) continue;
      if (v === 0) {
        out[p] = 1;
        continue;
      }
      // Object pixel: keep only if it touches another object (dilation of labels over the square
      // differs from the erosion of labels-with-background-as-+∞ over the square).
      let dil = -Infinity;
      let ero = Infinity;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const u = labels[yy * width + xx];
          if (u > dil) dil = u;
          const inv = u === 0 ? Infinity : u;
          if (inv < ero) ero = inv;
        }
      }
      if (dil !== ero) out[p] = 1;
    }
  }
  return out;
}

/** skimage's mark_boundaries(image, labels) on RGBA pixels, in place: outer boundaries in `color`. */
export function markBoundaries(rgba: Uint8ClampedArray, labels: ArrayLike<number>, width: number, height: number, color: readonly [number, number, number] = [255, 255, 0]): Uint8ClampedArray {
  const b = outerBoundaries(labels, width, height);
  for (let p = 0; p < b.length; p++) {
    if (!b[p]) continue;
    rgba[p * 4] = color[0];
    rgba[p * 4 + 1] = color[1];
    rgba[p * 4 + 2] = color[2];
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}

/** get_image_and_mask, then mark_boundaries(temp, mask): the figure lime's tutorials draw. RGBA. */
export function renderLimeView(
  rgba: Uint8ClampedArray | Uint8Array,
  segments: Int32Array,
  exp: LocalExp,
  width: number,
  height: number,
  opts: LimeRenderOptions = {},
): LimeImageAndMask {
  if (segments.length !== width * height) throw new Error(`expected ${width * height} segment labels, got ${segments.length}`);
  const r = limeImageAndMask(rgba, segments, exp, opts);
  const color = opts.boundaryColor === undefined ? ([255, 255, 0] as const) : opts.boundaryColor;
  if (color) markBoundaries(r.image, r.mask, width, height, color);
  return r;
}

export type LimeSign = 'positive' | 'negative' | 'both';

export function signOptions(sign: LimeSign): Pick<LimeViewOptions, 'positiveOnly' | 'negativeOnly'> {
  return { positiveOnly: sign === 'positive', negativeOnly: sign === 'negative' };
}

/** Accessible description, e.g. "LIME, class red square, top 5 positive superpixels, rest hidden". */
export function describeLimeView(className: string, sign: LimeSign, numFeatures: number, hideRest: boolean, shown: number): string {
  const kind = sign === 'both' ? 'superpixels (green tint positive, red tint negative)' : `${sign} superpixel${numFeatures === 1 ? '' : 's'}`;
  const found = shown < numFeatures ? ` (${shown} found)` : '';
  return `LIME, class ${className}, top ${numFeatures} ${kind}${found}, outlined in yellow${hideRest ? ', rest hidden' : ''}`;
}

/** localExp from an explanation's result JSON, by class index (entries validated). */
export function localExpOf(result: unknown): Map<number, [number, number][]> {
  const out = new Map<number, [number, number][]>();
  const le = (result as { localExp?: Record<string, unknown> } | null)?.localExp;
  if (!le || typeof le !== 'object') return out;
  for (const [k, v] of Object.entries(le)) {
    if (!Array.isArray(v)) continue;
    const list = v.filter((x): x is [number, number] => Array.isArray(x) && typeof x[0] === 'number' && typeof x[1] === 'number').map(([f, w]) => [f, w] as [number, number]);
    if (Number.isInteger(Number(k))) out.set(Number(k), list);
  }
  return out;
}
