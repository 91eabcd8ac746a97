// The few pieces of the WebAssembly binary format our hand-written SIMD kernels need: LEB128
// integers, opcodes, and a module of one exported function over an imported memory. The kernels
// are encoded at run time, so nothing is built or downloaded.

const SIMD = 0xfd;
export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;

export const op = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b,
  get: 0x20, set: 0x21,
  i32Load: 0x28, f64Load: 0x2b, f64Store: 0x39,
  i32Const: 0x41, i32Eq: 0x46, i32GtU: 0x4b, i32GeU: 0x4f, i32Add: 0x6a, i32Sub: 0x6b, i32Shl: 0x74,
  f64Add: 0xa0,
} as const;

/** SIMD opcodes (each follows the 0xfd prefix as a LEB128 integer). */
export const simdOp = {
  load: 0x00, store: 0x0b, const: 0x0c, f64x2Splat: 0x14, f64x2Gt: 0x4a, and: 0x4e,
  i64x2Shl: 0xcb, i64x2Add: 0xce, f64x2Add: 0xf0, f64x2Sub: 0xf1, f64x2Mul: 0xf2,
} as const;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
}

const vec = (...parts: number[][]) => [...uleb(parts.length), ...parts.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const name = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'latin1')];

/** Instruction helpers shared by the kernels. */
export const get = (l: number) => [op.get, ...uleb(l)];
export const set = (l: number) => [op.set, ...uleb(l)];
export const i32 = (n: number) => [op.i32Const, ...sleb(n)];
export const simd = (code: number) => [SIMD, ...uleb(code)];
/** v128.load / v128.store at a constant byte offset (alignment hint 8 bytes: float64 data). */
export const vload = (offset: number) => [...simd(simdOp.load), 3, ...uleb(offset)];
export const vstore = (offset: number) => [...simd(simdOp.store), 3, ...uleb(offset)];
/** A v128 constant of two equal float64 lanes. */
export function f64x2Const(x: number): number[] {
  const bytes = Buffer.alloc(16);
  bytes.writeDoubleLE(x, 0);
  bytes.writeDoubleLE(x, 8);
  return [...simd(simdOp.const), ...bytes];
}
/** A v128 constant of two equal int64 lanes. */
export function i64x2Const(x: bigint): number[] {
  const bytes = Buffer.alloc(16);
  bytes.writeBigInt64LE(x, 0);
  bytes.writeBigInt64LE(x, 8);
  return [...simd(simdOp.const), ...bytes];
}

/**
 * A module importing `env.memory` (at least one page) and exporting one function `exportName`
 * with the given parameter types, no result, and locals declared as [count, type] runs.
 */
export function oneFunctionModule(exportName: string, params: number[], locals: [number, number][], code: number[]): Uint8Array<ArrayBuffer> {
  const body = [...vec(...locals.map(([count, type]) => [...uleb(count), type])), ...code, op.end];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([0x60, ...vec(...params.map((t) => [t])), 0])),
    ...section(2, vec([...name('env'), ...name('memory'), 0x02, 0x00, 0x01])),
    ...section(3, vec([0])),
    ...section(7, vec([...name(exportName), 0x00, 0])),
    ...section(10, vec([...uleb(body.length), ...body])),
  ]);
}

const PAGE = 65536;
/** Memory kept between calls up to this size; a larger need gets a one-off instance the GC reclaims. */
const KEEP_BYTES = 32 << 20;

export interface KernelInstance {
  instance: WebAssembly.Instance;
  memory: WebAssembly.Memory;
}

/**
 * Instances of one kernel module, each with at least the asked bytes of memory (which never grows:
 * a larger need gets a new instance). The module is compiled at first use; the result is null where
 * WebAssembly SIMD or that much memory is unavailable (callers then use their JS loops).
 */
export function kernelInstances(encode: () => Uint8Array<ArrayBuffer>): (bytes: number) => KernelInstance | null {
  let compiled: WebAssembly.Module | null | undefined;
  let kept: KernelInstance | null = null;
  return (bytes) => {
    if (compiled === undefined) {
      const code = encode();
      compiled = WebAssembly.validate(code) ? new WebAssembly.Module(code) : null;
    }
    if (!compiled || bytes > 2 ** 31) return null;
    if (kept && kept.memory.buffer.byteLength >= bytes) return kept;
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / PAGE) });
    } catch {
      return null;
    }
    const inst = { instance: new WebAssembly.Instance(compiled, { env: { memory } }), memory };
    if (bytes <= KEEP_BYTES) kept = inst;
    return inst;
  };
}
