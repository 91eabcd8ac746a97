// Image operations for the Partition SHAP maskers: OpenCV's cv2.blur (normalized box filter,
// BORDER_REFLECT_101) and a fast-marching inpainting after Telea (cv2.INPAINT_TELEA).

/** OpenCV borderInterpolate for BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba). */
export function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * n - 2 - i;
  return i;
}

/**
 * cv2.blur(img, (kw, kh)) on an interleaved H×W×C image: mean over a kw×kh window with OpenCV's
 * default anchor (kw/2, kh/2 rounded down), borders reflected 101. Float64 output.
 */
export function boxBlur(src: ArrayLike<number>, width: number, height: number, channels: number, kw: number, kh = kw): Float64Array {
  const tmp = new Float64Array(width * height * channels);
  const out = new Float64Array(width * height * channels);
  const ax = Math.floor(kw / 2);
  const ay = Math.floor(kh / 2);
  // Horizontal pass with a sliding sum over reflected indices.
  const idxX = new Int32Array(width + kw);
  for (let t = 0; t < width + kw; t++) idxX[t] = reflect101(t - ax, width);
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let c = 0; c < channels; c++) {
      let s = 0;
      for (let t = 0; t < kw; t++) s += src[row + idxX[t] * channels + c];
      for (let x = 0; x < width; x++) {
        tmp[row + x * channels + c] = s;
        s += src[row + idxX[x + kw] * channels + c] - src[row + idxX[x] * channels + c];
      }
    }
  }
  const idxY = new Int32Array(height + kh);
  for (let t = 0; t < height + kh; t++) idxY[t] = reflect101(t - ay, height);
  const stride = width * channels;
  const norm = 1 / (kw * kh);
  for (let e = 0; e < stride; e++) {
    let s = 0;
    for (let t = 0; t < kh; t++) s += tmp[idxY[t] * stride + e];
    for (let y = 0; y < height; y++) {
      out[y * stride + e] = s * norm;
      s += tmp[idxY[y + kh] * stride + e] - tmp[idxY[y] * stride + e];
    }
  }
  return out;
}

const KNOWN = 0;
const BAND = 1;
const INSIDE = 2;

