// Attribution maps as images: a colored heatmap at the model-input resolution, and an overlay of
// the map on the ORIGINAL image at its original resolution.
//
// Unsigned maps (CAM-style, ≥ 0) use a sequential colormap. Signed maps (SHAP, IG, LIME weights)
// use shap's red_transparent_blue symmetric around 0, as shap.image_plot shows them:
// vmin = −s, vmax = +s with s = max |v| by default (shap itself uses the 99.9th percentile of
// |v| over the row — pass `percentile: 99.9`, and `maxAbs` to share one scale across classes).
//
// Overlays of unsigned maps reproduce pytorch-grad-cam's show_cam_on_image(img, mask, use_rgb=True,
// image_weight = 1 − opacity): cam = opacity·heatmap + (1 − opacity)·img, cam /= max(cam),
// uint8(255·cam), in float32 like numpy, with the heatmap from cv2.applyColorMap(uint8(255·mask))
// when colormap = 'jet'. Pixels outside the crop box keep the original colors (they take part in
// the final cam /= max(cam), so they are only rescaled when nothing in the image reaches 1), or
// are dimmed to half with `outside: 'dim'`.
import sharp from 'sharp';
import { EngineError } from '../errors.ts';
import type { OpenOptions } from '../image.ts';
import { decodeRgb } from '../pil/decode.ts';
import type { Pixels } from '../pil/resample.ts';
import type { CropGeometry } from '../preprocess.ts';
import { colormapLut, DEFAULT_COLORMAP, divergingLut, isColormapName, lutIndex, type ColormapName } from './colormaps.ts';

export type Normalize = 'minmax' | 'max' | 'none';

export interface NormalizeOptions {
  /**
   * Unsigned maps: 'minmax' → (v − min)/(max − min) (default; pytorch-grad-cam's scale_cam_image),
   * 'max' → v / max (negatives clipped to 0), 'none' → values already in [0, 1] (clipped).
   * Signed maps: 'minmax' and 'max' both → v / s with s = max |v| (or `percentile`), 'none' → values
   * already in [−1, 1].
   */
  normalize?: Normalize;
  /** Negative values carry meaning: symmetric scaling and the diverging map. */
  signed?: boolean;
  /** Signed maps: use this scale s instead of computing it (e.g. one scale for all classes of an image). */
  maxAbs?: number;
  /** Signed maps: s = this percentile of |v| (numpy's linear interpolation); 100 (default) = max |v|, 99.9 = shap. */
  percentile?: number;
}

export interface HeatmapOptions extends NormalizeOptions {
  /** Sequential colormap for unsigned maps (default viridis). Signed maps always use the diverging map. */
  colormap?: ColormapName;
}

export interface OverlayOptions extends HeatmapOptions, OpenOptions {
  /** Heatmap weight, 0..1 (default 0.5 = show_cam_on_image's image_weight 0.5). */
  opacity?: number;
  /** Pixels outside the crop box: keep them (default) or dim them to half brightness. */
  outside?: 'keep' | 'dim';
}

export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

function invalid(message: string): never {
  throw new EngineError('INVALID_ARGUMENT', message);
}

function checkMap(map: Float32Array, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    invalid(`map size must be positive integers, got ${width}×${height}`);
  }
  if (!(map instanceof Float32Array) || map.length !== width * height) {
    invalid(`expected a Float32Array of ${width * height} values (${width}×${height}), got ${map?.length}`);
  }
}

function checkColormap(name: unknown): ColormapName {
  const c = name ?? DEFAULT_COLORMAP;
  if (!isColormapName(c)) invalid(`unknown colormap ${String(c)}`);
  return c;
}

