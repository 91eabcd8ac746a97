// Backward rules: for one forward node, emit nodes computing the gradients of its inputs from the
// gradients of its outputs (vector-Jacobian products). Rules reuse forward tensors (inputs and
// outputs) instead of recomputing, and build runtime shapes with Shape so any batch size works.
import { EngineError } from '../errors.ts';
import { DataType, tensorToFloat32, type NodeProto, type TensorProto } from '../onnx/proto.ts';
import { attrFloat as mkAttrFloat, attrInt as mkAttrInt, attrInts as mkAttrInts, attrString, attrTensor, floatTensor, int64Tensor } from '../onnx/graph.ts';
import { poolOutSize, resolvePads, sliceBounds, spatialAttrs, type Dim, type ShapeTable } from './shapes.ts';
import { attrFloat, attrInt, attrIntsOr, attrStr, type Emitter, inputAt, numbersOf } from './util.ts';

// "To the end" for Slice on shape vectors (exactly representable; int64 max is not a safe JS number).
const INT64_MAX = Number.MAX_SAFE_INTEGER;

export interface GradContext {
  e: Emitter;
  shapes: ShapeTable;
  /** Constant tensors: initializers and Constant outputs. */
  consts: Map<string, TensorProto>;
}

/** Gradients for each input of `n` (undefined where not needed), given output gradients `dy`. */
export type Rule = (c: GradContext, n: NodeProto, dy: (string | undefined)[], need: boolean[]) => (string | undefined)[];

function unsupported(n: NodeProto, why: string): EngineError {
  return new EngineError('UNSUPPORTED_OPERATOR', `no gradient rule for operator ${n.opType} (node '${n.name ?? n.output[0]}'): ${why}`);
}

function dy0(n: NodeProto, dy: (string | undefined)[]): string {
  const g = dy[0];
  if (!g) throw new Error(`internal: no output gradient for ${n.opType}`);
  return g;
}

function constInts(c: GradContext, name: string | undefined): number[] | undefined {
  if (!name) return undefined;
  return numbersOf(c.consts.get(name)) ?? c.shapes.ints(name);
}

const normAxis = (a: number, r: number) => (a < 0 ? a + r : a);

// ---------------------------------------------------------------------------------------------
// Shared building blocks

/** Sums `g` (shaped like `y`) down to the shape of `x` (numpy broadcasting in reverse). */
export function unbroadcast(c: GradContext, g: string, x: string, y: string): string {
  const { e, shapes } = c;
  const sx = shapes.shape(x);
  const sy = shapes.shape(y);
  if (sx && sy) {
    const lead = sy.length - sx.length;
    const axes: number[] = [];
    let dynamic = false;
    for (let i = 0; i < sy.length; i++) {
      if (i < lead) {
        axes.push(i);
        continue;
      }
      const dx = sx[i - lead];
      const dyv = sy[i];
      if (dx === 1) {
        if (dyv !== 1) axes.push(i);
      } else if (typeof dx === 'number' || (typeof dx === 'string' && dx === dyv)) {
        // same extent
      } else dynamic = true;
    }
    if (!dynamic) {
      if (axes.length === 0) return g;
      const r = e.op('ReduceSum', [g, e.ints(axes)], [mkAttrInt('keepdims', 1)], 'unbroadcast');
      return lead > 0 ? e.op('Reshape', [r, e.shapeOf(x)], [], 'unbroadcast') : r;
    }
  }
  // Runtime: reduce over axes where x has extent 1 (after left-padding its shape with ones).
  const one = e.constI64([], [1]);
  let shX: string;
  if (sx && sy) {
    const lead = sy.length - sx.length;
    shX = lead > 0 ? e.op('Concat', [e.ints(new Array(lead).fill(1)), e.shapeOf(x)], [mkAttrInt('axis', 0)]) : e.shapeOf(x);
  } else {
    const lead = e.op('Sub', [e.op('Size', [e.op('Shape', [g])]), e.op('Size', [e.shapeOf(x)])]);
    const ones = e.op('ConstantOfShape', [e.op('Reshape', [lead, e.ints([1])])], [attrTensor('value', int64Tensor('', [1], [1]))]);
    shX = e.op('Concat', [ones, e.shapeOf(x)], [mkAttrInt('axis', 0)]);
  }
  const isOne = e.op('Equal', [shX, one]);
  const yNotOne = e.op('Not', [e.op('Equal', [e.op('Shape', [g]), one])]);
  const axes = e.op('Reshape', [e.op('NonZero', [e.op('And', [isOne, yNotOne])]), e.ints([-1])]);
  const r = e.op('ReduceSum', [g, axes], [mkAttrInt('keepdims', 1), mkAttrInt('noop_with_empty_axes', 1)], 'unbroadcast');
  return e.op('Reshape', [r, e.shapeOf(x)], [], 'unbroadcast');
}

/** Spatial extents of x (dims 2..) as numbers where known. */
function spatialDims(c: GradContext, x: string, nsp: number): Dim[] {
  const s = c.shapes.shape(x);
  return s && s.length === nsp + 2 ? s.slice(2) : new Array(nsp).fill(null);
}

/**
 * Transposed sliding-window op: ConvTranspose(g, w) laid out so its output covers exactly the
 * forward input x (pads/ceil-mode windows that run past the end, floor-dropped rows).
 */
