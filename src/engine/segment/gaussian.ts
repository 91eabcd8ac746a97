// scipy.ndimage.gaussian_filter over the two spatial axes of an interleaved multichannel float64
// image (channels untouched), mode 'reflect' (d c b a | a b c d), truncate 4.0 — what
// skimage.filters.gaussian(image, sigma=[s, s, 0], mode='reflect') does.
//
// Every output value is the plain correlation sum 0 + x₀k₀ + x₁k₁ + … + x₂ᵣk₂ᵣ in tap order (float64,
// each product rounded before its add, as a per-sample loop computes it), so results are bit-exact
// with a straightforward implementation. Speed comes from the loop order only: a whole row of
// outputs is accumulated one tap at a time, reading contiguous memory (no strided gathers) with
// independent sums per sample, several taps per sweep.

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
 * dst[d0 + i] = Σ_j src[off[j] + i]·k[j] for i in [0, len), summed in tap order starting from 0.
 * A sweep over i adds eight taps (then four, then one), left to right, so the order per sample is
 * unchanged; eight measured fastest (fewer loads and stores of dst per product).
 */
function correlateRow(src: Float64Array, off: Int32Array, k: Float64Array, dst: Float64Array, d0: number, len: number): void {
  const taps = k.length;
  const a = off[0];
  const k0 = k[0];
  // 0 + p equals p for every p but −0, which it turns into +0, as the per-sample loop does.
  for (let i = 0; i < len; i++) dst[d0 + i] = 0 + src[a + i] * k0;
  let j = 1;
  for (; j + 7 < taps; j += 8) {
    const o0 = off[j], o1 = off[j + 1], o2 = off[j + 2], o3 = off[j + 3], o4 = off[j + 4], o5 = off[j + 5], o6 = off[j + 6], o7 = off[j + 7];
    const c0 = k[j], c1 = k[j + 1], c2 = k[j + 2], c3 = k[j + 3], c4 = k[j + 4], c5 = k[j + 5], c6 = k[j + 6], c7 = k[j + 7];
    for (let i = 0; i < len; i++) {
      dst[d0 + i] = dst[d0 + i] + src[o0 + i] * c0 + src[o1 + i] * c1 + src[o2 + i] * c2 + src[o3 + i] * c3 + src[o4 + i] * c4 + src[o5 + i] * c5 + src[o6 + i] * c6 + src[o7 + i] * c7;
    }
  }
  for (; j + 3 < taps; j += 4) {
    const o0 = off[j], o1 = off[j + 1], o2 = off[j + 2], o3 = off[j + 3];
    const c0 = k[j], c1 = k[j + 1], c2 = k[j + 2], c3 = k[j + 3];
    for (let i = 0; i < len; i++) dst[d0 + i] = dst[d0 + i] + src[o0 + i] * c0 + src[o1 + i] * c1 + src[o2 + i] * c2 + src[o3 + i] * c3;
  }
  for (; j < taps; j++) {
    const o = off[j];
    const c = k[j];
    for (let i = 0; i < len; i++) dst[d0 + i] = dst[d0 + i] + src[o + i] * c;
  }
}

/** Smooths rows then columns (scipy's axis order) of an H×W×C interleaved image; returns a new array. */
export function gaussianFilter(img: Float64Array, width: number, height: number, channels: number, sigma: number): Float64Array {
  if (!(sigma > 1e-15)) return img.slice();
  const k = gaussianKernel1d(sigma);
  const r = (k.length - 1) / 2;
  const rowLen = width * channels;
  const tmp = new Float64Array(img.length);
  const out = new Float64Array(img.length);
  const off = new Int32Array(k.length);
  // axis 0: output row y is the k-weighted sum of input rows reflect(y − r + j).
  for (let y = 0; y < height; y++) {
    for (let j = 0; j < k.length; j++) off[j] = reflectIndex(y - r + j, height) * rowLen;
    correlateRow(img, off, k, tmp, y * rowLen, rowLen);
  }
  // axis 1: each row padded by reflection, then output sample (x, c) sums padded samples (x + j, c).
  const padded = new Float64Array((width + 2 * r) * channels);
  for (let j = 0; j < k.length; j++) off[j] = j * channels;
  for (let y = 0; y < height; y++) {
    const base = y * rowLen;
    for (let x = -r; x < width + r; x++) {
      const from = base + reflectIndex(x, width) * channels;
      for (let c = 0; c < channels; c++) padded[(x + r) * channels + c] = tmp[from + c];
    }
    correlateRow(padded, off, k, out, base, rowLen);
  }
  return out;
}