/** numpy.percentile (linear) of |v| over the finite values. */
export function absPercentile(map: ArrayLike<number>, q: number): number {
  const vals: number[] = [];
  for (let i = 0; i < map.length; i++) if (Number.isFinite(map[i])) vals.push(Math.abs(map[i]));
  if (vals.length === 0) return 0;
  if (q >= 100) return vals.reduce((m, v) => (v > m ? v : m), 0);
  vals.sort((a, b) => a - b);
  const pos = (Math.max(0, q) / 100) * (vals.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(vals.length - 1, lo + 1);
  return vals[lo] + (pos - lo) * (vals[hi] - vals[lo]);
}

/**
 * The map scaled for a colormap: unsigned → [0, 1], signed → [−1, 1]. Non-finite values become 0
 * (the low end, or the transparent middle of the diverging map).
 */
export function normalizeMap(map: Float32Array, opts: NormalizeOptions = {}): Float32Array {
  const mode = opts.normalize ?? 'minmax';
  if (mode !== 'minmax' && mode !== 'max' && mode !== 'none') invalid(`normalize must be minmax, max or none, got ${String(mode)}`);
  const out = new Float32Array(map.length);
  if (opts.signed) {
    let s = 1;
    if (opts.maxAbs !== undefined) {
      if (!(opts.maxAbs >= 0) || !Number.isFinite(opts.maxAbs)) invalid(`maxAbs must be a finite number ≥ 0, got ${opts.maxAbs}`);
      s = opts.maxAbs;
    } else if (mode !== 'none') {
      const q = opts.percentile ?? 100;
      if (!(q >= 0 && q <= 100)) invalid(`percentile must be between 0 and 100, got ${q}`);
      s = absPercentile(map, q);
    }
    for (let i = 0; i < map.length; i++) {
      const v = map[i];
      out[i] = !Number.isFinite(v) || s === 0 ? 0 : Math.max(-1, Math.min(1, v / s));
    }
    return out;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    let t: number;
    if (!Number.isFinite(v)) t = 0;
    else if (mode === 'minmax') t = hi > lo ? (v - lo) / (hi - lo) : 0;
    else if (mode === 'max') t = hi > 0 ? v / hi : 0;
    else t = v;
    out[i] = Math.max(0, Math.min(1, t));
  }
  return out;
}

/** The colored map as raw pixels: RGB for unsigned maps, RGBA (alpha = |v|) for signed ones. */
export function heatmapPixels(map: Float32Array, width: number, height: number, opts: HeatmapOptions = {}): RawImage {
  checkMap(map, width, height);
  const t = normalizeMap(map, opts);
  const n = width * height;
  if (opts.signed) {
    const lut = divergingLut();
    const data = new Uint8Array(n * 4);
    for (let p = 0; p < n; p++) {
      const i = lutIndex((t[p] + 1) / 2, 'diverging') * 4;
      data[p * 4] = lut[i];
      data[p * 4 + 1] = lut[i + 1];
      data[p * 4 + 2] = lut[i + 2];
      data[p * 4 + 3] = lut[i + 3];
    }
    return { data, width, height, channels: 4 };
  }
  const name = checkColormap(opts.colormap);
  const lut = colormapLut(name);
  const data = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const i = lutIndex(t[p], name) * 3;
    data[p * 3] = lut[i];
    data[p * 3 + 1] = lut[i + 1];
    data[p * 3 + 2] = lut[i + 2];
  }
  return { data, width, height, channels: 3 };
}

export async function encodePng(img: RawImage): Promise<Buffer> {
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: img.channels },
  })
    .png()
    .toBuffer();
}

/** The map as a PNG at its own (model-input) resolution. */
export async function renderHeatmap(map: Float32Array, width: number, height: number, opts: HeatmapOptions = {}): Promise<Buffer> {
  return encodePng(heatmapPixels(map, width, height, opts));
}

/** Per output column (or row): whether it lies in the crop box, and its bilinear taps in the map. */
interface Taps {
  inside: Uint8Array;
  i0: Int32Array;
  i1: Int32Array;
  f: Float32Array;
}

/**
 * Original pixel x has center x + 0.5; in resized coordinates (x + 0.5)·scale, in crop coordinates
 * that minus the crop offset, and in map cells that times mapSize/cropSize. Sampling at cell
 * centers (− 0.5) with edge clamping is cv2.resize INTER_LINEAR's (and PIL's) convention.
 */
function taps(outSize: number, scale: number, cropOffset: number, cropSize: number, mapSize: number): Taps {
  const inside = new Uint8Array(outSize);
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const f = new Float32Array(outSize);
  const k = mapSize / cropSize;
  for (let x = 0; x < outSize; x++) {
    const c = (x + 0.5) * scale - cropOffset;
    if (c < 0 || c >= cropSize) continue;
    inside[x] = 1;
    const u = Math.max(0, Math.min(mapSize - 1, c * k - 0.5));
    const a = Math.floor(u);
    i0[x] = a;
    i1[x] = Math.min(mapSize - 1, a + 1);
    f[x] = u - a;
  }
  return { inside, i0, i1, f };
}

function checkGeometry(g: CropGeometry): void {
  const pos = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  if (!g || !pos(g.originalWidth) || !pos(g.originalHeight) || !pos(g.scaleX) || !pos(g.scaleY) || !pos(g.width) || !pos(g.height)) {
    invalid('invalid crop geometry');
  }
  if (!g.decode) invalid('the crop geometry does not say how the original was decoded');
}

/**
 * Composes the overlay from an already decoded original (uint8 RGB, HWC, decoded as the geometry
 * records: same orientation as the model saw). Pure and synchronous; renderOverlay decodes and
 * encodes around it.
 */
