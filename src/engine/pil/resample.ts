// Pillow 9.4's Image.resize(size, BILINEAR | NEAREST) on interleaved uint8 pixels, bit for bit.
//
// BILINEAR (libImaging/Resample.c): a separable convolution with the triangle kernel widened by the
// scale when shrinking (that is its antialiasing), horizontal pass first. Each output sample's weights
// are computed in float64, normalised to sum 1, then turned into 22-bit fixed point; a pass sums
// pixel × weight in integers from a rounding bias of 2^21 and keeps bits 22..29, clamped to 0..255.
// The horizontal pass's output is rounded to uint8 before the vertical pass reads it.
//
// NEAREST (libImaging/Geometry.c, the affine scale path): source column of output x is
// trunc(x0 + step/2 + x·step) where the position is accumulated by repeated float64 addition of
// step = in/out, exactly as Pillow does (a closed-form x·step can round differently).
//
// Every output pixel depends only on its own weights, so `window` computes just a sub-rectangle of
// the resized image (the center crop) with values identical to resizing everything and cropping.
import { EngineError } from '../errors.ts';

export type ResampleFilter = 'bilinear' | 'nearest';

export interface Pixels {
  /** Interleaved uint8 samples, row-major, width × height × channels. */
  data: Uint8Array;
  width: number;
  height: number;
  channels: number;
}

/** A rectangle of the resized image, in its coordinates. */
export interface Window {
  left: number;
  top: number;
  width: number;
  height: number;
}

const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);

/** Per output sample along one axis: first source index, tap count, and fixed-point weights. */
interface Coefficients {
  start: Int32Array;
  count: Int32Array;
  /** count[i] weights for output i at weights[i × stride …]. */
  weights: Int32Array;
  stride: number;
}

function triangle(x: number): number {
  const a = x < 0 ? -x : x;
  return a < 1 ? 1 - a : 0;
}

/** Resample.c precompute_coeffs + normalize_coeffs_8bpc, for outputs first … first + n − 1 of outSize. */
function bilinearCoefficients(inSize: number, outSize: number, first: number, n: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(1, scale);
  const support = filterScale; // the triangle's support is 1
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(n);
  const count = new Int32Array(n);
  const weights = new Int32Array(n * stride);
  const w = new Float64Array(stride);
  // Pillow multiplies by the reciprocal (ss = 1 / filterscale) instead of dividing; so do we, to round alike.
  const ss = 1 / filterScale;
  for (let i = 0; i < n; i++) {
    const center = (first + i + 0.5) * scale;
    // C's (int) truncates toward zero; a negative result is clamped to 0 right after, so it agrees.
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      w[x] = triangle((x + xmin - center + 0.5) * ss);
      sum += w[x];
    }
    for (let x = 0; x < xmax; x++) {
      const k = sum !== 0 ? w[x] / sum : w[x];
      // (int)(±0.5 + k·2^22): round half away from zero.
      weights[i * stride + x] = k < 0 ? Math.trunc(-0.5 + k * (1 << PRECISION_BITS)) : Math.trunc(0.5 + k * (1 << PRECISION_BITS));
    }
    start[i] = xmin;
    count[i] = xmax;
  }
  return { start, count, weights, stride };
}

