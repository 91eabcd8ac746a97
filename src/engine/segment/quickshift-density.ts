// Quick shift's Parzen density, the bulk of its time (a 224² crop at LIME's kernel size 4 has ~16
// million pixel pairs). The kernel is symmetric, so each unordered pair of pixels within the window
// is weighed once and credited to both: for every row and every forward offset (dr, dc) a "sweep"
// weighs the row's pixels p against q = p + (dr, dc), then adds the weights to density[p] and to
// density[q]. The sweep runs in WebAssembly SIMD (f64x2, twelve pairs per loop pass) where available
// and in JS otherwise; both do the same float64 operations in the same order (WebAssembly never
// fuses or reassociates), so the densities are bit-identical either way.

import {
  F64, I32, V128, f64x2Const, get, i32, i64x2Const, kernelInstances, oneFunctionModule, op, set, simd, simdOp, vload, vstore,
} from './wasm-encode.ts';

/** exp(x) for x at or below this is < 3e-17, far under quickshift's 1e-5 tie-breaking noise: weighed 0. */
export const EXP_CUTOFF = -38;

// exp(x) = 2^k · e^r with k = round(x / ln 2) and |r| ≤ ln2 / 2, e^r by its Taylor series to r^12
// (truncation < 2e-16 relative). Rounding x / ln 2 with the 1.5·2^52 shifter is what both paths can
// do identically, and its bits give 2^k directly in SIMD.
const LOG2E = Math.LOG2E;
const SHIFTER = 6755399441055744; // 1.5 · 2^52
const LN2_HI = 6.93147180369123816490e-1; // ln 2 with its low 32 bits zero, so k · LN2_HI is exact
const LN2_LO = 1.90821492927058770002e-10;
const DEGREE = 12;
const TAYLOR = Array.from({ length: DEGREE + 1 }, (_, m) => {
  let f = 1;
  for (let j = 2; j <= m; j++) f *= j;
  return 1 / f;
});
// 2^−j for the k ≥ −56 that weights above the cutoff have.
const POW2 = Float64Array.from({ length: 64 }, (_, j) => 2 ** -j);

/** The pair weight exp(arg) for arg ∈ (EXP_CUTOFF, 0], as the SIMD lanes compute it. */
export function pairWeight(arg: number): number {
  const t = arg * LOG2E + SHIFTER;
  const k = t - SHIFTER;
  const r = arg - k * LN2_HI - k * LN2_LO;
  let p = TAYLOR[DEGREE] * r + TAYLOR[DEGREE - 1];
  for (let m = DEGREE - 2; m >= 0; m--) p = p * r + TAYLOR[m];
  return p * POW2[-k];
}

/** Pixel features as three planes, the density, and the sweep over one row and offset. */
export interface DensitySweeper {
  /** Feature planes (scaled L, a, b), each indexed by pixel. */
  planes: [Float64Array, Float64Array, Float64Array];
  density: Float64Array;
  /** Weighs pixels p … p+count−1 against p+off … with spatial term s and scale inv, credits both. */
  sweep(p: number, off: number, count: number, s: number, inv: number): void;
}

const UNROLL = 6; // v128 vectors per loop pass
const PAD = 2 * UNROLL; // a pass reads up to this many pixels past a sweep's end

