// scipy.ndimage.gaussian_filter over the two spatial axes of an interleaved multichannel float64
// image (channels untouched), mode 'reflect' (d c b a | a b c d), truncate 4.0 — what
// skimage.filters.gaussian(image, sigma=[s, s, 0], mode='reflect') does.

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
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n;
  let j = i % period;
  if (j < 0) j += period;
  return j < n ? j : period - 1 - j;
}

/** 1-D correlation along one axis: `count` lines of `n` samples, sample stride `stride`, line starts from `lineStart`. */
function filterAxis(src: Float64Array, dst: Float64Array, n: number, lines: number, lineStart: (l: number) => number, stride: number, k: Float64Array): void {
  const r = (k.length - 1) / 2;
  const buf = new Float64Array(n + 2 * r);
  for (let l = 0; l < lines; l++) {
    const base = lineStart(l);
    for (let i = -r; i < n + r; i++) buf[i + r] = src[base + reflect(i, n) * stride];
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < k.length; j++) s += buf[i + j] * k[j];
      dst[base + i * stride] = s;
    }
  }
}

/** Smooths rows then columns (scipy's axis order) of an H×W×C interleaved image; returns a new array. */
export function gaussianFilter(img: Float64Array, width: number, height: number, channels: number, sigma: number): Float64Array {
  if (!(sigma > 1e-15)) return img.slice();
  const k = gaussianKernel1d(sigma);
  const tmp = new Float64Array(img.length);
  const out = new Float64Array(img.length);
  // axis 0 (rows): for each (column, channel) a line of `height` samples with stride width×C.
  filterAxis(img, tmp, height, width * channels, (l) => l, width * channels, k);
  // axis 1 (columns): for each (row, channel) a line of `width` samples with stride C.
  filterAxis(tmp, out, width, height * channels, (l) => Math.floor(l / channels) * width * channels + (l % channels), channels, k);
  return out;
}