function windowTranspose(
  c: GradContext,
  g: string,
  w: string,
  x: string,
  a: { kernel: number[]; strides: number[]; pads: number[]; dilations: number[] },
  group: number,
  outSpatial: Dim[],
  hint: string,
): string {
  const { e } = c;
  const nsp = a.kernel.length;
  const sizes = spatialDims(c, x, nsp);
  const padsB = a.pads.slice(0, nsp);
  const padsE: number[] = [];
  const outPad: number[] = [];
  let needSlice = false;
  for (let i = 0; i < nsp; i++) {
    const h = sizes[i];
    const ho = outSpatial[i];
    if (typeof h === 'number' && typeof ho === 'number') {
      const l0 = (ho - 1) * a.strides[i] + a.dilations[i] * (a.kernel[i] - 1) + 1 - padsB[i];
      padsE.push(Math.max(0, l0 - h));
      outPad.push(Math.max(0, h - l0));
    } else {
      padsE.push(0);
      outPad.push(a.strides[i] - 1);
      needSlice = true;
    }
  }
  const attrs = [
    mkAttrInts('kernel_shape', a.kernel),
    mkAttrInts('strides', a.strides),
    mkAttrInts('dilations', a.dilations),
    mkAttrInts('pads', [...padsB, ...padsE]),
    mkAttrInt('group', group),
  ];
  if (outPad.some((p) => p !== 0)) attrs.push(mkAttrInts('output_padding', outPad));
  let dx = e.op('ConvTranspose', [g, w], attrs, hint);
  if (needSlice) {
    const axes = Array.from({ length: nsp }, (_, i) => i + 2);
    const ends = e.op('Slice', [e.shapeOf(x), e.ints([2]), e.ints([INT64_MAX])]);
    dx = e.op('Slice', [dx, e.ints(new Array(nsp).fill(0)), ends, e.ints(axes)], [], hint);
  }
  return dx;
}

/** Broadcast shape [1, C, 1, ...] for per-channel vectors against a tensor of rank r. */
function channelShape(cdim: number, r: number): number[] {
  return [1, cdim, ...new Array(Math.max(0, r - 2)).fill(1)];
}

function where(c: GradContext, cond: string, a: string, b: string, hint: string): string {
  return c.e.op('Where', [cond, a, b], [], hint);
}

// ---------------------------------------------------------------------------------------------
// Rules

const passThrough: Rule = (_c, n, dy) => [dy0(n, dy)];

const reshapeBack: Rule = (c, n, dy) => [c.e.op('Reshape', [dy0(n, dy), c.e.shapeOf(n.input[0])], [], `${n.opType}_grad`)];

const add: Rule = (c, n, dy, need) => {
  const g = dy0(n, dy);
  return n.input.map((x, i) => (need[i] ? unbroadcast(c, g, x, n.output[0]) : undefined));
};

const sub: Rule = (c, n, dy, need) => {
  const g = dy0(n, dy);
  return [
    need[0] ? unbroadcast(c, g, n.input[0], n.output[0]) : undefined,
    need[1] ? unbroadcast(c, c.e.op('Neg', [g]), n.input[1], n.output[0]) : undefined,
  ];
};

const mul: Rule = (c, n, dy, need) => {
  const g = dy0(n, dy);
  const [a, b] = n.input;
  return [
    need[0] ? unbroadcast(c, c.e.op('Mul', [g, b], [], 'mul_grad'), a, n.output[0]) : undefined,
    need[1] ? unbroadcast(c, c.e.op('Mul', [g, a], [], 'mul_grad'), b, n.output[0]) : undefined,
  ];
};

const div: Rule = (c, n, dy, need) => {
  const g = dy0(n, dy);
  const [a, b] = n.input;
  const { e } = c;
  return [
    need[0] ? unbroadcast(c, e.op('Div', [g, b], [], 'div_grad'), a, n.output[0]) : undefined,
    // d(a/b)/db = -y/b
    need[1] ? unbroadcast(c, e.op('Neg', [e.op('Mul', [g, e.op('Div', [n.output[0], b])])], [], 'div_grad'), b, n.output[0]) : undefined,
  ];
};

const pow: Rule = (c, n, dy, need) => {
  const { e } = c;
  const g = dy0(n, dy);
  const [a, b] = n.input;
  if (need[1]) throw unsupported(n, 'gradient with respect to the exponent');
  // d(a^b)/da = b * a^(b-1)
  const p = e.op('Pow', [a, e.op('Sub', [b, e.op('CastLike', [e.scalarF(1), b])])]);
  return [unbroadcast(c, e.op('Mul', [g, e.op('Mul', [p, b])], [], 'pow_grad'), a, n.output[0])];
};

// Masks are built from the forward output with arithmetic only (Clip/Mul/Sub run vectorized and
// multithreaded in onnxruntime; Greater/Where/Cast-from-bool are several times slower):
// mask = min(max(v, 0) · 2^100, 1) is exactly 1 for v >= 2^-100 and exactly 0 for v <= 0.
const BIG = 2 ** 100;
function positiveMask(c: GradContext, v: string): string {
  const { e } = c;
  return e.op('Clip', [e.op('Mul', [v, e.scalarF(BIG)]), e.scalarF(0), e.scalarF(1)], [], 'mask');
}

const relu: Rule = (c, n, dy) => [c.e.op('Mul', [dy0(n, dy), positiveMask(c, n.output[0])], [], 'relu_grad')];

const leakyRelu: Rule = (c, n, dy) => {
  const { e } = c;
  const alpha = attrFloat(n, 'alpha', 0.01);
  const slope = where(c, e.op('Greater', [n.input[0], e.scalarF(0)]), e.scalarF(1), e.scalarF(alpha), 'leaky_slope');
  return [e.op('Mul', [dy0(n, dy), slope], [], 'leakyrelu_grad')];
};

const prelu: Rule = (c, n, dy, need) => {
  const { e } = c;
  if (need[1]) throw unsupported(n, 'gradient with respect to the slope');
  const g = dy0(n, dy);
  const neg = e.op('Mul', [g, n.input[1]]);
  return [where(c, e.op('Greater', [n.input[0], e.scalarF(0)]), g, neg, 'prelu_grad'), undefined];
};