// Export `sweep(pa, qa, dpa, dqa, wa, count, plane, s, inv)`, byte addresses in the imported memory:
// pa, qa the first pixels' feature-0 values (feature c at + c·plane), dpa, dqa their densities, wa
// scratch for count weights. Pass 1 writes the weights (2·UNROLL at a time, so it may read PAD pixels
// past the end), pass 2 adds them to density[p …], pass 3 to density[q …].
function densityModule(): Uint8Array<ArrayBuffer> {
  const [pa, qa, dpa, dqa, wa, count, plane, s, inv] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [i, bytes, pa1, pa2, qa1, qa2] = [9, 10, 11, 12, 13, 14];
  const [S, INV, D] = [15, 16, 17];
  const lane = (j: number, v: number) => 18 + 5 * j + v; // v: 0 arg, 1 t, 2 k, 3 r, 4 polynomial
  const js = Array.from({ length: UNROLL }, (_, j) => j);
  const at = (base: number) => [...get(base), ...get(i), op.i32Add];
  // One stage for every vector of the pass, so the vectors' dependency chains interleave.
  const stage = (emit: (j: number) => number[]) => js.flatMap(emit);
  const diff2 = (j: number, a: number, b: number) => [...at(a), ...vload(16 * j), ...at(b), ...vload(16 * j), ...simd(simdOp.f64x2Sub), ...set(D), ...get(D), ...get(D), ...simd(simdOp.f64x2Mul)];
  const X = (j: number) => lane(j, 0);
  const weights = [
    ...stage((j) => [...diff2(j, pa, qa), ...set(X(j))]),
    ...stage((j) => [...get(X(j)), ...diff2(j, pa1, qa1), ...simd(simdOp.f64x2Add), ...set(X(j))]),
    ...stage((j) => [...get(X(j)), ...diff2(j, pa2, qa2), ...simd(simdOp.f64x2Add), ...get(S), ...simd(simdOp.f64x2Add), ...get(INV), ...simd(simdOp.f64x2Mul), ...set(X(j))]),
    ...stage((j) => [...get(X(j)), ...f64x2Const(LOG2E), ...simd(simdOp.f64x2Mul), ...f64x2Const(SHIFTER), ...simd(simdOp.f64x2Add), ...set(lane(j, 1))]),
    ...stage((j) => [...get(lane(j, 1)), ...f64x2Const(SHIFTER), ...simd(simdOp.f64x2Sub), ...set(lane(j, 2))]),
    ...stage((j) => [
      ...get(X(j)), ...get(lane(j, 2)), ...f64x2Const(LN2_HI), ...simd(simdOp.f64x2Mul), ...simd(simdOp.f64x2Sub),
      ...get(lane(j, 2)), ...f64x2Const(LN2_LO), ...simd(simdOp.f64x2Mul), ...simd(simdOp.f64x2Sub), ...set(lane(j, 3)),
    ]),
    ...stage((j) => [...f64x2Const(TAYLOR[DEGREE]), ...get(lane(j, 3)), ...simd(simdOp.f64x2Mul), ...f64x2Const(TAYLOR[DEGREE - 1]), ...simd(simdOp.f64x2Add), ...set(lane(j, 4))]),
    ...Array.from({ length: DEGREE - 1 }, (_, e) => DEGREE - 2 - e).flatMap((m) =>
      stage((j) => [...get(lane(j, 4)), ...get(lane(j, 3)), ...simd(simdOp.f64x2Mul), ...f64x2Const(TAYLOR[m]), ...simd(simdOp.f64x2Add), ...set(lane(j, 4))]),
    ),
    // 2^k from t's bits: t = 1.5·2^52 + k, so bits(t) + (1023 − bits(1.5·2^52)) = k + 1023, the biased exponent.
    ...stage((j) => [
      ...at(wa),
      ...get(lane(j, 4)),
      ...get(lane(j, 1)), ...i64x2Const(1023n - 0x4338000000000000n), ...simd(simdOp.i64x2Add), ...i32(52), ...simd(simdOp.i64x2Shl),
      ...simd(simdOp.f64x2Mul),
      ...get(X(j)), ...f64x2Const(EXP_CUTOFF), ...simd(simdOp.f64x2Gt), ...simd(simdOp.and),
      ...vstore(16 * j),
    ]),
  ];
  // dst[0 … count) += w[0 … count): two at a time, then the odd one.
  const addWeights = (dst: number) => [
    ...i32(0), ...set(i),
    op.block, 0x40, op.loop, 0x40,
    ...get(i), ...i32(16), op.i32Add, ...get(bytes), op.i32GtU, op.brIf, 1,
    ...at(dst), ...at(dst), ...vload(0), ...at(wa), ...vload(0), ...simd(simdOp.f64x2Add), ...vstore(0),
    ...get(i), ...i32(16), op.i32Add, ...set(i),
    op.br, 0, op.end, op.end,
    op.block, 0x40,
    ...get(i), ...get(bytes), op.i32GeU, op.brIf, 0,
    ...at(dst), ...at(dst), op.f64Load, 3, 0, ...at(wa), op.f64Load, 3, 0, op.f64Add, op.f64Store, 3, 0,
    op.end,
  ];
  const code = [
    ...get(count), ...i32(3), op.i32Shl, ...set(bytes),
    ...get(pa), ...get(plane), op.i32Add, ...set(pa1), ...get(pa1), ...get(plane), op.i32Add, ...set(pa2),
    ...get(qa), ...get(plane), op.i32Add, ...set(qa1), ...get(qa1), ...get(plane), op.i32Add, ...set(qa2),
    ...get(s), ...simd(simdOp.f64x2Splat), ...set(S), ...get(inv), ...simd(simdOp.f64x2Splat), ...set(INV),
    op.block, 0x40, op.loop, 0x40,
    ...get(i), ...get(bytes), op.i32GeU, op.brIf, 1,
    ...weights,
    ...get(i), ...i32(16 * UNROLL), op.i32Add, ...set(i),
    op.br, 0, op.end, op.end,
    ...addWeights(dpa),
    ...addWeights(dqa),
  ];
  return oneFunctionModule('sweep', [I32, I32, I32, I32, I32, I32, I32, F64, F64], [[6, I32], [3 + 5 * UNROLL, V128]], code);
}

