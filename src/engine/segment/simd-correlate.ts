// The symmetric-kernel row correlation of gaussian.ts in WebAssembly SIMD (f64x2): two samples per
// instruction and eight per loop pass, each kept in a register across all taps, with none of the
// bounds checks the JS loop pays. Every lane does exactly the JS loop's float64 operations in the
// same order (centre product, then each pair sum times its weight, outermost pair first): f64x2.add
// and f64x2.mul are IEEE binary64 per lane and WebAssembly never fuses or reassociates them, so
// the output is bit-identical. The module is encoded here (410 bytes), so nothing is built
// or downloaded.

// Export `correlate(offp, ks, dst, bytes, r)`, all byte addresses in the imported memory:
//   offp: r·2 + 1 i32 absolute byte addresses of the taps' first samples, in tap order;
//   ks:   r + 1 v128 weights, each splatted (k[0] … k[r]);
//   dst:  where `bytes` bytes of float64 outputs go (a multiple of 64: 8 samples per pass).
// Per 8 samples at byte i: acc = src_r[i]·k[r]; acc = acc + (src_m[i] + src_{2r−m}[i])·k[m], m = 0 … r−1.

import { I32, V128, get, i32, kernelInstances, oneFunctionModule, op, set, simd, simdOp, vload, vstore } from './wasm-encode.ts';

function correlateModule(): Uint8Array<ArrayBuffer> {
  // Params 0–4: offp, ks, dst, bytes, r. Locals: 5 i, 6 pa, 7 pb, 8 pk, 9 centre (offp + 4r), 10 a, 11 b; v128 12–15 acc, 16 weight.
  const [offp, ks, dst, bytes, r, i, pa, pb, pk, centre, a, b, w] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16];
  const acc = [12, 13, 14, 15];
  const add = simd(simdOp.f64x2Add);
  const mul = simd(simdOp.f64x2Mul);
  // v128.load of a 16-byte-aligned weight.
  const loadWeight = [...simd(simdOp.load), 4, 0];
  const code = [
    ...get(offp), ...get(r), ...i32(2), op.i32Shl, op.i32Add, ...set(centre),
    op.block, 0x40, op.loop, 0x40,
    ...get(i), ...get(bytes), op.i32GeU, op.brIf, 1,
    // Centre tap: acc = src_r · k[r].
    ...get(ks), ...get(r), ...i32(4), op.i32Shl, op.i32Add, ...loadWeight, ...set(w),
    ...get(centre), op.i32Load, 2, 0, ...get(i), op.i32Add, ...set(a),
    ...acc.flatMap((l, j) => [...get(a), ...vload(16 * j), ...get(w), ...mul, ...set(l)]),
    ...get(offp), ...set(pa), ...get(centre), ...get(r), ...i32(2), op.i32Shl, op.i32Add, ...set(pb), ...get(ks), ...set(pk),
    // Pairs, outermost first: acc = acc + (src_m + src_{2r−m}) · k[m].
    op.block, 0x40, op.loop, 0x40,
    ...get(pa), ...get(centre), op.i32Eq, op.brIf, 1,
    ...get(pa), op.i32Load, 2, 0, ...get(i), op.i32Add, ...set(a),
    ...get(pb), op.i32Load, 2, 0, ...get(i), op.i32Add, ...set(b),
    ...get(pk), ...loadWeight, ...set(w),
    ...acc.flatMap((l, j) => [...get(l), ...get(a), ...vload(16 * j), ...get(b), ...vload(16 * j), ...add, ...get(w), ...mul, ...add, ...set(l)]),
    ...get(pa), ...i32(4), op.i32Add, ...set(pa),
    ...get(pb), ...i32(4), op.i32Sub, ...set(pb),
    ...get(pk), ...i32(16), op.i32Add, ...set(pk),
    op.br, 0, op.end, op.end,
    ...acc.flatMap((l, j) => [...get(dst), ...get(i), op.i32Add, ...get(l), ...vstore(16 * j)]),
    ...get(i), ...i32(64), op.i32Add, ...set(i),
    op.br, 0, op.end, op.end,
  ];
  return oneFunctionModule('correlate', [I32, I32, I32, I32, I32], [[7, I32], [5, V128]], code);
}

const instances = kernelInstances(correlateModule);

export interface SimdCorrelator {
  /** Float64 view of the whole memory (an instance's memory never grows: a larger need gets a new one). */
  f64: Float64Array;
  /** Float64 index where the caller's samples may start (after the kernel header). */
  base: number;
  /** Correlates `count` samples (a multiple of 8) into dst (float64 index), taps at the float64 indices in `off`. */
  correlate(off: Int32Array, dst: number, count: number): void;
}

/**
 * A correlator for kernel k with room for `samples` float64 values after its kernel header, or null
 * when WebAssembly SIMD or that much memory is unavailable (the caller's JS loop then does the work).
 */
export function simdCorrelator(k: Float64Array, samples: number): SimdCorrelator | null {
  const r = (k.length - 1) / 2;
  // Header: the splatted weights (16 bytes each), then the tap addresses (4 bytes each), padded to 16.
  const ksBytes = 16 * (r + 1);
  const offBytes = Math.ceil((4 * k.length) / 16) * 16;
  const header = ksBytes + offBytes;
  const inst = instances(header + 8 * samples);
  if (!inst) return null;
  const { memory, instance } = inst;
  const f64 = new Float64Array(memory.buffer);
  const i32 = new Int32Array(memory.buffer);
  for (let m = 0; m <= r; m++) f64[2 * m] = f64[2 * m + 1] = k[m];
  const offp = ksBytes;
  const run = instance.exports.correlate as (offp: number, ks: number, dst: number, bytes: number, r: number) => void;
  return {
    f64,
    base: header / 8,
    correlate(off, dst, count) {
      for (let j = 0; j < off.length; j++) i32[offp / 4 + j] = off[j] * 8;
      run(offp, 0, dst * 8, count * 8, r);
    },
  };
}