const clip: Rule = (c, n, dy, need) => {
  const { e } = c;
  if (need[1] || need[2]) throw unsupported(n, 'gradient with respect to the bounds');
  let lo = inputAt(n, 1);
  let hi = inputAt(n, 2);
  // Attribute form (opset < 11) when the graph was not upgraded.
  if (!lo && n.attribute.some((a) => a.name === 'min')) lo = e.scalarF(attrFloat(n, 'min', 0));
  if (!hi && n.attribute.some((a) => a.name === 'max')) hi = e.scalarF(attrFloat(n, 'max', 0));
  const g = dy0(n, dy);
  if (!lo && !hi) return [g];
  // Gradient passes where lo < x < hi, i.e. where the output y is strictly inside the bounds
  // (PyTorch's hardtanh/relu6 convention): (y - lo)·(hi - y) > 0.
  const y = n.output[0];
  const parts: string[] = [];
  const loValue = lo ? numbersOf(c.consts.get(lo)) : undefined;
  if (lo) parts.push(loValue?.length === 1 && loValue[0] === 0 ? y : e.op('Sub', [y, lo]));
  if (hi) parts.push(e.op('Sub', [hi, y]));
  const inside = parts.length === 2 ? e.op('Mul', parts) : parts[0];
  return [e.op('Mul', [g, positiveMask(c, inside)], [], 'clip_grad')];
};

const sigmoid: Rule = (c, n, dy) => {
  const { e } = c;
  const y = n.output[0];
  const d = e.op('Mul', [y, e.op('Sub', [e.scalarF(1), y])]);
  return [e.op('Mul', [dy0(n, dy), d], [], 'sigmoid_grad')];
};

const tanh: Rule = (c, n, dy) => {
  const { e } = c;
  const y = n.output[0];
  const d = e.op('Sub', [e.scalarF(1), e.op('Mul', [y, y])]);
  return [e.op('Mul', [dy0(n, dy), d], [], 'tanh_grad')];
};

const hardSigmoid: Rule = (c, n, dy) => {
  const { e } = c;
  const alpha = attrFloat(n, 'alpha', 0.2);
  const y = n.output[0];
  const inside = e.op('And', [e.op('Greater', [y, e.scalarF(0)]), e.op('Less', [y, e.scalarF(1)])]);
  return [where(c, inside, e.op('Mul', [dy0(n, dy), e.scalarF(alpha)]), e.scalarF(0), 'hardsigmoid_grad')];
};

const hardSwish: Rule = (c, n, dy) => {
  // y = x·relu6(x+3)/6: slope 0 below -3, 1 above 3, x/3 + 1/2 between (PyTorch's convention).
  const { e } = c;
  const x = n.input[0];
  const mid = e.op('Add', [e.op('Mul', [x, e.scalarF(1 / 3)]), e.scalarF(0.5)]);
  const upper = where(c, e.op('Greater', [x, e.scalarF(3)]), e.scalarF(1), mid, 'hardswish_slope');
  const slope = where(c, e.op('Less', [x, e.scalarF(-3)]), e.scalarF(0), upper, 'hardswish_slope');
  return [e.op('Mul', [dy0(n, dy), slope], [], 'hardswish_grad')];
};

const exp: Rule = (c, n, dy) => [c.e.op('Mul', [dy0(n, dy), n.output[0]], [], 'exp_grad')];
const log: Rule = (c, n, dy) => [c.e.op('Div', [dy0(n, dy), n.input[0]], [], 'log_grad')];
const neg: Rule = (c, n, dy) => [c.e.op('Neg', [dy0(n, dy)], [], 'neg_grad')];
const sqrt: Rule = (c, n, dy) => [c.e.op('Div', [dy0(n, dy), c.e.op('Mul', [n.output[0], c.e.scalarF(2)])], [], 'sqrt_grad')];
const erf: Rule = (c, n, dy) => {
  const { e } = c;
  const x = n.input[0];
  const d = e.op('Mul', [e.op('Exp', [e.op('Neg', [e.op('Mul', [x, x])])]), e.scalarF(2 / Math.sqrt(Math.PI))]);
  return [e.op('Mul', [dy0(n, dy), d], [], 'erf_grad')];
};

const cast: Rule = (c, n, dy) => {
  const from = c.shapes.get(n.input[0])?.elemType ?? DataType.FLOAT;
  return [from === DataType.FLOAT ? c.e.op('Cast', [dy0(n, dy)], [mkAttrInt('to', DataType.FLOAT)], 'cast_grad') : c.e.op('Cast', [dy0(n, dy)], [mkAttrInt('to', from)], 'cast_grad')];
};

const sum: Rule = (c, n, dy, need) => {
  const g = dy0(n, dy);
  return n.input.map((x, i) => (need[i] ? unbroadcast(c, g, x, n.output[0]) : undefined));
};

const whereRule: Rule = (c, n, dy, need) => {
  const { e } = c;
  const g = dy0(n, dy);
  const [cond, a, b] = n.input;
  return [
    undefined,
    need[1] ? unbroadcast(c, where(c, cond, g, e.scalarF(0), 'where_grad'), a, n.output[0]) : undefined,
    need[2] ? unbroadcast(c, where(c, cond, e.scalarF(0), g, 'where_grad'), b, n.output[0]) : undefined,
  ];
};

const expand: Rule = (c, n, dy) => [unbroadcast(c, dy0(n, dy), n.input[0], n.output[0]), undefined];