/** clip8: bits 22.. of the biased sum, clamped to a byte. */
function clip8(sum: number): number {
  const v = sum >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function checkArgs(src: Pixels, outWidth: number, outHeight: number, win: Window): void {
  const bad = (m: string) => new EngineError('INVALID_ARGUMENT', `resize: ${m}`);
  const { width, height, channels } = src;
  if (![width, height, channels].every((v) => Number.isInteger(v) && v >= 1)) throw bad(`invalid source ${width}×${height}×${channels}`);
  if (src.data.length !== width * height * channels) throw bad(`expected ${width * height * channels} bytes, got ${src.data.length}`);
  if (!Number.isInteger(outWidth) || !Number.isInteger(outHeight) || outWidth < 1 || outHeight < 1) {
    throw bad(`output size must be positive integers, got ${outWidth}×${outHeight}`);
  }
  const ints = [win.left, win.top, win.width, win.height].every(Number.isInteger);
  if (!ints || win.left < 0 || win.top < 0 || win.width < 1 || win.height < 1 || win.left + win.width > outWidth || win.top + win.height > outHeight) {
    throw bad(`window ${win.width}×${win.height}+${win.left}+${win.top} is not inside ${outWidth}×${outHeight}`);
  }
}

/** Horizontal pass over one row: output x sums its taps of the source row starting at `inRow`. */
function horizontalRow(data: Uint8Array, inRow: number, h: Coefficients, C: number, n: number, out: Uint8Array, o: number): void {
  const { start, count, weights, stride } = h;
  if (C === 3) {
    // The usual case, unrolled over the channels: one weight load per three products.
    for (let x = 0; x < n; x++, o += 3) {
      let s0 = HALF;
      let s1 = HALF;
      let s2 = HALF;
      const k0 = x * stride;
      const taps = count[x];
      for (let t = 0, p = inRow + start[x] * 3; t < taps; t++, p += 3) {
        const w = weights[k0 + t];
        s0 += data[p] * w;
        s1 += data[p + 1] * w;
        s2 += data[p + 2] * w;
      }
      out[o] = clip8(s0);
      out[o + 1] = clip8(s1);
      out[o + 2] = clip8(s2);
    }
    return;
  }
  for (let x = 0; x < n; x++) {
    const k0 = x * stride;
    const taps = count[x];
    const base = inRow + start[x] * C;
    for (let c = 0; c < C; c++) {
      let ss = HALF;
      for (let t = 0, p = base + c; t < taps; t++, p += C) ss += data[p] * weights[k0 + t];
      out[o++] = clip8(ss);
    }
  }
}

/** Separable bilinear: horizontal pass over the source rows the window needs, then vertical. */
function resizeBilinear(src: Pixels, outWidth: number, outHeight: number, win: Window): Uint8Array {
  const { data, width, height, channels: C } = src;
  // Pillow skips a pass whose size does not change (it would be the identity anyway).
  let rows: Uint8Array = data;
  let rowsWidth = width;
  let rowsFirst = 0;
  let colFirst = win.left;
  const vert = outHeight !== height ? bilinearCoefficients(height, outHeight, win.top, win.height) : null;
  const firstRow = vert ? vert.start[0] : win.top;
  const lastRow = vert ? vert.start[win.height - 1] + vert.count[win.height - 1] : win.top + win.height;

  if (outWidth !== width) {
    const h = bilinearCoefficients(width, outWidth, win.left, win.width);
    const nRows = lastRow - firstRow;
    const tmp = new Uint8Array(nRows * win.width * C);
    for (let r = 0; r < nRows; r++) horizontalRow(data, (firstRow + r) * width * C, h, C, win.width, tmp, r * win.width * C);
    rows = tmp;
    rowsWidth = win.width;
    rowsFirst = firstRow;
    colFirst = 0;
  }

  const out = new Uint8Array(win.width * win.height * C);
  const rowBytes = rowsWidth * C;
  const len = win.width * C;
  // Vertical pass row by row: each tap adds a weighted source row to the accumulators (sequential reads).
  const acc = new Float64Array(len);
  for (let y = 0; y < win.height; y++) {
    const o = y * len;
    if (!vert) {
      const from = (win.top + y - rowsFirst) * rowBytes + colFirst * C;
      out.set(rows.subarray(from, from + len), o);
      continue;
    }
    acc.fill(HALF);
    const k0 = y * vert.stride;
    const taps = vert.count[y];
    for (let t = 0, base = (vert.start[y] - rowsFirst) * rowBytes + colFirst * C; t < taps; t++, base += rowBytes) {
      const w = vert.weights[k0 + t];
      for (let i = 0; i < len; i++) acc[i] += rows[base + i] * w;
    }
    for (let i = 0; i < len; i++) out[o + i] = clip8(acc[i]);
  }
  return out;
}

/**
 * Source index of every output sample 0 … end − 1, accumulated as Pillow's ImagingScaleAffine does;
 * −1 where the position falls outside the source (Pillow leaves those pixels 0).
 */
function nearestIndices(inSize: number, outSize: number, end: number): Int32Array {
  const step = inSize / outSize;
  const idx = new Int32Array(end);
  let pos = step * 0.5;
  for (let i = 0; i < end; i++) {
    const v = pos < 0 ? -1 : Math.trunc(pos); // COORD(v)
    idx[i] = v < inSize ? v : -1;
    pos += step;
  }
  return idx;
}

function resizeNearest(src: Pixels, outWidth: number, outHeight: number, win: Window): Uint8Array {
  const { data, width, channels: C } = src;
  const xs = nearestIndices(width, outWidth, win.left + win.width);
  const ys = nearestIndices(src.height, outHeight, win.top + win.height);
  const out = new Uint8Array(win.width * win.height * C);
  for (let y = 0, o = 0; y < win.height; y++) {
    const sy = ys[win.top + y];
    for (let x = 0; x < win.width; x++, o += C) {
      const sx = xs[win.left + x];
      if (sy < 0 || sx < 0) continue;
      const p = (sy * width + sx) * C;
      for (let c = 0; c < C; c++) out[o + c] = data[p + c];
    }
  }
  return out;
}

/**
 * PIL's `image.resize((outWidth, outHeight), filter)`, optionally followed by `.crop(window)`.
 * Returns the window's pixels (the whole resized image by default).
 */
export function pilResize(src: Pixels, outWidth: number, outHeight: number, filter: ResampleFilter, window?: Window): Pixels {
  const win = window ?? { left: 0, top: 0, width: outWidth, height: outHeight };
  checkArgs(src, outWidth, outHeight, win);
  let data: Uint8Array;
  if (outWidth === src.width && outHeight === src.height) {
    // Pillow returns a copy when the size is unchanged, whatever the filter.
    data = new Uint8Array(win.width * win.height * src.channels);
    const rowBytes = win.width * src.channels;
    for (let y = 0; y < win.height; y++) {
      const from = ((win.top + y) * src.width + win.left) * src.channels;
      data.set(src.data.subarray(from, from + rowBytes), y * rowBytes);
    }
  } else if (filter === 'bilinear') {
    data = resizeBilinear(src, outWidth, outHeight, win);
  } else if (filter === 'nearest') {
    data = resizeNearest(src, outWidth, outHeight, win);
  } else {
    throw new EngineError('INVALID_ARGUMENT', `resize: unknown filter ${String(filter)}`);
  }
  return { data, width: win.width, height: win.height, channels: src.channels };
}
