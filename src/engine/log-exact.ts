// Natural logarithm rounded to nearest from a ~100-bit double-double evaluation.
// Why: V8's Math.log (fdlibm) is off by one ulp on ~3 % of inputs against glibc's (which numpy uses),
// and numpy's legacy Gaussian passes log(r²) on: its normals, hence quickshift's tie-breaking, must
// match bit for bit. Only used where a reference stream needs it; it costs ~20× Math.log.

const SPLIT = 134217729; // 2^27 + 1 (Veltkamp)
const LN2_HI = 0.6931471805599453;
const LN2_LO = 2.3190468138462996e-17;
const SQRT2 = Math.SQRT2;
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer); // little-endian: u32[1] is the high word

// Double-double helpers: [hi, lo] with |lo| ≤ ulp(hi)/2. Results go into module scratch to avoid allocations.
let rh = 0;
let rl = 0;

function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  rh = p;
  rl = ah * bh - p + ah * bl + al * bh + al * bl;
}

function ddMul(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh);
  const p = rh;
  const e = rl + (ah * bl + al * bh);
  rh = p + e;
  rl = e - (rh - p);
}

function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  const s = ah + bh;
  const v = s - ah;
  const e = ah - (s - v) + (bh - v) + al + bl;
  rh = s + e;
  rl = e - (rh - s);
}

/** ln(x) for finite x > 0, correctly rounded except on inputs within ~2^-100 relative of a rounding midpoint. */
export function logExact(x: number): number {
  if (!(x > 0) || x === Infinity) return Math.log(x);
  let e = 0;
  if (x < 2.2250738585072014e-308) {
    x *= 18014398509481984; // 2^54: subnormals become normal
    e = -54;
  }
  f64[0] = x;
  const hiWord = u32[1];
  e += ((hiWord >>> 20) & 0x7ff) - 1023;
  u32[1] = (hiWord & 0x800fffff) | 0x3ff00000; // mantissa in [1, 2)
  let m = f64[0];
  if (m > SQRT2) {
    m /= 2;
    e += 1;
  }
  // ln(m) = 2·atanh(s), s = (m − 1)/(m + 1), |s| ≤ 0.1716; m − 1 is exact (Sterbenz), m + 1 is a two-sum.
  const num = m - 1;
  const dh = m + 1;
  const dv = dh - m;
  const dl = m - (dh - dv) + (1 - dv);
  const q1 = num / dh;
  twoProd(q1, dh);
  const r = num - rh - rl - q1 * dl;
  const q2 = r / dh;
  const sh = q1 + q2;
  const sl = q2 - (sh - q1);
  ddMul(sh, sl, sh, sl);
  const th = rh;
  const tl = rl;
  // Σ t^k/(2k+1): terms from k = 11 on are below 2^-60 of the sum and are summed in doubles.
  let tail = 0;
  for (let k = 30; k >= 11; k--) tail = 1 / (2 * k + 1) + th * tail;
  tail *= th;
  let ph = 1 / 21 + tail;
  let pl = 0;
  for (let k = 9; k >= 0; k--) {
    const n = 2 * k + 1;
    const c = 1 / n;
    twoProd(c, n);
    const cLo = (1 - rh - rl) / n; // 1/n as a double-double
    ddMul(ph, pl, th, tl);
    ddAdd(rh, rl, c, cLo);
    ph = rh;
    pl = rl;
  }
  // ln(m) = 2s · P; ln(x) = e·ln2 + ln(m).
  ddMul(ph, pl, 2 * sh, 2 * sl);
  const lh = rh;
  const ll = rl;
  twoProd(e, LN2_HI);
  const eh = rh;
  const el = rl + e * LN2_LO;
  ddAdd(eh, el, lh, ll);
  return rh;
}
