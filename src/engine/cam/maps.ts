// Small numeric kernels on 2-D maps shared by the CAM and input-gradient explainers: bilinear
// resizing (OpenCV's INTER_LINEAR and torch's align_corners=True variants), min-max scaling,
// horizontal flips, and the per-layer finish every CAM map gets.

/** Per-output-index source taps of a 1-D linear resize: out[i] = in[i0]·(1−f) + in[i1]·f. */
interface Taps {
  i0: Int32Array;
  i1: Int32Array;
  f: Float32Array;
}

/**
 * OpenCV cv2.resize(INTER_LINEAR) taps: half-pixel centres, src = (dst + 0.5)·in/out − 0.5,
 * clamped to the border (float images use float coefficients, no fixed-point rounding).
 */
function cvTaps(inSize: number, outSize: number): Taps {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const f = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let d = 0; d < outSize; d++) {
    let fx = (d + 0.5) * scale - 0.5;
    let sx = Math.floor(fx);
    fx -= sx;
    if (sx < 0) {
      sx = 0;
      fx = 0;
    }
    if (sx >= inSize - 1) {
      sx = inSize - 1;
      fx = 0;
    }
    i0[d] = sx;
    i1[d] = Math.min(sx + 1, inSize - 1);
    f[d] = fx;
  }
  return { i0, i1, f };
}

/** torch.nn.UpsamplingBilinear2d taps (align_corners=True): src = dst·(in − 1)/(out − 1). */
function alignCornerTaps(inSize: number, outSize: number): Taps {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const f = new Float32Array(outSize);
  const scale = outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  for (let d = 0; d < outSize; d++) {
    const src = d * scale;
    const s = Math.min(Math.floor(src), inSize - 1);
    i0[d] = s;
    i1[d] = Math.min(s + 1, inSize - 1);
    f[d] = src - s;
  }
  return { i0, i1, f };
}

const tapCache = new Map<string, Taps>();
function taps(kind: 'cv' | 'align', inSize: number, outSize: number): Taps {
  const key = `${kind}:${inSize}:${outSize}`;
  let t = tapCache.get(key);
  if (!t) {
    t = kind === 'cv' ? cvTaps(inSize, outSize) : alignCornerTaps(inSize, outSize);
    if (tapCache.size > 64) tapCache.clear();
    tapCache.set(key, t);
  }
  return t;
}

/** Separable bilinear resize of one h×w map into an H×W map (`out` reused when given). */
export function resizeBilinear(
  src: ArrayLike<number>,
  h: number,
  w: number,
  H: number,
  W: number,
  mode: 'cv' | 'align' = 'cv',
  out: Float32Array = new Float32Array(H * W),
  srcOffset = 0,
): Float32Array {
  const tx = taps(mode, w, W);
  const ty = taps(mode, h, H);
  // Rows first (h × W), then columns.
  const rows = new Float32Array(h * W);
  for (let y = 0; y < h; y++) {
    const base = srcOffset + y * w;
    const r = y * W;
    for (let x = 0; x < W; x++) {
      const a = src[base + tx.i0[x]];
      const b = src[base + tx.i1[x]];
      rows[r + x] = a + (b - a) * tx.f[x];
    }
  }
  for (let y = 0; y < H; y++) {
    const r0 = ty.i0[y] * W;
    const r1 = ty.i1[y] * W;
    const fy = ty.f[y];
    const o = y * W;
    for (let x = 0; x < W; x++) {
      const a = rows[r0 + x];
      out[o + x] = a + (rows[r1 + x] - a) * fy;
    }
  }
  return out;
}

/** In place: x ← max(x, 0). */
export function reluInPlace(m: Float32Array | Float64Array): void {
  for (let i = 0; i < m.length; i++) if (!(m[i] > 0)) m[i] = 0;
}

/**
 * pytorch-grad-cam's scale_cam_image for one map: (x − min) / (1e-7 + max(x − min)), in place.
 * A constant map becomes all zeros.
 */
export function minMaxInPlace(m: Float32Array | Float64Array, eps = 1e-7): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < m.length; i++) {
    if (m[i] < lo) lo = m[i];
    if (m[i] > hi) hi = m[i];
  }
  if (!Number.isFinite(lo)) return;
  const d = 1 / (eps + (hi - lo));
  for (let i = 0; i < m.length; i++) m[i] = (m[i] - lo) * d;
}

/** Mirror an H×W map left-right, in place. */
export function flipMapInPlace(m: Float32Array, H: number, W: number): void {
  for (let y = 0; y < H; y++) {
    const r = y * W;
    for (let a = r, b = r + W - 1; a < b; a++, b--) {
      const t = m[a];
      m[a] = m[b];
      m[b] = t;
    }
  }
}

/**
 * compute_cam_per_layer + aggregate_multi_layers for one layer: ReLU, min-max, bilinear resize
 * (cv2.resize), ReLU, min-max. Returns the H×W map and the low-resolution maximum after ReLU.
 */
export function finishCam(cam: Float32Array, h: number, w: number, H: number, W: number): { map: Float32Array; rawMax: number } {
  reluInPlace(cam);
  let rawMax = 0;
  for (let i = 0; i < cam.length; i++) if (cam[i] > rawMax) rawMax = cam[i];
  minMaxInPlace(cam);
  const map = resizeBilinear(cam, h, w, H, W, 'cv');
  reluInPlace(map);
  minMaxInPlace(map);
  return { map, rawMax };
}