/** Binary min-heap of pixel indices keyed by a float array (ties: insertion order). */
class PixelHeap {
  private idx: Int32Array;
  private key: Float64Array;
  private seq: Float64Array;
  private n = 0;
  private counter = 0;
  constructor(capacity: number) {
    this.idx = new Int32Array(capacity);
    this.key = new Float64Array(capacity);
    this.seq = new Float64Array(capacity);
  }
  get size(): number {
    return this.n;
  }
  private less(a: number, b: number): boolean {
    return this.key[a] < this.key[b] || (this.key[a] === this.key[b] && this.seq[a] < this.seq[b]);
  }
  private swap(a: number, b: number): void {
    const i = this.idx[a];
    this.idx[a] = this.idx[b];
    this.idx[b] = i;
    const k = this.key[a];
    this.key[a] = this.key[b];
    this.key[b] = k;
    const s = this.seq[a];
    this.seq[a] = this.seq[b];
    this.seq[b] = s;
  }
  push(p: number, key: number): void {
    if (this.n === this.idx.length) {
      const grow = (a: Int32Array | Float64Array) => {
        const b = new (a.constructor as Int32ArrayConstructor | Float64ArrayConstructor)(a.length * 2);
        b.set(a);
        return b;
      };
      this.idx = grow(this.idx) as Int32Array;
      this.key = grow(this.key) as Float64Array;
      this.seq = grow(this.seq) as Float64Array;
    }
    let i = this.n++;
    this.idx[i] = p;
    this.key[i] = key;
    this.seq[i] = this.counter++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }
  pop(): number {
    const top = this.idx[0];
    this.n--;
    if (this.n > 0) {
      this.idx[0] = this.idx[this.n];
      this.key[0] = this.key[this.n];
      this.seq[0] = this.seq[this.n];
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.n && this.less(l, m)) m = l;
        if (r < this.n && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}

/** Eikonal update from two neighbours (OpenCV's FastMarching_solve). */
function solveT(i1: number, i2: number, T: Float64Array, flag: Uint8Array): number {
  const BIG = 1e6;
  const f1 = flag[i1];
  const f2 = flag[i2];
  const t1 = T[i1];
  const t2 = T[i2];
  if (f1 !== INSIDE) {
    if (f2 !== INSIDE) {
      const r = Math.sqrt(2 - (t1 - t2) * (t1 - t2));
      let s = (t1 + t2 - r) / 2;
      if (s >= t1 && s >= t2) return s;
      s += r;
      if (s >= t1 && s >= t2) return s;
      return BIG;
    }
    return 1 + t1;
  }
  if (f2 !== INSIDE) return 1 + t2;
  return BIG;
}

/**
 * Inpaints the pixels where mask≠0 in an interleaved uint8 H×W×C image by fast marching from the
 * known boundary inwards; each new pixel is a weighted average of known pixels within `radius`
 * (weights: direction · distance · level-set closeness), plus the first-order gradient correction
 * as in OpenCV's icvTeleaInpaintFMM. Known pixels are unchanged.
 */
export function inpaintTelea(src: Uint8Array, mask: Uint8Array, width: number, height: number, channels: number, radius = 3): Uint8Array {
  const n = width * height;
  const out = Uint8Array.from(src);
  const val = new Float64Array(n * channels);
  for (let i = 0; i < n * channels; i++) val[i] = src[i];
  const flag = new Uint8Array(n);
  const T = new Float64Array(n);
  const heap = new PixelHeap(1024);
  for (let p = 0; p < n; p++) {
    if (mask[p]) {
      flag[p] = INSIDE;
      T[p] = 1e6;
    }
  }
  // Band: known pixels 4-adjacent to the unknown region.
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (flag[p] !== KNOWN) continue;
      if ((x > 0 && mask[p - 1]) || (x < width - 1 && mask[p + 1]) || (y > 0 && mask[p - width]) || (y < height - 1 && mask[p + width])) {
        flag[p] = BAND;
        heap.push(p, 0);
      }
    }
  }
  // Neighbourhood within the radius, with the distance factor 1/|r|³ precomputed.
  const rad = Math.ceil(radius);
  const offX: number[] = [];
  const offY: number[] = [];
  const offDst: number[] = [];
  for (let ry = -rad; ry <= rad; ry++) {
    for (let rx = -rad; rx <= rad; rx++) {
      const r2 = rx * rx + ry * ry;
      if (r2 === 0 || r2 > radius * radius) continue;
      offX.push(rx);
      offY.push(ry);
      offDst.push(1 / (r2 * Math.sqrt(r2)));
    }
  }
  const K = offX.length;
  const Ia = new Float64Array(channels);
  const Jx = new Float64Array(channels);
  const Jy = new Float64Array(channels);
  const dxs = [-1, 0, 1, 0];
  const dys = [0, -1, 0, 1];
  while (heap.size > 0) {
    const p = heap.pop();
    flag[p] = KNOWN;
    const py = (p / width) | 0;
    const px = p - py * width;
    for (let nb = 0; nb < 4; nb++) {
      const x = px + dxs[nb];
      const y = py + dys[nb];
      if (x < 0 || y < 0 || x >= width || y >= height) continue;
      const q = y * width + x;
      if (flag[q] !== INSIDE) continue;
      // Arrival time from the (up to four) pairs of neighbours.
      const l = x > 0 ? q - 1 : q;
      const r = x < width - 1 ? q + 1 : q;
      const u = y > 0 ? q - width : q;
      const d = y < height - 1 ? q + width : q;
      let t = solveT(u, l, T, flag);
      let t2 = solveT(d, l, T, flag);
      if (t2 < t) t = t2;
      t2 = solveT(u, r, T, flag);
      if (t2 < t) t = t2;
      t2 = solveT(d, r, T, flag);
      if (t2 < t) t = t2;
      // Gradient of T at q (central difference where both sides are known, else one-sided).
      const lk = l !== q && flag[l] !== INSIDE;
      const rk = r !== q && flag[r] !== INSIDE;
      const uk = u !== q && flag[u] !== INSIDE;
      const dk = d !== q && flag[d] !== INSIDE;
      const gradTx = lk && rk ? (T[r] - T[l]) / 2 : rk ? T[r] - t : lk ? t - T[l] : 0;
      const gradTy = uk && dk ? (T[d] - T[u]) / 2 : dk ? T[d] - t : uk ? t - T[u] : 0;
      for (let c = 0; c < channels; c++) {
        Ia[c] = 0;
        Jx[c] = 0;
        Jy[c] = 0;
      }
      let s = 0;
      const interior = x >= rad + 1 && y >= rad + 1 && x < width - rad - 1 && y < height - rad - 1;
      for (let o = 0; o < K; o++) {
        const nx = x + offX[o];
        const ny = y + offY[o];
        if (!interior && (nx < 0 || ny < 0 || nx >= width || ny >= height)) continue;
        const kk = ny * width + nx;
        if (flag[kk] === INSIDE) continue;
        const rx = -offX[o];
        const ry = -offY[o];
        let dir = rx * gradTx + ry * gradTy;
        if (Math.abs(dir) <= 0.01) dir = 0.000001;
        const lev = 1 / (1 + Math.abs(T[kk] - t));
        const w = Math.abs(dir * offDst[o] * lev);
        // Image gradient at kk from known neighbours.
        const kl = nx > 0 && flag[kk - 1] !== INSIDE ? kk - 1 : -1;
        const kr = nx < width - 1 && flag[kk + 1] !== INSIDE ? kk + 1 : -1;
        const ku = ny > 0 && flag[kk - width] !== INSIDE ? kk - width : -1;
        const kd = ny < height - 1 && flag[kk + width] !== INSIDE ? kk + width : -1;
        const base = kk * channels;
        for (let c = 0; c < channels; c++) {
          const vk = val[base + c];
          const gx = kl >= 0 && kr >= 0 ? (val[kr * channels + c] - val[kl * channels + c]) / 2 : kr >= 0 ? val[kr * channels + c] - vk : kl >= 0 ? vk - val[kl * channels + c] : 0;
          const gy = ku >= 0 && kd >= 0 ? (val[kd * channels + c] - val[ku * channels + c]) / 2 : kd >= 0 ? val[kd * channels + c] - vk : ku >= 0 ? vk - val[ku * channels + c] : 0;
          Ia[c] += w * vk;
          Jx[c] -= w * gx * rx;
          Jy[c] -= w * gy * ry;
        }
        s += w;
      }
      for (let c = 0; c < channels; c++) {
        let v = s > 0 ? Ia[c] / s + (Jx[c] + Jy[c]) / (Math.sqrt(Jx[c] * Jx[c] + Jy[c] * Jy[c]) + 1e-20) : 0;
        v = v < 0 ? 0 : v > 255 ? 255 : Math.floor(v + 0.5);
        val[q * channels + c] = v;
        out[q * channels + c] = v;
      }
      T[q] = t;
      flag[q] = BAND;
      heap.push(q, t);
    }
  }
  return out;
}
