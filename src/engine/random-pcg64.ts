// numpy's `default_rng(seed)`: SeedSequence → PCG64 (128-bit LCG, XSL-RR output) and Generator's
// ziggurat `normal`. scikit-image 0.19's quickshift draws its tie-breaking noise from it (not from the
// legacy RandomState). Raw outputs and uniform doubles are numpy's bit for bit; see `zigguratTables`
// for the one place normals may differ in the last digits.

const MASK16 = 0xffff;

/** SeedSequence(seed).generate_state(n32) for a non-negative integer seed (numpy's default pool of 4 words). */
export function seedSequenceState(seed: number, n32: number): Uint32Array {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  const entropy: number[] = [];
  for (let s = seed; s > 0 || entropy.length === 0; s = Math.floor(s / 4294967296)) entropy.push(s % 4294967296);
  let hashConst = 0x43b0d7e5;
  const hashmix = (value: number): number => {
    let v = (value ^ hashConst) >>> 0;
    hashConst = Math.imul(hashConst, 0x931e8875) >>> 0;
    v = Math.imul(v, hashConst) >>> 0;
    return (v ^ (v >>> 16)) >>> 0;
  };
  const mix = (x: number, y: number): number => {
    const r = (Math.imul(0xca01f9dd, x) - Math.imul(0x4973f715, y)) >>> 0;
    return (r ^ (r >>> 16)) >>> 0;
  };
  const pool = new Uint32Array(4);
  for (let i = 0; i < 4; i++) pool[i] = hashmix(i < entropy.length ? entropy[i] : 0);
  for (let src = 0; src < 4; src++) for (let dst = 0; dst < 4; dst++) if (src !== dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
  for (let src = 4; src < entropy.length; src++) for (let dst = 0; dst < 4; dst++) pool[dst] = mix(pool[dst], hashmix(entropy[src]));
  const out = new Uint32Array(n32);
  let c = 0x8b51f9dd;
  for (let i = 0; i < n32; i++) {
    let v = (pool[i % 4] ^ c) >>> 0;
    c = Math.imul(c, 0x58f38ded) >>> 0;
    v = Math.imul(v, c) >>> 0;
    out[i] = (v ^ (v >>> 16)) >>> 0;
  }
  return out;
}

/** Two uint64 words (each as [low32, high32]) into 16-bit limbs of the 128-bit (hi << 64) | lo, low first. */
function limbs128(hiLo32: number, hiHi32: number, loLo32: number, loHi32: number): Uint32Array {
  return Uint32Array.of(loLo32 & MASK16, loLo32 >>> 16, loHi32 & MASK16, loHi32 >>> 16, hiLo32 & MASK16, hiLo32 >>> 16, hiHi32 & MASK16, hiHi32 >>> 16);
}

/**
 * Ziggurat tables for the standard normal with 256 layers, built the way numpy's were (double
 * arithmetic, right edge r = 3.6541528853610088, layer area v = the exact area rounded to double).
 * numpy ships precomputed tables whose low digits carry its generator's libm: ours agree with them
 * to about 1e-14 relative (wi, fi) and within 1e-14 of 2^52 (ki), so a normal can differ from numpy's in
 * its last ~2 digits and an accept/reject decision with probability ~1e-14 per draw.
 */
function zigguratTables(): { ki: Float64Array; wi: Float64Array; fi: Float64Array } {
  const r = ZIG_R;
  const v = 0.004928673233974655;
  const m = 2 ** 52;
  const ki = new Float64Array(256);
  const wi = new Float64Array(256);
  const fi = new Float64Array(256);
  let dn = r;
  let tn = dn;
  const q = v / Math.exp(-0.5 * dn * dn);
  ki[0] = Math.round((dn / q) * m);
  ki[1] = 0;
  wi[0] = q / m;
  wi[255] = dn / m;
  fi[0] = 1;
  fi[255] = Math.exp(-0.5 * dn * dn);
  for (let i = 254; i > 0; i--) {
    dn = Math.sqrt(-2 * Math.log(v / dn + Math.exp(-0.5 * dn * dn)));
    ki[i + 1] = Math.round((dn / tn) * m);
    tn = dn;
    fi[i] = Math.exp(-0.5 * dn * dn);
    wi[i] = dn / m;
  }
  return { ki, wi, fi };
}

const ZIG_R = 3.6541528853610088;
let tables: ReturnType<typeof zigguratTables> | null = null;

/** numpy's `np.random.default_rng(seed)` (PCG64 from SeedSequence(seed)): raw draws, `random()` and `normal()`. */
export class Generator {
  private readonly s = new Float64Array(8);
  private readonly inc = new Float64Array(8);
  private hi = 0;
  private lo = 0;

  constructor(seed: number) {
    const w = seedSequenceState(seed, 8); // four uint64 = (w[2k], w[2k+1]) as (low, high) halves
    const initState = limbs128(w[0], w[1], w[2], w[3]);
    const initSeq = limbs128(w[4], w[5], w[6], w[7]);
    // inc = (initSeq << 1) | 1
    let carry = 1;
    for (let k = 0; k < 8; k++) {
      const v = initSeq[k] * 2 + carry;
      this.inc[k] = v & MASK16;
      carry = v >>> 16;
    }
    this.step();
    carry = 0;
    for (let k = 0; k < 8; k++) {
      const v = this.s[k] + initState[k] + carry;
      this.s[k] = v & MASK16;
      carry = v >>> 16;
    }
    this.step();
  }

  /**
   * state = state · M + inc (mod 2^128), M = 0x2360ed051fc65da4_4385df649fccf645 (PCG's default multiplier,
   * its 16-bit limbs written out low first), on 16-bit limbs so every partial sum stays exact in a double.
   */
  private step(): void {
    const s = this.s;
    const c = this.inc;
    const s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3], s4 = s[4], s5 = s[5], s6 = s[6], s7 = s[7];
    let acc = c[0] + s0 * 0xf645;
    let carry = Math.floor(acc / 65536);
    s[0] = acc - carry * 65536;
    acc = c[1] + carry + s0 * 0x9fcc + s1 * 0xf645;
    carry = Math.floor(acc / 65536);
    s[1] = acc - carry * 65536;
    acc = c[2] + carry + s0 * 0xdf64 + s1 * 0x9fcc + s2 * 0xf645;
    carry = Math.floor(acc / 65536);
    s[2] = acc - carry * 65536;
    acc = c[3] + carry + s0 * 0x4385 + s1 * 0xdf64 + s2 * 0x9fcc + s3 * 0xf645;
    carry = Math.floor(acc / 65536);
    s[3] = acc - carry * 65536;
    acc = c[4] + carry + s0 * 0x5da4 + s1 * 0x4385 + s2 * 0xdf64 + s3 * 0x9fcc + s4 * 0xf645;
    carry = Math.floor(acc / 65536);
    s[4] = acc - carry * 65536;
    acc = c[5] + carry + s0 * 0x1fc6 + s1 * 0x5da4 + s2 * 0x4385 + s3 * 0xdf64 + s4 * 0x9fcc + s5 * 0xf645;
    carry = Math.floor(acc / 65536);
    s[5] = acc - carry * 65536;
    acc = c[6] + carry + s0 * 0xed05 + s1 * 0x1fc6 + s2 * 0x5da4 + s3 * 0x4385 + s4 * 0xdf64 + s5 * 0x9fcc + s6 * 0xf645;
    carry = Math.floor(acc / 65536);
    s[6] = acc - carry * 65536;
    acc = c[7] + carry + s0 * 0x2360 + s1 * 0xed05 + s2 * 0x1fc6 + s3 * 0x5da4 + s4 * 0x4385 + s5 * 0xdf64 + s6 * 0x9fcc + s7 * 0xf645;
    s[7] = acc - Math.floor(acc / 65536) * 65536;
  }

  /** Advances and leaves the 64-bit XSL-RR output in (hi, lo). */
  private draw(): void {
    this.step();
    const s = this.s;
    const xh = (((s[7] << 16) | s[6]) ^ ((s[3] << 16) | s[2])) >>> 0;
    const xl = (((s[5] << 16) | s[4]) ^ ((s[1] << 16) | s[0])) >>> 0;
    const rot = s[7] >>> 10; // state >> 122
    if (rot === 0) {
      this.hi = xh;
      this.lo = xl;
    } else if (rot < 32) {
      this.hi = ((xh >>> rot) | (xl << (32 - rot))) >>> 0;
      this.lo = ((xl >>> rot) | (xh << (32 - rot))) >>> 0;
    } else if (rot === 32) {
      this.hi = xl;
      this.lo = xh;
    } else {
      const r = rot - 32;
      this.hi = ((xl >>> r) | (xh << (32 - r))) >>> 0;
      this.lo = ((xh >>> r) | (xl << (32 - r))) >>> 0;
    }
  }

  /** `bit_generator.random_raw()` as [high32, low32]. */
  nextUint64(): [number, number] {
    this.draw();
    return [this.hi, this.lo];
  }

  /** `random()`: the top 53 bits of a 64-bit draw, in [0, 1). */
  random(): number {
    this.draw();
    return (this.hi * 2097152 + (this.lo >>> 11)) / 9007199254740992;
  }

  /** `standard_normal()`: numpy's 256-layer ziggurat on 64-bit draws. */
  standardNormal(): number {
    const { ki, wi, fi } = (tables ??= zigguratTables());
    for (;;) {
      this.draw();
      // r: idx = bits 0–7, sign = bit 8, rabs = bits 9–60 (52 bits).
      const lo = this.lo;
      const idx = lo & 0xff;
      const negative = (lo >>> 8) & 1;
      const rabs = (this.hi & 0x1fffffff) * 8388608 + (lo >>> 9);
      let x = rabs * wi[idx];
      if (negative) x = -x;
      if (rabs < ki[idx]) return x;
      if (idx === 0) {
        for (;;) {
          const xx = -(1 / ZIG_R) * Math.log1p(-this.random());
          const yy = -Math.log1p(-this.random());
          if (yy + yy > xx * xx) return (lo >>> 17) & 1 ? -(ZIG_R + xx) : ZIG_R + xx;
        }
      }
      if ((fi[idx - 1] - fi[idx]) * this.random() + fi[idx] < Math.exp(-0.5 * x * x)) return x;
    }
  }

  /** `normal(loc, scale)`. */
  normal(loc = 0, scale = 1): number {
    return loc + scale * this.standardNormal();
  }
}