const conv: Rule = (c, n, dy, need) => {
  if (need[1] || need[2]) throw unsupported(n, 'weights or bias that depend on the differentiated input (only constant weights are supported)');
  const { e, shapes } = c;
  const w = n.input[1];
  const wShape = shapes.shape(w);
  if (!wShape || wShape.some((d) => typeof d !== 'number')) throw unsupported(n, 'weight shape unknown');
  const nsp = wShape.length - 2;
  const a = spatialAttrs(n, nsp, (wShape as number[]).slice(2));
  const pads = resolvePads(a, spatialDims(c, n.input[0], nsp));
  if (!pads) throw unsupported(n, `auto_pad=${a.autoPad} with unknown spatial size`);
  const group = attrInt(n, 'group', 1);
  const outSpatial = spatialDims(c, n.output[0], nsp);
  const inSpatial = spatialDims(c, n.input[0], nsp);
  outSpatial.forEach((d, i) => {
    if (d === null) outSpatial[i] = poolOutSize(inSpatial[i], a.kernel[i], a.strides[i], pads[i], pads[i + nsp], a.dilations[i], false, 'NOTSET');
  });
  const g = dy0(n, dy);
  const weight = c.consts.get(w);
  // Stride 1 with "same-or-less" padding: a plain Conv with flipped, transposed weights is exact and
  // runs on ORT's fast Conv kernels (ConvTranspose is slower, especially depthwise).
  const k = (wShape as number[]).slice(2);
  const flipPads = [...pads.slice(0, nsp), ...pads.slice(nsp)].map((p, j) => a.dilations[j % nsp] * (k[j % nsp] - 1) - p);
  if (weight && a.strides.every((s) => s === 1) && flipPads.every((p) => p >= 0)) {
    const wt = transposedWeights(c, weight, wShape as number[], group);
    return [
      e.op(
        'Conv',
        [g, wt],
        [mkAttrInts('kernel_shape', k), mkAttrInts('strides', a.strides), mkAttrInts('dilations', a.dilations), mkAttrInts('pads', flipPads), mkAttrInt('group', group)],
        'conv_grad',
      ),
      undefined,
      undefined,
    ];
  }
  return [windowTranspose(c, g, w, n.input[0], { ...a, kernel: k, pads }, group, outSpatial, 'conv_grad'), undefined, undefined];
};

/** [M, C/g, k...] → [C, M/g, k...] with the kernel flipped in every spatial axis (memoized per weight). */
function transposedWeights(c: GradContext, t: TensorProto, dims: number[], group: number): string {
  return c.e.memoized(`convT:${t.name}:${group}`, () => {
    const w = tensorToFloat32(t);
    const [m, cg, ...k] = dims;
    const ks = k.reduce((p, q) => p * q, 1);
    const mg = m / group;
    const out = new Float32Array(w.length);
    // Flip index within a kernel: reverse the flattened position works for any rank because
    // reversing every axis of a row-major block reverses its linear order.
    for (let gi = 0; gi < group; gi++) {
      for (let mo = 0; mo < mg; mo++) {
        for (let ci = 0; ci < cg; ci++) {
          const src = ((gi * mg + mo) * cg + ci) * ks;
          const dst = ((gi * cg + ci) * mg + mo) * ks;
          for (let j = 0; j < ks; j++) out[dst + j] = w[src + ks - 1 - j];
        }
      }
    }
    const name = c.e.fresh(`${t.name ?? 'w'}_T`);
    c.e.initializers.push(floatTensor(name, [cg * group, mg, ...k], out));
    return name;
  });
}

const convTranspose: Rule = (_c, n) => {
  throw unsupported(n, 'ConvTranspose in the forward graph is not supported yet');
};

const gemm: Rule = (c, n, dy, need) => {
  const { e } = c;
  const g = dy0(n, dy);
  const [a, b, cIn] = n.input;
  const alpha = attrFloat(n, 'alpha', 1);
  const beta = attrFloat(n, 'beta', 1);
  const ta = attrInt(n, 'transA', 0);
  const tb = attrInt(n, 'transB', 0);
  const gm = (x: string, y: string, tA: number, tB: number) =>
    e.op('Gemm', [x, y], [mkAttrFloat('alpha', alpha), mkAttrInt('transA', tA), mkAttrInt('transB', tB)], 'gemm_grad');
  const da = need[0] ? (ta ? gm(b, g, tb, 1) : gm(g, b, 0, 1 - tb)) : undefined;
  const db = need[1] ? (tb ? gm(g, a, 1, ta) : gm(a, g, 1 - ta, 0)) : undefined;
  let dc: string | undefined;
  if (need[2] && cIn) {
    const scaled = beta === 1 ? g : e.op('Mul', [g, e.scalarF(beta)]);
    dc = unbroadcast(c, scaled, cIn, n.output[0]);
  }
  return [da, db, dc];
};

