// Seeded PRNGs: explanations and demo images must be reproducible under a seed.
// - RandomState: numpy's legacy `numpy.random.RandomState(seed)` stream (MT19937), bit for bit, for every
//   draw a reference library makes (scikit-image, lime, shap): the same seed then gives the same numbers.
// - Generator (random-pcg64.ts): numpy's `default_rng(seed)` (PCG64), where a library draws from it
//   (scikit-image 0.19's quickshift).
// - mulberry32: fast 32-bit PRNG for draws no reference library defines.

/** mulberry32: fast 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Standard normal draws from a seeded mulberry32 stream (Box–Muller; the pair's second value is
 * kept for the next call): SmoothGrad's and Gradient SHAP's input noise, the stability draws.
 */
export function gaussianStream(seed: number): () => number {
  const rand = mulberry32(seed);
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - rand(); // (0, 1]
    const r = Math.sqrt(-2 * Math.log(u));
    const t = 2 * Math.PI * rand();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
}

/** Integer in [min, max] inclusive. */
export function randomInt(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

import { logExact } from './log-exact.ts';

export { Generator } from './random-pcg64.ts';

const N = 624;
const M = 397;

/** (a * b) mod 2^32 for uint32 a, b, as an unsigned number. */
function mul32(a: number, b: number): number {
  return Math.imul(a, b) >>> 0;
}

/** Smallest all-ones mask ≥ n (n < 2^53). */
function maskFor(n: number): number {
  if (n <= 0xffffffff) {
    let m = n >>> 0;
    m |= m >>> 1;
    m |= m >>> 2;
    m |= m >>> 4;
    m |= m >>> 8;
    m |= m >>> 16;
    return m >>> 0;
  }
  return 2 ** Math.ceil(Math.log2(n + 1)) - 1;
}

function invalid(message: string): never {
  throw new RangeError(message);
}

/**
 * numpy's legacy `RandomState`: MT19937 seeded as `RandomState(seed)` (an integer seed through
 * `init_genrand`, an array through `init_by_array`), with the legacy distributions' exact draw order.
 * Only 1-d draws are offered; an n-d numpy draw is the same stream in C order.
 */
export class RandomState {
  private readonly mt = new Uint32Array(N);
  private pos = N;
  /** Legacy Gaussian: the polar method yields two values and keeps the second for the next call. */
  private gauss: number | null = null;

  constructor(seed: number | readonly number[]) {
    if (typeof seed === 'number') {
      if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) invalid(`seed must be an integer between 0 and 2**32 - 1, got ${seed}`);
      this.initGenrand(seed);
    } else {
      if (seed.length === 0) invalid('seed array must not be empty');
      for (const k of seed) if (!Number.isInteger(k) || k < 0 || k > 0xffffffff) invalid(`seed array values must be integers between 0 and 2**32 - 1, got ${k}`);
      this.initByArray(seed);
    }
  }

  private initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1];
      mt[i] = (mul32(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
    }
    this.pos = N;
  }

  private initByArray(key: readonly number[]): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1;
    let j = 0;
    for (let k = Math.max(N, key.length); k > 0; k--) {
      const prev = mt[i - 1];
      mt[i] = ((mt[i] ^ mul32((prev ^ (prev >>> 30)) >>> 0, 1664525)) + key[j] + j) >>> 0;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
      if (j >= key.length) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1];
      mt[i] = ((mt[i] ^ mul32((prev ^ (prev >>> 30)) >>> 0, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1];
        i = 1;
      }
    }
    mt[0] = 0x80000000;
    this.pos = N;
  }

  private generate(): void {
    const mt = this.mt;
    for (let k = 0; k < N; k++) {
      const y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
      mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.pos = 0;
  }

  /** The raw 32-bit output (tempered MT19937). */
  nextUint32(): number {
    if (this.pos >= N) this.generate();
    let y = this.mt[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `random_sample()`: a 53-bit float in [0, 1) from two 32-bit outputs. */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** `random_sample(n)` / `rand(n)`. */
  randomSamples(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.randomSample();
    return out;
  }

  /** `uniform(low, high)`: low + (high − low)·random_sample(). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.randomSample();
  }

  /** `standard_normal()`: legacy polar Box–Muller, the second value of each pair cached. */
  standardNormal(): number {
    if (this.gauss !== null) {
      const g = this.gauss;
      this.gauss = null;
      return g;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.randomSample() - 1;
      x2 = 2 * this.randomSample() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * logExact(r2)) / r2);
    this.gauss = f * x1;
    return f * x2;
  }

  /** `normal(loc, scale)`. */
  normal(loc = 0, scale = 1): number {
    return loc + scale * this.standardNormal();
  }

  /** `normal(loc, scale, size=n)`. */
  normals(n: number, loc = 0, scale = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal(loc, scale);
    return out;
  }

  /** A uniform integer in [0, max] by masked rejection (legacy bounded ints, int64 dtype); max = 0 draws nothing. */
  private boundedMasked(max: number, mask: number): number {
    if (max === 0) return 0;
    if (max <= 0xffffffff) {
      if (max === 0xffffffff) return this.nextUint32();
      let v: number;
      do v = (this.nextUint32() & mask) >>> 0;
      while (v > max);
      return v;
    }
    // 64-bit path: next_uint64 is (first << 32) | second; the mask keeps the value below 2^53 here.
    const hiMask = Math.floor(mask / 4294967296);
    let v: number;
    do {
      const hi = (this.nextUint32() & hiMask) >>> 0;
      v = hi * 4294967296 + this.nextUint32();
    } while (v > max);
    return v;
  }

  /** `randint(low, high)` with numpy's default int64 dtype: an integer in [low, high). `randint(n)` is [0, n). */
  randint(low: number, high?: number): number {
    if (high === undefined) [low, high] = [0, low];
    const max = this.checkRange(low, high);
    return low + this.boundedMasked(max, maskFor(max));
  }

  /** `randint(low, high, size=n)`. */
  randints(low: number, high: number, n: number): Float64Array {
    const max = this.checkRange(low, high);
    const mask = maskFor(max);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = low + this.boundedMasked(max, mask);
    return out;
  }

  private checkRange(low: number, high: number): number {
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) invalid(`randint bounds must be safe integers, got ${low}, ${high}`);
    if (high <= low) invalid(`randint: low >= high (${low} >= ${high})`);
    if (high - low - 1 > Number.MAX_SAFE_INTEGER) invalid('randint: range too large');
    return high - low - 1;
  }

  /** random_interval(max): legacy shuffle's index draw in [0, max], masked rejection (64-bit draws above 2^32). */
  private interval(max: number): number {
    return this.boundedMasked(max, maskFor(max));
  }

  /** `shuffle(x)` of a 1-d array in place: Fisher–Yates from the end, as legacy numpy. */
  shuffle<T extends { length: number; [i: number]: unknown }>(x: T): T {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.interval(i);
      const t = x[i];
      x[i] = x[j];
      x[j] = t;
    }
    return x;
  }

  /** `permutation(n)`: a shuffled arange(n). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    return this.shuffle(out);
  }

  /**
   * `choice(n, size, replace, p)` on arange(n), legacy algorithm: with replacement, `randint(0, n, size)`
   * or, with p, the searchsorted of `random_sample(size)` in the normalised cumulative sum; without
   * replacement, `permutation(n)[:size]` or, with p, repeated rounds of `rand(size − found)` that keep
   * each round's first-seen new indices.
   */
  choice(n: number, size: number, replace = true, p?: ArrayLike<number>): Int32Array {
    if (!Number.isInteger(n) || n < 0) invalid(`choice: population must be a non-negative integer, got ${n}`);
    if (!Number.isInteger(size) || size < 0) invalid(`choice: size must be a non-negative integer, got ${size}`);
    if (n === 0 && size > 0) invalid('choice: cannot take a non-empty sample from an empty population');
    if (p !== undefined) {
      if (p.length !== n) invalid(`choice: p has ${p.length} entries for a population of ${n}`);
      let s = 0;
      for (let i = 0; i < n; i++) {
        if (!(p[i] >= 0)) invalid('choice: probabilities must be non-negative');
        s += p[i];
      }
      if (Math.abs(s - 1) > Math.sqrt(Number.EPSILON)) invalid('choice: probabilities do not sum to 1');
    }
    const out = new Int32Array(size);
    if (replace) {
      if (p === undefined) {
        const max = n - 1;
        const mask = maskFor(max);
        for (let i = 0; i < size; i++) out[i] = this.boundedMasked(max, mask);
      } else {
        const cdf = normalisedCdf(p, null);
        for (let i = 0; i < size; i++) out[i] = searchRight(cdf, this.randomSample());
      }
      return out;
    }
    if (size > n) invalid(`choice: cannot take a larger sample (${size}) than the population (${n}) without replacement`);
    if (p === undefined) return this.permutation(n).slice(0, size);
    let positive = 0;
    for (let i = 0; i < n; i++) if (p[i] > 0) positive++;
    if (positive < size) invalid('choice: fewer non-zero entries in p than size');
    const taken = new Uint8Array(n);
    let found = 0;
    while (found < size) {
      const x = this.randomSamples(size - found);
      const cdf = normalisedCdf(p, found > 0 ? taken : null);
      // np.unique(..., return_index) then sorting the indices: each new value once, in order of first draw.
      const seen = new Set<number>();
      const fresh: number[] = [];
      for (const u of x) {
        const k = searchRight(cdf, u);
        if (!seen.has(k)) {
          seen.add(k);
          fresh.push(k);
        }
      }
      for (const k of fresh) {
        out[found++] = k;
        taken[k] = 1;
      }
    }
    return out;
  }
}

/** cumsum(p) (sequential, as numpy's) divided by its last entry; entries in `zero` count as 0. */
function normalisedCdf(p: ArrayLike<number>, zero: Uint8Array | null): Float64Array {
  const cdf = new Float64Array(p.length);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    s += zero && zero[i] ? 0 : p[i];
    cdf[i] = s;
  }
  const last = cdf[p.length - 1];
  for (let i = 0; i < cdf.length; i++) cdf[i] /= last;
  return cdf;
}

/** searchsorted(cdf, u, side='right'): the first index whose value is > u. */
function searchRight(cdf: Float64Array, u: number): number {
  let lo = 0;
  let hi = cdf.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] <= u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
