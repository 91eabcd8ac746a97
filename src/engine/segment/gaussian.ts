// scipy.ndimage.gaussian_filter over the two spatial axes of an interleaved multichannel float64
// image (channels untouched), mode 'reflect' (d c b a | a b c d), truncate 4.0 — what
// skimage.filters.gaussian(image, sigma=[s, s, 0], mode='reflect') does.
//
// Every output value is summed as scipy's NI_Correlate1D sums it for a symmetric kernel (ni_filters.c):
// the centre tap first, then each pair of taps at equal distance, outermost pair first, the two
// samples added before their shared weight multiplies them — x_c·k_r + (x_{−r} + x_{+r})·k_0 + … —
// in float64: the same operations in the same order as scipy (r + 1 products per sample, not 2r + 1).
// Speed comes from the loop order: a whole row of outputs is accumulated tap by tap, reading
// contiguous memory (no strided gathers) with independent sums per sample, eight samples at a time
// in WebAssembly SIMD (simd-correlate.ts) and the rest of a row in the JS loop below.
import { simdCorrelator } from './simd-correlate.ts';

/** scipy's _gaussian_kernel1d(sigma, 0, radius) with radius = int(truncate * sigma + 0.5). */
export function gaussianKernel1d(sigma: number, truncate = 4): Float64Array {
  const radius = Math.trunc(truncate * sigma + 0.5);
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let x = -radius; x <= radius; x++) {
    const v = Math.exp((-0.5 / (sigma * sigma)) * x * x);
    k[x + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Index in [0, n) for i under half-sample symmetric reflection (scipy 'reflect'). */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n;
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - 1 - j;
}

/**
 * dst[d0 + i] = src[off[r] + i]·k[r] + Σ_{m = 0…r−1} (src[off[m] + i] + src[off[2r − m] + i])·k[m] for i in
 * [from, len), in that order for every sample (k symmetric, as gaussianKernel1d's always is). A sweep
 * over i adds eight pairs (then four, then one), left to right, so the order per sample is unchanged;
 * fewer sweeps mean fewer loads and stores of dst per product.
 */
function correlateRow(src: Float64Array, off: Int32Array, k: Float64Array, dst: Float64Array, d0: number, from: number, len: number): void {
  const r = (k.length - 1) / 2;
  const oc = off[r];
  const kc = k[r];
  for (let i = from; i < len; i++) dst[d0 + i] = src[oc + i] * kc;
  const last = 2 * r;
  let m = 0;
  for (; m + 7 < r; m += 8) {
    const a0 = off[m], a1 = off[m + 1], a2 = off[m + 2], a3 = off[m + 3], a4 = off[m + 4], a5 = off[m + 5], a6 = off[m + 6], a7 = off[m + 7];
    const b0 = off[last - m], b1 = off[last - m - 1], b2 = off[last - m - 2], b3 = off[last - m - 3];
    const b4 = off[last - m - 4], b5 = off[last - m - 5], b6 = off[last - m - 6], b7 = off[last - m - 7];
    const c0 = k[m], c1 = k[m + 1], c2 = k[m + 2], c3 = k[m + 3], c4 = k[m + 4], c5 = k[m + 5], c6 = k[m + 6], c7 = k[m + 7];
    for (let i = from; i < len; i++) {
      dst[d0 + i] =
        dst[d0 + i] +
        (src[a0 + i] + src[b0 + i]) * c0 +
        (src[a1 + i] + src[b1 + i]) * c1 +
        (src[a2 + i] + src[b2 + i]) * c2 +
        (src[a3 + i] + src[b3 + i]) * c3 +
        (src[a4 + i] + src[b4 + i]) * c4 +
        (src[a5 + i] + src[b5 + i]) * c5 +
        (src[a6 + i] + src[b6 + i]) * c6 +
        (src[a7 + i] + src[b7 + i]) * c7;
    }
  }
  for (; m + 3 < r; m += 4) {
    const a0 = off[m], a1 = off[m + 1], a2 = off[m + 2], a3 = off[m + 3];
    const b0 = off[last - m], b1 = off[last - m - 1], b2 = off[last - m - 2], b3 = off[last - m - 3];
    const c0 = k[m], c1 = k[m + 1], c2 = k[m + 2], c3 = k[m + 3];
    for (let i = from; i < len; i++) {
      dst[d0 + i] = dst[d0 + i] + (src[a0 + i] + src[b0 + i]) * c0 + (src[a1 + i] + src[b1 + i]) * c1 + (src[a2 + i] + src[b2 + i]) * c2 + (src[a3 + i] + src[b3 + i]) * c3;
    }
  }
  for (; m < r; m++) {
    const a = off[m];
    const b = off[last - m];
    const c = k[m];
    for (let i = from; i < len; i++) dst[d0 + i] = dst[d0 + i] + (src[a + i] + src[b + i]) * c;
  }
}

/**
 * Smooths rows then columns (scipy's axis order) of an H×W×C interleaved image (any numbers, e.g. a
 * uint8 crop, taken as float64); returns a new array.
 */
export function gaussianFilter(img: ArrayLike<number>, width: number, height: number, channels: number, sigma: number): Float64Array {
  if (!(sigma > 1e-15)) return Float64Array.from(img);
  const k = gaussianKernel1d(sigma);
  const r = (k.length - 1) / 2;
  const n = img.length;
  const rowLen = width * channels;
  const padLen = (width + 2 * r) * channels;
  // One buffer holds the image (overwritten by the output once the first pass is done), the first
  // pass's result and a padded row; in WebAssembly memory when SIMD is there.
  const simd = simdCorrelator(k, 2 * n + padLen);
  const buf = simd ? simd.f64 : new Float64Array(2 * n + padLen);
  const base = simd ? simd.base : 0;
  const [tmp, padded] = [base + n, base + 2 * n];
  buf.set(img, base);
  // Samples [0, vector) of a row go to SIMD, the rest (fewer than 8) to the JS loop.
  const vector = simd ? rowLen - (rowLen % 8) : 0;
  const row = (off: Int32Array, d0: number) => {
    if (simd && vector) simd.correlate(off, d0, vector);
    correlateRow(buf, off, k, buf, d0, vector, rowLen);
  };
  const off = new Int32Array(k.length);
  // axis 0: output row y is the k-weighted sum of input rows reflect(y − r + j).
  for (let y = 0; y < height; y++) {
    for (let j = 0; j < k.length; j++) off[j] = base + reflectIndex(y - r + j, height) * rowLen;
    row(off, tmp + y * rowLen);
  }
  // axis 1: each row padded by reflection, then output sample (x, c) sums padded samples (x + j, c).
  for (let j = 0; j < k.length; j++) off[j] = padded + j * channels;
  for (let y = 0; y < height; y++) {
    const from0 = tmp + y * rowLen;
    for (let x = -r; x < width + r; x++) {
      const from = from0 + reflectIndex(x, width) * channels;
      for (let c = 0; c < channels; c++) buf[padded + (x + r) * channels + c] = buf[from + c];
    }
    row(off, base + y * rowLen);
  }
  return buf.slice(base, base + n);
}