export function overlayPixels(
  original: Uint8Array,
  geometry: CropGeometry,
  map: Float32Array,
  width: number,
  height: number,
  opts: OverlayOptions = {},
): RawImage {
  checkMap(map, width, height);
  checkGeometry(geometry);
  const W = geometry.originalWidth;
  const H = geometry.originalHeight;
  if (original.length !== W * H * 3) invalid(`expected ${W * H * 3} RGB bytes for the ${W}×${H} original, got ${original.length}`);
  const opacity = opts.opacity ?? 0.5;
  if (!(opacity >= 0 && opacity <= 1)) invalid(`opacity must be between 0 and 1, got ${opacity}`);
  const outside = opts.outside ?? 'keep';
  if (outside !== 'keep' && outside !== 'dim') invalid(`outside must be keep or dim, got ${String(outside)}`);
  const t = normalizeMap(map, opts);
  const cols = taps(W, geometry.scaleX, geometry.cropLeft, geometry.width, width);
  const rows = taps(H, geometry.scaleY, geometry.cropTop, geometry.height, height);
  const out = new Uint8Array(W * H * 3);
  const sample = (x: number, y: number): number => {
    const r0 = rows.i0[y] * width;
    const r1 = rows.i1[y] * width;
    const fx = cols.f[x];
    const fy = rows.f[y];
    const a = t[r0 + cols.i0[x]] + fx * (t[r0 + cols.i1[x]] - t[r0 + cols.i0[x]]);
    const b = t[r1 + cols.i0[x]] + fx * (t[r1 + cols.i1[x]] - t[r1 + cols.i0[x]]);
    return a + fy * (b - a);
  };
  const dim = outside === 'dim' ? 0.5 : 1;

  if (opts.signed) {
    // shap's look: diverging color composited with its own alpha (× opacity) over the photo.
    const lut = divergingLut();
    for (let y = 0, p = 0; y < H; y++) {
      for (let x = 0; x < W; x++, p += 3) {
        if (!rows.inside[y] || !cols.inside[x]) {
          for (let c = 0; c < 3; c++) out[p + c] = dim === 1 ? original[p + c] : Math.round(original[p + c] * dim);
          continue;
        }
        const i = lutIndex((sample(x, y) + 1) / 2, 'diverging') * 4;
        const a = (lut[i + 3] / 255) * opacity;
        for (let c = 0; c < 3; c++) out[p + c] = Math.round(original[p + c] * (1 - a) + lut[i + c] * a);
      }
    }
    return { data: out, width: W, height: H, channels: 3 };
  }

  // show_cam_on_image in float32: cam = (1 − iw)·heat + iw·img; cam /= max(cam); uint8(255·cam).
  const name = checkColormap(opts.colormap);
  const lut = colormapLut(name);
  const f = Math.fround;
  const iw = 1 - opacity; // image_weight
  const hw = 1 - iw;
  const imgF = Float32Array.from({ length: 256 }, (_, v) => f(v / 255));
  const heatF = Float32Array.from({ length: 256 }, (_, v) => f(v / 255));
  const outsideF = Float32Array.from({ length: 256 }, (_, v) => f(f(v / 255) * dim));
  const cam = (x: number, y: number, p: number, c: number, idx: number): number =>
    rows.inside[y] && cols.inside[x] ? f(f(hw * heatF[lut[idx + c]]) + f(iw * imgF[original[p + c]])) : outsideF[original[p + c]];
  const index = (x: number, y: number) => (rows.inside[y] && cols.inside[x] ? lutIndex(sample(x, y), name) * 3 : 0);
  // Pass 1: max(cam). Pass 2: write. (Recomputing beats holding a float copy of a 50 MP image.)
  let max = 0;
  for (let y = 0, p = 0; y < H; y++) {
    for (let x = 0; x < W; x++, p += 3) {
      const idx = index(x, y);
      for (let c = 0; c < 3; c++) {
        const v = cam(x, y, p, c, idx);
        if (v > max) max = v;
      }
    }
  }
  const m = f(max);
  for (let y = 0, p = 0; y < H; y++) {
    for (let x = 0; x < W; x++, p += 3) {
      const inBox = rows.inside[y] && cols.inside[x];
      if (!inBox && m === 1 && dim === 1) {
        // Untouched pixel: exactly the original (numpy's float round trip could lose 1 here).
        out[p] = original[p];
        out[p + 1] = original[p + 1];
        out[p + 2] = original[p + 2];
        continue;
      }
      const idx = index(x, y);
      for (let c = 0; c < 3; c++) {
        const v = m > 0 ? f(cam(x, y, p, c, idx) / m) : 0;
        out[p + c] = Math.min(255, Math.max(0, Math.trunc(f(255 * v))));
      }
    }
  }
  return { data: out, width: W, height: H, channels: 3 };
}

/**
 * The map (model-input grid, width × height) drawn over the original image at its original
 * resolution, upsampled bilinearly to the crop box. The original is decoded as the model's input
 * was (geometry.decode), so the picture has the orientation and colours the model saw. Returns a PNG.
 */
export async function renderOverlay(
  originalImage: Buffer | Pixels,
  geometry: CropGeometry,
  map: Float32Array,
  width: number,
  height: number,
  opts: OverlayOptions = {},
): Promise<Buffer> {
  checkGeometry(geometry);
  const decoded = Buffer.isBuffer(originalImage) ? await decodeRgb(originalImage, geometry.decode, opts) : originalImage;
  const { width: W, height: H } = decoded;
  if (W !== geometry.originalWidth || H !== geometry.originalHeight) {
    invalid(`the image is ${W}×${H} but the crop geometry is for ${geometry.originalWidth}×${geometry.originalHeight}`);
  }
  return encodePng(overlayPixels(decoded.data, geometry, map, width, height, opts));
}
