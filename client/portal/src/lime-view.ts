// LIME views computed in the browser from what a finished LIME explanation stores (the superpixel
// labels `raw-segments.npy` and `result.localExp`), so the portal can switch between positive only /
// negative only / both, hide rest and the number of features instantly, without re-running LIME.
// Pure functions (no DOM): unit-tested in test/portal/lime-view.test.ts.
//
// The selection and the image and mask are lime's get_image_and_mask as the service computes them
// (src/engine/render/lime-selection.ts, a pure module the portal imports), here over canvas RGBA; the
// outlines are skimage's mark_boundaries(temp, mask) (mode 'outer', yellow) from the engine's
// segment/boundaries.ts — the outlines of the selected superpixels, as lime's examples draw them.
import { limePixels, limeSelection, type LimeViewOptions } from '../../../src/engine/render/lime-selection.ts';
import { segmentBoundaries } from '../../../src/engine/segment/boundaries.ts';

/** lime's local_exp for one class: [segment id, weight] sorted by |weight| descending. */
export type LocalExp = ReadonlyArray<readonly [number, number]>;

export interface LimeRenderOptions extends LimeViewOptions {
  /** Boundary colour; default skimage's yellow (1, 1, 0). null: no boundaries. */
  boundaryColor?: readonly [number, number, number] | null;
}

export interface LimeImageAndMask {
  /** RGBA, same size as the input; alpha copied from the input (255 for hidden pixels without one). */
  image: Uint8ClampedArray<ArrayBuffer>;
  /** Per pixel 1, −1 (negative, only when both signs are shown) or 0. */
  mask: Int32Array;
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

/**
 * local_exp as one weight per segment id (0 for segments it does not list), which the engine's
 * selection ranks by |weight| as local_exp is sorted.
 */
function weightsOf(exp: LocalExp): Float64Array {
  let maxId = -1;
  for (const [f] of exp) if (f > maxId) maxId = f;
  const weights = new Float64Array(maxId + 1);
  for (const [f, w] of exp) if (f >= 0) weights[f] = w;
  return weights;
}

/** lime's get_image_and_mask over RGBA pixels (canvas ImageData order). */
export function limeImageAndMask(rgba: Uint8ClampedArray | Uint8Array, segments: Int32Array, exp: LocalExp, opts: LimeViewOptions = {}): LimeImageAndMask {
  const { selected, show } = limeSelection(weightsOf(exp), opts);
  const { image, mask } = limePixels(rgba, 4, segments, show, opts);
  return { image: new Uint8ClampedArray(image.buffer), mask, features: selected };
}

/** skimage's mark_boundaries(image, labels) on RGBA pixels, in place: outer boundaries in `color`, opaque. */
function markBoundaries(rgba: Uint8ClampedArray, labels: Int32Array, width: number, height: number, color: readonly [number, number, number]): void {
  const b = segmentBoundaries(labels, width, height, 'outer', 0);
  for (let p = 0; p < b.length; p++) {
    if (!b[p]) continue;
    rgba.set(color, p * 4);
    rgba[p * 4 + 3] = 255;
  }
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