const instances = kernelInstances(densityModule);

/** The SIMD sweeper for n pixels rows `width` wide, or null without WebAssembly SIMD or the memory. */
function simdSweeper(n: number, width: number): DensitySweeper | null {
  const stride = n + PAD; // float64s per plane
  const inst = instances(8 * (4 * stride + width + PAD));
  if (!inst) return null;
  const all = new Float64Array(inst.memory.buffer);
  const view = (k: number) => all.subarray(k * stride, k * stride + n);
  const run = inst.instance.exports.sweep as (pa: number, qa: number, dpa: number, dqa: number, wa: number, count: number, plane: number, s: number, inv: number) => void;
  const plane = 8 * stride;
  const density = 3 * plane;
  const wa = 4 * plane;
  return {
    planes: [view(0), view(1), view(2)],
    density: view(3),
    sweep: (p, off, count, s, inv) => run(8 * p, 8 * (p + off), density + 8 * p, density + 8 * (p + off), wa, count, plane, s, inv),
  };
}

/** The same sweep in JS (no WebAssembly SIMD). */
function jsSweeper(n: number, width: number): DensitySweeper {
  const planes: [Float64Array, Float64Array, Float64Array] = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  const [g0, g1, g2] = planes;
  const density = new Float64Array(n);
  const w = new Float64Array(width);
  return {
    planes,
    density,
    sweep(p, off, count, s, inv) {
      for (let c = 0; c < count; c++) {
        const a = p + c;
        const b = a + off;
        const t0 = g0[a] - g0[b];
        const t1 = g1[a] - g1[b];
        const t2 = g2[a] - g2[b];
        const arg = (t0 * t0 + t1 * t1 + t2 * t2 + s) * inv;
        w[c] = arg > EXP_CUTOFF ? pairWeight(arg) : 0;
      }
      for (let c = 0; c < count; c++) density[p + c] += w[c];
      for (let c = 0; c < count; c++) density[p + off + c] += w[c];
    },
  };
}

/**
 * Parzen density of every pixel: `base[p]` (skimage's tie-breaking noise) + 1 (the pixel itself) +
 * Σ exp(−(|f_p − f_q|² + |x_p − x_q|²) / (2σ²)) over the other pixels q of its (2⌈3σ⌉+1)² window.
 * `feat` is H×W×3 interleaved, ratio-scaled. `useSimd: false` forces the JS sweep (for tests).
 */
export function quickshiftDensity(feat: Float64Array, base: Float64Array, width: number, height: number, kernelSize: number, useSimd = true): Float64Array {
  const n = width * height;
  const sw = (useSimd ? simdSweeper(n, width) : null) ?? jsSweeper(n, width);
  const [g0, g1, g2] = sw.planes;
  for (let p = 0; p < n; p++) {
    g0[p] = feat[p * 3];
    g1[p] = feat[p * 3 + 1];
    g2[p] = feat[p * 3 + 2];
  }
  const density = sw.density;
  for (let p = 0; p < n; p++) density[p] = base[p] + 1;
  const kw = Math.ceil(3 * kernelSize);
  const inv = -0.5 / (kernelSize * kernelSize);
  for (let r = 0; r < height; r++) {
    for (let dr = 0; dr <= kw && r + dr < height; dr++) {
      for (let dc = dr === 0 ? 1 : -kw; dc <= kw; dc++) {
        const c0 = Math.max(0, -dc);
        const count = Math.min(width, width - dc) - c0;
        if (count > 0) sw.sweep(r * width + c0, dr * width + dc, count, dr * dr + dc * dc, inv);
      }
    }
  }
  return Float64Array.from(density);
}
