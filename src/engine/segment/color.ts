// sRGB uint8 → CIELAB exactly as skimage.color.rgb2lab (D65, 2° observer), in float64.

// skimage's xyz_from_rgb and its D65/2° white point (the historical `lab_ref_white`).
const M = [0.412453, 0.35758, 0.180423, 0.212671, 0.71516, 0.072169, 0.019334, 0.119193, 0.950227];
const WHITE = [0.95047, 1, 1.08883];

function linearize(c: number): number {
  return c > 0.04045 ? Math.pow((c + 0.055) / 1.055, 2.4) : c / 12.92;
}

function f(t: number): number {
  return t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116;
}

/** Linear-light value of each uint8 level (img_as_float: v / 255), optionally min/max rescaled first. */
function linearTable(lo = 0, hi = 255): Float64Array {
  const t = new Float64Array(256);
  const range = (hi - lo) / 255;
  for (let v = 0; v < 256; v++) {
    let c = v / 255;
    if (lo !== 0 || hi !== 255) c = range !== 0 ? (c - lo / 255) / range : c - lo / 255;
    t[v] = linearize(c);
  }
  return t;
}

/**
 * CIELAB of an interleaved uint8 RGB image, interleaved float64 [L, a, b]. With `rescale`, the
 * image is first stretched to [0, 1] by its global min/max over all channels (what skimage's
 * slic does before converting).
 */
export function rgbToLab(rgb: Uint8Array, pixels: number, rescale = false): Float64Array {
  let lo = 0;
  let hi = 255;
  if (rescale) {
    lo = 255;
    hi = 0;
    for (let i = 0; i < pixels * 3; i++) {
      const v = rgb[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const lin = linearTable(lo, hi);
  const out = new Float64Array(pixels * 3);
  for (let p = 0, i = 0; p < pixels; p++, i += 3) {
    const r = lin[rgb[i]];
    const g = lin[rgb[i + 1]];
    const b = lin[rgb[i + 2]];
    const fx = f((r * M[0] + g * M[1] + b * M[2]) / WHITE[0]);
    const fy = f((r * M[3] + g * M[4] + b * M[5]) / WHITE[1]);
    const fz = f((r * M[6] + g * M[7] + b * M[8]) / WHITE[2]);
    out[i] = 116 * fy - 16;
    out[i + 1] = 500 * (fx - fy);
    out[i + 2] = 200 * (fy - fz);
  }
  return out;
}