const matmul: Rule = (c, n, dy, need) => {
  const { e, shapes } = c;
  const g = dy0(n, dy);
  const [a, b] = n.input;
  const ra = shapes.rank(a);
  const rb = shapes.rank(b);
  if (ra === null || rb === null || ra < 2 || rb < 2) throw unsupported(n, 'operands must have known rank >= 2');
  const swap = (r: number) => [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
  const t = (x: string, r: number) => e.op('Transpose', [x], [mkAttrInts('perm', swap(r))]);
  return [
    need[0] ? unbroadcast(c, e.op('MatMul', [g, t(b, rb)], [], 'matmul_grad'), a, n.output[0]) : undefined,
    need[1] ? unbroadcast(c, e.op('MatMul', [t(a, ra), g], [], 'matmul_grad'), b, n.output[0]) : undefined,
  ];
};

const maxPool: Rule = (c, n, dy) => {
  const { e } = c;
  if (attrInt(n, 'storage_order', 0) !== 0) throw unsupported(n, 'storage_order=1');
  const x = n.input[0];
  const nsp = (attrIntsOr(n, 'kernel_shape') ?? []).length;
  const a = spatialAttrs(n, nsp);
  if (!n.output[1]) n.output[1] = e.fresh('maxpool_indices');
  const idx = n.output[1];
  const g = dy0(n, dy);
  const overlapping = a.kernel.some((k, i) => (k - 1) * a.dilations[i] + 1 > a.strides[i]);
  const padded = a.pads.some((p) => p !== 0) || a.ceil || a.autoPad !== 'NOTSET';
  if (!overlapping && !padded) {
    // Every input element is in at most one window: MaxUnpool places the gradients directly.
    return [e.op('MaxUnpool', [g, idx, e.shapeOf(x)], [mkAttrInts('kernel_shape', a.kernel), mkAttrInts('strides', a.strides)], 'maxpool_grad')];
  }
  // Indices are flat over the whole input tensor: scatter-add into a zero vector of its size.
  const size = e.op('Reshape', [e.op('Size', [x]), e.ints([1])]);
  const zeros = e.op('ConstantOfShape', [size], [attrTensor('value', floatTensor('', [1], [0]))]);
  const flatIdx = e.op('Reshape', [idx, e.ints([-1])]);
  const flatG = e.op('Reshape', [g, e.ints([-1])]);
  const scattered = e.op('ScatterElements', [zeros, flatIdx, flatG], [mkAttrInt('axis', 0), attrString('reduction', 'add')], 'maxpool_grad');
  return [e.op('Reshape', [scattered, e.shapeOf(x)], [], 'maxpool_grad')];
};

/** Per-axis window sizes used as divisors by AveragePool (ORT = PyTorch semantics). */
export function avgPoolDivisors(size: number, out: number, k: number, s: number, pb: number, pe: number, includePad: boolean): number[] {
  const d: number[] = [];
  for (let o = 0; o < out; o++) {
    const start = o * s - pb;
    if (includePad) d.push(Math.min(start + k, size + pe) - start);
    else d.push(Math.min(start + k, size) - Math.max(start, 0));
  }
  return d;
}

const averagePool: Rule = (c, n, dy) => {
  const { e } = c;
  const x = n.input[0];
  const kernel = attrIntsOr(n, 'kernel_shape') ?? [];
  const nsp = kernel.length;
  const a = spatialAttrs(n, nsp);
  if (a.dilations.some((d) => d !== 1)) throw unsupported(n, 'dilations');
  const sizes = spatialDims(c, x, nsp);
  const pads = resolvePads(a, sizes);
  if (!pads) throw unsupported(n, `auto_pad=${a.autoPad} with unknown spatial size`);
  const includePad = attrInt(n, 'count_include_pad', 0) === 1;
  const outSpatial = sizes.map((h, i) => poolOutSize(h, kernel[i], a.strides[i], pads[i], pads[i + nsp], 1, a.ceil, 'NOTSET'));
  const kProd = kernel.reduce((p, q) => p * q, 1);
  let g = dy0(n, dy);
  let uniform = true;
  if (sizes.every((h) => typeof h === 'number')) {
    const divs = sizes.map((h, i) =>
      avgPoolDivisors(h as number, outSpatial[i] as number, kernel[i], a.strides[i], pads[i], pads[i + nsp], includePad),
    );
    uniform = divs.every((dv, i) => dv.every((v) => v === kernel[i]));
    if (!uniform) {
      // Separable divisor map 1/(d_1·d_2·...), broadcast over batch and channels.
      const outs = outSpatial as number[];
      const total = outs.reduce((p, q) => p * q, 1);
      const inv = new Float32Array(total);
      for (let lin = 0; lin < total; lin++) {
        let rem = lin;
        let prod = 1;
        for (let i = nsp - 1; i >= 0; i--) {
          prod *= divs[i][rem % outs[i]];
          rem = Math.floor(rem / outs[i]);
        }
        inv[lin] = 1 / prod;
      }
      g = e.op('Mul', [g, e.constF([1, 1, ...outs], inv, 'avgpool_inv_count')], [], 'avgpool_grad');
    }
  } else if ((!includePad && pads.some((p) => p !== 0)) || a.ceil) {
    throw unsupported(n, 'count_include_pad=0 with padding, or ceil_mode, needs static spatial sizes');
  }
  // One channel at a time: [N, C, H, W] → [N·C, 1, H, W], transposed conv with a ones kernel.
  const flat = e.op('Reshape', [g, e.ints([-1, 1, ...new Array(nsp).fill(0)])]);
  const w = e.memoized(`avgk:${kernel.join(',')}:${uniform}`, () => e.constF([1, 1, ...kernel], new Array(kProd).fill(uniform ? 1 / kProd : 1), 'avgpool_kernel'));
  // windowTranspose needs x's spatial dims; pass x but reshape result back afterwards.
  const dx = windowTranspose(c, flat, w, x, { kernel, strides: a.strides, pads, dilations: a.dilations }, 1, outSpatial, 'avgpool_grad');
  return [e.op('Reshape', [dx, e.shapeOf(x)], [], 'avgpool_grad')];
};

const globalAveragePool: Rule = (c, n, dy) => {
  const { e, shapes } = c;
  const x = n.input[0];
  const s = shapes.shape(x);
  const spatial = s ? s.slice(2) : null;
  let scaled: string;
  if (spatial && spatial.every((d) => typeof d === 'number')) {
    const count = (spatial as number[]).reduce((p, q) => p * q, 1);
    scaled = e.op('Mul', [dy0(n, dy), e.scalarF(1 / count)]);
  } else {
    const count = e.op('Cast', [e.op('ReduceProd', [e.op('Slice', [e.shapeOf(x), e.ints([2]), e.ints([INT64_MAX])])], [mkAttrInt('keepdims', 0)])], [mkAttrInt('to', DataType.FLOAT)]);
    scaled = e.op('Div', [dy0(n, dy), count]);
  }
  return [e.op('Expand', [scaled, e.shapeOf(x)], [], 'gap_grad')];
};

const globalMaxPool: Rule = (c, n, dy) => {
  const { e } = c;
  const mask = e.op('Equal', [n.input[0], n.output[0]]);
  return [where(c, mask, dy0(n, dy), e.scalarF(0), 'gmp_grad')];
};

const transpose: Rule = (c, n, dy) => {
  const r = c.shapes.rank(n.input[0]);
  let perm = attrIntsOr(n, 'perm');
  if (!perm) {
    if (r === null) throw unsupported(n, 'default perm with unknown rank');
    perm = Array.from({ length: r }, (_, i) => r - 1 - i);
  }
  const inv = new Array(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return [c.e.op('Transpose', [dy0(n, dy)], [mkAttrInts('perm', inv)], 'transpose_grad')];
};

/** 1-D int64 tensor with the extent of `x` along `axis` (static when known). */
function extentAlong(c: GradContext, x: string, axis: number): string {
  const { e, shapes } = c;
  const s = shapes.shape(x);
  if (s) {
    const d = s[normAxis(axis, s.length)];
    if (typeof d === 'number') return e.ints([d]);
    axis = normAxis(axis, s.length);
  }
  return e.op('Slice', [e.shapeOf(x), e.ints([axis]), e.ints([axis === -1 ? INT64_MAX : axis + 1])]);
}

const concat: Rule = (c, n, dy) => {
  const { e, shapes } = c;
  const axis = attrInt(n, 'axis', 0);
  const extents = n.input.map((x) => {
    const s = shapes.shape(x);
    return s ? s[normAxis(axis, s.length)] : null;
  });
  const split = extents.every((d) => typeof d === 'number')
    ? e.ints(extents as number[])
    : e.op('Concat', n.input.map((x) => extentAlong(c, x, axis)), [mkAttrInt('axis', 0)]);
  return e.opN('Split', [dy0(n, dy), split], n.input.length, [mkAttrInt('axis', axis)], 'concat_grad');
};

const split: Rule = (c, n, dy) => {
  const { e } = c;
  const axis = attrInt(n, 'axis', 0);
  const parts = n.output.map((o, i) => dy[i] ?? e.op('ConstantOfShape', [e.shapeOf(o)], [attrTensor('value', floatTensor('', [1], [0]))], 'split_zero'));
  return [e.op('Concat', parts, [mkAttrInt('axis', axis)], 'split_grad')];
};

const slice: Rule = (c, n, dy) => {
  const { e, shapes } = c;
  const x = n.input[0];
  const starts = constInts(c, inputAt(n, 1)) ?? attrIntsOr(n, 'starts');
  const ends = constInts(c, inputAt(n, 2)) ?? attrIntsOr(n, 'ends');
  if (!starts || !ends) throw unsupported(n, 'starts/ends computed at runtime');
  const sx = shapes.shape(x);
  const rank = sx?.length ?? null;
  let axes = (inputAt(n, 3) ? constInts(c, inputAt(n, 3)) : undefined) ?? attrIntsOr(n, 'axes') ?? starts.map((_, i) => i);
  if (inputAt(n, 3) && !constInts(c, inputAt(n, 3))) throw unsupported(n, 'axes computed at runtime');
  const steps = (inputAt(n, 4) ? constInts(c, inputAt(n, 4)) : undefined) ?? starts.map(() => 1);
  if (rank !== null) axes = axes.map((a) => normAxis(a, rank));
  let g = dy0(n, dy);
  const unit = steps.every((s) => s === 1);
  if (unit && rank !== null) {
    // Pad the gradient back to x's extent; dynamic extents use runtime arithmetic.
    const begins: (number | string)[] = new Array(rank).fill(0);
    const endsP: (number | string)[] = new Array(rank).fill(0);
    let dynamic = false;
    axes.forEach((ax, i) => {
      const d = sx![ax];
      if (typeof d === 'number') {
        const [s, en] = sliceBounds(starts[i], ends[i], 1, d);
        begins[ax] = s;
        endsP[ax] = d - Math.max(s, en);
      } else {
        // Unknown extent: supported when start >= 0 and end is "to the end" or negative.
        if (starts[i] < 0) throw unsupported(n, 'negative start on an axis of unknown size');
        begins[ax] = starts[i];
        if (ends[i] >= 2 ** 31) endsP[ax] = 0;
        else if (ends[i] < 0) endsP[ax] = -ends[i];
        else {
          dynamic = true;
          endsP[ax] = `dyn:${ax}:${ends[i]}`;
        }
      }
    });
    let pads: string;
    if (!dynamic) pads = e.ints([...(begins as number[]), ...(endsP as number[])]);
    else {
      const parts = [...begins, ...endsP].map((v) => {
        if (typeof v === 'number') return e.ints([v]);
        const [, ax, en] = v.split(':');
        return e.op('Sub', [extentAlong(c, x, Number(ax)), e.ints([Number(en)])]);
      });
      pads = e.op('Concat', parts, [mkAttrInt('axis', 0)]);
    }
    return [e.op('Pad', [g, pads], [], 'slice_grad')];
  }
  if (!sx) throw unsupported(n, 'strided slice of a tensor with unknown shape');
  // Strided: per axis, gather from [dy, 0] so every x position reads its dy entry or the zero slot.
  axes.forEach((ax, i) => {
    const d = sx[ax];
    if (typeof d !== 'number') throw unsupported(n, 'strided slice along an axis of unknown size');
    const step = steps[i];
    const [s, en] = sliceBounds(starts[i], ends[i], step, d);
    const count = step > 0 ? Math.max(0, Math.ceil((en - s) / step)) : Math.max(0, Math.ceil((s - en) / -step));
    const idx = new Array(d).fill(count);
    for (let j = 0; j < count; j++) idx[s + j * step] = j;
    const padSpec = new Array(2 * rank!).fill(0);
    padSpec[rank! + ax] = 1;
    const padded = e.op('Pad', [g, e.ints(padSpec)]);
    g = e.op('Gather', [padded, e.ints(idx)], [mkAttrInt('axis', ax)], 'slice_grad');
  });
  return [g];
};

const pad: Rule = (c, n, dy) => {
  const { e } = c;
  const mode = attrStr(n, 'mode', 'constant');
  if (mode !== 'constant') throw unsupported(n, `mode '${mode}' (only constant padding)`);
  const padsName = inputAt(n, 1);
  const pads = constInts(c, padsName) ?? attrIntsOr(n, 'pads');
  let negPads: string;
  if (pads) negPads = e.ints(pads.map((p) => -p));
  else if (padsName) negPads = e.op('Neg', [padsName]);
  else throw unsupported(n, 'no pads');
  const inputs = [dy0(n, dy), negPads];
  const axes = inputAt(n, 3);
  if (axes) inputs.push('', axes);
  return [e.op('Pad', inputs, [], 'pad_grad')];
};

const batchNorm: Rule = (c, n, dy, need) => {
  const { e, shapes } = c;
  if (attrInt(n, 'training_mode', 0) === 1) throw unsupported(n, 'training mode');
  if (need.slice(1).some(Boolean)) throw unsupported(n, 'parameters that depend on the differentiated input');
  const scale = c.consts.get(n.input[1]);
  const variance = c.consts.get(n.input[4]);
  const eps = attrFloat(n, 'epsilon', 1e-5);
  const rank = shapes.rank(n.input[0]) ?? 4;
  if (scale && variance) {
    const s = tensorToFloat32(scale);
    const v = tensorToFloat32(variance);
    const k = s.map((si, i) => si / Math.sqrt(v[i] + eps));
    const kc = e.constF(channelShape(k.length, rank), k, 'bn_scale');
    return [e.op('Mul', [dy0(n, dy), kc], [], 'bn_grad')];
  }
  // Runtime parameters: scale / sqrt(var + eps), reshaped to [1, C, 1, ...].
  const k = e.op('Div', [n.input[1], e.op('Sqrt', [e.op('Add', [n.input[4], e.scalarF(eps)])])]);
  const kr = e.op('Reshape', [k, e.ints([1, -1, ...new Array(Math.max(0, rank - 2)).fill(1)])]);
  return [e.op('Mul', [dy0(n, dy), kr], [], 'bn_grad')];
};

const softmax: Rule = (c, n, dy) => {
  const { e } = c;
  const axis = attrInt(n, 'axis', -1);
  const y = n.output[0];
  const g = dy0(n, dy);
  const dot = e.op('ReduceSum', [e.op('Mul', [g, y]), e.ints([axis])], [mkAttrInt('keepdims', 1)]);
  return [e.op('Mul', [y, e.op('Sub', [g, dot])], [], 'softmax_grad')];
};

const logSoftmax: Rule = (c, n, dy) => {
  const { e } = c;
  const axis = attrInt(n, 'axis', -1);
  const g = dy0(n, dy);
  const total = e.op('ReduceSum', [g, e.ints([axis])], [mkAttrInt('keepdims', 1)]);
  return [e.op('Sub', [g, e.op('Mul', [e.op('Exp', [n.output[0]]), total])], [], 'logsoftmax_grad')];
};

function reduceRule(mean: boolean): Rule {
  return (c, n, dy) => {
    const { e, shapes } = c;
    const x = n.input[0];
    const sx = shapes.shape(x);
    const rank = sx?.length ?? null;
    const axesName = inputAt(n, 1);
    let axes = axesName ? constInts(c, axesName) : attrIntsOr(n, 'axes');
    if (axesName && !axes) throw unsupported(n, 'axes computed at runtime');
    const keep = attrInt(n, 'keepdims', 1) === 1;
    const noop = attrInt(n, 'noop_with_empty_axes', 0) === 1;
    if (axes && axes.length === 0) axes = undefined;
    if (!axes && noop) return [dy0(n, dy)];
    let g = dy0(n, dy);
    if (axes) {
      if (rank === null && axes.some((a) => a < 0)) throw unsupported(n, 'negative axes with unknown rank');
      axes = axes.map((a) => normAxis(a, rank ?? 0)).sort((p, q) => p - q);
      if (!keep) g = e.op('Unsqueeze', [g, e.ints(axes)]);
    }
    if (mean) {
      const dims = axes ? axes.map((a) => sx?.[a] ?? null) : sx;
      if (dims && dims.every((d) => typeof d === 'number')) {
        g = e.op('Mul', [g, e.scalarF(1 / (dims as number[]).reduce((p, q) => p * q, 1))]);
      } else {
        const shp = e.shapeOf(x);
        const sel = axes ? e.op('Gather', [shp, e.ints(axes)]) : shp;
        const count = e.op('Cast', [e.op('ReduceProd', [sel], [mkAttrInt('keepdims', 0)])], [mkAttrInt('to', DataType.FLOAT)]);
        g = e.op('Div', [g, count]);
      }
    }
    return [e.op('Expand', [g, e.shapeOf(x)], [], `${n.opType}_grad`)];
  };
}

const gather: Rule = (c, n, dy) => {
  // Gradient of Gather along an axis with constant indices: scatter-add dy back.
  const { e, shapes } = c;
  const x = n.input[0];
  const idx = constInts(c, n.input[1]);
  const sx = shapes.shape(x);
  const si = shapes.shape(n.input[1]);
  if (!idx || !sx || !si || si.length > 1) throw unsupported(n, 'only constant scalar or 1-D indices on a tensor of known rank');
  const r = sx.length;
  const axis = normAxis(attrInt(n, 'axis', 0), r);
  const d = sx[axis];
  if (typeof d !== 'number') throw unsupported(n, 'axis of unknown size');
  let g = dy0(n, dy);
  if (si.length === 0) g = e.op('Unsqueeze', [g, e.ints([axis])]);
  // Build a [d, len] one-hot selection and contract along the axis with MatMul after moving the axis last.
  const len = idx.length;
  const onehot = new Float32Array(d * len);
  idx.forEach((i, j) => (onehot[(i < 0 ? i + d : i) * len + j] += 1));
  const perm = Array.from({ length: r }, (_, i) => i).filter((i) => i !== axis).concat([axis]);
  const inv = new Array(r);
  perm.forEach((p, i) => (inv[p] = i));
  const moved = e.op('Transpose', [g], [mkAttrInts('perm', perm)]);
  const sel = e.constF([len, d], transpose2(onehot, d, len), 'gather_onehot');
  const prod = e.op('MatMul', [moved, sel]);
  return [e.op('Transpose', [prod], [mkAttrInts('perm', inv)], 'gather_grad'), undefined];
};

function transpose2(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

const tile: Rule = (_c, n) => {
  throw unsupported(n, 'Tile is not supported yet');
};

export const RULES: Record<string, Rule> = {
  Identity: passThrough,
  Dropout: passThrough,
  Add: add,
  Sub: sub,
  Mul: mul,
  Div: div,
  Pow: pow,
  Sum: sum,
  Where: whereRule,
  Expand: expand,
  Relu: relu,
  LeakyRelu: leakyRelu,
  PRelu: prelu,
  Clip: clip,
  Sigmoid: sigmoid,
  HardSigmoid: hardSigmoid,
  HardSwish: hardSwish,
  Tanh: tanh,
  Exp: exp,
  Log: log,
  Neg: neg,
  Sqrt: sqrt,
  Erf: erf,
  Cast: cast,
  Conv: conv,
  ConvTranspose: convTranspose,
  Gemm: gemm,
  MatMul: matmul,
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalAveragePool,
  GlobalMaxPool: globalMaxPool,
  Flatten: reshapeBack,
  Reshape: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Transpose: transpose,
  Concat: concat,
  Split: split,
  Slice: slice,
  Pad: pad,
  BatchNormalization: batchNorm,
  Softmax: softmax,
  LogSoftmax: logSoftmax,
  ReduceMean: reduceRule(true),
  ReduceSum: reduceRule(false),
  Gather: gather,
  Tile: tile,
};

/** Which inputs of an operator carry gradients (others are shapes, indices, conditions...). */
export function differentiableInputs(n: NodeProto): number[] {
  const op = n.opType ?? '';
  if ((n.domain ?? '') !== '' && n.domain !== 'ai.onnx') return n.input.map((_, i) => i);
  if (NON_DIFFERENTIABLE.has(op)) return [];
  if (op === 'Cast') {
    const to = attrInt(n, 'to', 0);
    return to === DataType.FLOAT || to === DataType.DOUBLE || to === DataType.FLOAT16 || to === DataType.BFLOAT16 ? [0] : [];
  }
  if (ALL_INPUTS.has(op)) return n.input.map((_, i) => i).filter((i) => n.input[i]);
  if (op === 'Where') return [1, 2];
  if (op === 'Pow') return [0, 1];
  if (FIRST_INPUT.has(op)) return [0];
  // Unknown operator: assume everything flows (an error is raised if it is on the path).
  return n.input.map((_, i) => i).filter((i) => n.input[i]);
}

/** Which outputs carry gradients. */
export function differentiableOutputs(n: NodeProto): number[] {
  const op = n.opType ?? '';
  if (op === 'MaxPool' || op === 'Dropout' || op === 'BatchNormalization' || op === 'TopK') return [0];
  return n.output.map((_, i) => i).filter((i) => n.output[i]);
}

const NON_DIFFERENTIABLE = new Set([
  'Shape', 'Size', 'Constant', 'ConstantOfShape', 'Range', 'NonZero', 'ArgMax', 'ArgMin', 'Equal', 'Greater', 'Less',
  'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Not', 'Xor', 'IsNaN', 'IsInf', 'Sign', 'Floor', 'Ceil', 'Round',
  'EyeLike', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli',
]);
const ALL_INPUTS = new Set(['Add', 'Sub', 'Mul', 'Div', 'Sum', 'Mean', 'Max', 'Min', 'Concat', 'MatMul', 'Gemm']);
const FIRST_INPUT = new Set([
  'Relu', 'LeakyRelu', 'PRelu', 'Clip', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh', 'Exp', 'Log', 'Neg', 'Sqrt', 'Erf',
  'Identity', 'Dropout', 'Conv', 'ConvTranspose', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'GlobalMaxPool',
  'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze', 'Transpose', 'Split', 'Slice', 'Pad', 'BatchNormalization', 'Softmax',
  'LogSoftmax', 'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceL2', 'ReduceProd', 'Gather', 'Expand', 'Tile',
  'Resize', 'Upsample', 'InstanceNormalization', 'LRN', 'LpPool', 'Abs', 'Elu', 'Selu', 'Softplus', 'Mish', 'Gelu',
  'LayerNormalization', 'DepthToSpace', 'SpaceToDepth', 'Reciprocal',
]);

/** Operators that mark a quantized model (gradients are meaningless through them). */
export const QUANTIZED_OPS = new Set([
  'QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'ConvInteger', 'MatMulInteger', 'MatMulIntegerToFloat',
  'DynamicQuantizeMatMul', 'QLinearConv', 'QLinearMatMul', 'QLinearAdd', 'QLinearMul', 'QLinearAveragePool',
  'QLinearGlobalAveragePool', 'QLinearConcat', 'QLinearSigmoid', 'QLinearLeakyRelu', 'QGemm', 'QAttention',
]);

export { numbersOf };
