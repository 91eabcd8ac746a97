// Static shape inference for the operators CNN exports use, with symbolic dims (e.g. 'batch') kept
// as strings and unknown dims as null. Also folds small integer tensors (shape vectors built from
// Shape → Gather → Concat chains) so Reshape targets resolve. Best effort: unknown stays unknown.
import { DataType, type GraphProto, type NodeProto, type ValueInfoProto } from '../onnx/proto.ts';
import { attrInt, attrIntsOr, attrStr, constantNodeTensor, inputAt, numbersOf } from './util.ts';

export type Dim = number | string | null;
export type Shape = Dim[] | null;

export interface TensorFacts {
  shape: Shape;
  elemType: number;
  /** Flat values of small integer tensors when known (shape vectors, axes). */
  value?: Dim[];
}

const MAX_VALUE = 64;

export function shapeFromValueInfo(v: ValueInfoProto): TensorFacts | undefined {
  const tt = v.type?.tensorType;
  if (!tt) return undefined;
  return {
    elemType: tt.elemType ?? 0,
    shape: tt.shape ? tt.shape.dim.map((d) => d.dimValue ?? (d.dimParam ? d.dimParam : null)) : null,
  };
}

function normAxis(a: number, rank: number): number {
  return a < 0 ? a + rank : a;
}

function broadcastDim(a: Dim, b: Dim): Dim {
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === b) return a;
  if (typeof a === 'number' && typeof b !== 'number') return a;
  if (typeof b === 'number' && typeof a !== 'number') return b;
  return null;
}

export function broadcastShapes(shapes: Shape[]): Shape {
  if (shapes.some((s) => s === null)) return null;
  const rank = Math.max(...shapes.map((s) => s!.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes as Dim[][]) {
      const j = i - (rank - s.length);
      if (j >= 0) d = broadcastDim(d, s[j]);
    }
    out.push(d);
  }
  return out;
}

function product(dims: Dim[]): Dim {
  let p = 1;
  for (const d of dims) {
    if (typeof d !== 'number') return null;
    p *= d;
  }
  return p;
}

function arith(a: Dim, b: Dim, f: (x: number, y: number) => number): Dim {
  return typeof a === 'number' && typeof b === 'number' ? f(a, b) : null;
}

/** Pool/conv output size along one spatial axis (ONNX/PyTorch rules incl. ceil_mode). */
export function poolOutSize(
  size: Dim,
  k: number,
  s: number,
  pb: number,
  pe: number,
  d: number,
  ceil: boolean,
  autoPad: string,
): Dim {
  if (typeof size !== 'number') return null;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(size / s);
  if (autoPad === 'VALID') {
    pb = 0;
    pe = 0;
  }
  const span = size + pb + pe - d * (k - 1) - 1;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // The last window must start inside the input or the leading padding.
  if (ceil && (out - 1) * s >= size + pb) out--;
  return out;
}

export interface SpatialAttrs {
  kernel: number[];
  strides: number[];
  pads: number[]; // [b1..bn, e1..en]
  dilations: number[];
  ceil: boolean;
  autoPad: string;
}

export function spatialAttrs(n: NodeProto, nSpatial: number, kernelFallback?: number[]): SpatialAttrs {
  const kernel = attrIntsOr(n, 'kernel_shape') ?? kernelFallback ?? [];
  const strides = attrIntsOr(n, 'strides') ?? new Array(nSpatial).fill(1);
  const pads = attrIntsOr(n, 'pads') ?? new Array(2 * nSpatial).fill(0);
  const dilations = attrIntsOr(n, 'dilations') ?? new Array(nSpatial).fill(1);
  return { kernel, strides, pads, dilations, ceil: attrInt(n, 'ceil_mode', 0) === 1, autoPad: attrStr(n, 'auto_pad', 'NOTSET') };
}

/**
 * Explicit pads for auto_pad SAME_* given the input spatial sizes (null when sizes are unknown);
 * the attribute pads otherwise.
 */
export function resolvePads(a: SpatialAttrs, sizes: Dim[]): number[] | null {
  const n = a.kernel.length;
  if (a.autoPad === 'VALID') return new Array(2 * n).fill(0);
  if (a.autoPad !== 'SAME_UPPER' && a.autoPad !== 'SAME_LOWER') return a.pads;
  const pads = new Array(2 * n).fill(0);
  for (let i = 0; i < n; i++) {
    const size = sizes[i];
    if (typeof size !== 'number') return null;
    const out = Math.ceil(size / a.strides[i]);
    const total = Math.max(0, (out - 1) * a.strides[i] + a.dilations[i] * (a.kernel[i] - 1) + 1 - size);
    const small = Math.floor(total / 2);
    pads[i] = a.autoPad === 'SAME_UPPER' ? small : total - small;
    pads[i + n] = total - pads[i];
  }
  return pads;
}

export class ShapeTable {
  readonly facts = new Map<string, TensorFacts>();

  constructor(readonly g: GraphProto) {
    for (const t of g.initializer) {
      if (!t.name) continue;
      const f: TensorFacts = { shape: [...t.dims], elemType: t.dataType ?? 0 };
      if (isIntType(f.elemType) && t.dims.reduce((a, b) => a * b, 1) <= MAX_VALUE) f.value = numbersOf(t);
      this.facts.set(t.name, f);
    }
    for (const v of [...g.input, ...g.valueInfo, ...g.output]) {
      const f = v.name ? shapeFromValueInfo(v) : undefined;
      if (f && v.name && !this.facts.has(v.name)) this.facts.set(v.name, f);
    }
    for (const n of g.node) {
      try {
        this.infer(n);
      } catch {
        // best effort: leave outputs unknown
      }
    }
  }

  get(name: string): TensorFacts | undefined {
    return this.facts.get(name);
  }
  shape(name: string): Shape {
    return this.facts.get(name)?.shape ?? null;
  }
  rank(name: string): number | null {
    return this.shape(name)?.length ?? null;
  }
  value(name: string | undefined): Dim[] | undefined {
    return name ? this.facts.get(name)?.value : undefined;
  }
  /** Known numeric values (all dims numbers) or undefined. */
  ints(name: string | undefined): number[] | undefined {
    const v = this.value(name);
    return v && v.every((d) => typeof d === 'number') ? (v as number[]) : undefined;
  }

  private set(name: string | undefined, f: TensorFacts): void {
    if (!name) return;
    const prior = this.facts.get(name);
    // Declared value_info wins for shapes, but keep our folded values.
    if (prior && prior.shape && prior.shape.every((d) => d !== null)) {
      if (f.value && !prior.value) prior.value = f.value;
      return;
    }
    this.facts.set(name, f);
  }

  private infer(n: NodeProto): void {
    const op = n.opType ?? '';
    if ((n.domain ?? '') !== '' && n.domain !== 'ai.onnx') return;
    const x = n.input[0];
    const fx = x ? this.facts.get(x) : undefined;
    const sx = fx?.shape ?? null;
    const tx = fx?.elemType ?? DataType.FLOAT;
    const out = n.output[0];
    switch (op) {
      case 'Constant': {
        const t = constantNodeTensor(n);
        if (!t) return;
        const f: TensorFacts = { shape: [...t.dims], elemType: t.dataType ?? 0 };
        if (isIntType(f.elemType) && t.dims.reduce((a, b) => a * b, 1) <= MAX_VALUE) f.value = numbersOf(t);
        this.set(out, f);
        return;
      }
      case 'Relu': case 'LeakyRelu': case 'Clip': case 'Sigmoid': case 'HardSigmoid': case 'HardSwish':
      case 'Tanh': case 'Softmax': case 'LogSoftmax': case 'Neg': case 'Exp': case 'Log': case 'Sqrt': case 'Abs':
      case 'Erf': case 'Identity': case 'Dropout': case 'BatchNormalization': case 'Elu': case 'Selu': case 'Softplus':
      case 'PRelu': case 'InstanceNormalization': case 'LayerNormalization': case 'Mish': case 'Gelu':
      case 'Reciprocal': case 'Floor': case 'Ceil': case 'Round': case 'Not': case 'LRN':
        this.set(out, { shape: sx ? [...sx] : null, elemType: tx, value: op === 'Identity' ? fx?.value : undefined });
        return;
      case 'Cast': {
        const to = attrInt(n, 'to', tx);
        this.set(out, { shape: sx ? [...sx] : null, elemType: to, value: isIntType(to) ? fx?.value : undefined });
        return;
      }
      case 'Add': case 'Sub': case 'Mul': case 'Div': case 'Pow': case 'Max': case 'Min': case 'Sum': case 'Mean':
      case 'Equal': case 'Greater': case 'Less': case 'GreaterOrEqual': case 'LessOrEqual': case 'And': case 'Or':
      case 'Where': {
        const shapes = n.input.filter(Boolean).map((i) => this.shape(i));
        const cmp = ['Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or'].includes(op);
        const et = op === 'Where' ? (this.facts.get(n.input[1])?.elemType ?? tx) : cmp ? DataType.BOOL : tx;
        const f: TensorFacts = { shape: broadcastShapes(shapes), elemType: et };
        // Fold arithmetic on shape vectors.
        if (['Add', 'Sub', 'Mul', 'Div'].includes(op)) {
          const a = this.value(n.input[0]);
          const b = this.value(n.input[1]);
          if (a && b && (a.length === b.length || a.length === 1 || b.length === 1)) {
            const len = Math.max(a.length, b.length);
            const fn =
              op === 'Add' ? (p: number, q: number) => p + q
              : op === 'Sub' ? (p: number, q: number) => p - q
              : op === 'Mul' ? (p: number, q: number) => p * q
              : (p: number, q: number) => Math.trunc(p / q);
            f.value = Array.from({ length: len }, (_, i) => arith(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i], fn));
          }
        }
        this.set(out, f);
        return;
      }
      case 'Shape': {
        if (!sx) {
          this.set(out, { shape: [null], elemType: DataType.INT64 });
          return;
        }
        const r = sx.length;
        let start = attrInt(n, 'start', 0);
        let end = attrInt(n, 'end', r);
        start = Math.min(Math.max(normAxis(start, r), 0), r);
        end = Math.min(Math.max(normAxis(end, r), 0), r);
        const v = sx.slice(start, Math.max(start, end));
        this.set(out, { shape: [v.length], elemType: DataType.INT64, value: v });
        return;
      }
      case 'Size':
        this.set(out, { shape: [], elemType: DataType.INT64, value: sx ? [product(sx)] : undefined });
        return;
      case 'Gather': {
        const ind = this.facts.get(n.input[1]);
        if (!sx || !ind?.shape) return;
        const axis = normAxis(attrInt(n, 'axis', 0), sx.length);
        const shape = [...sx.slice(0, axis), ...ind.shape, ...sx.slice(axis + 1)];
        const f: TensorFacts = { shape, elemType: tx };
        const data = fx?.value;
        const idx = this.ints(n.input[1]);
        if (data && idx && sx.length === 1) f.value = idx.map((i) => data[i < 0 ? i + data.length : i] ?? null);
        this.set(out, f);
        return;
      }
      case 'Unsqueeze': case 'Squeeze': {
        const axes = this.ints(inputAt(n, 1)) ?? attrIntsOr(n, 'axes');
        if (!sx) return;
        let shape: Dim[];
        if (op === 'Unsqueeze') {
          if (!axes) return;
          const r = sx.length + axes.length;
          const ax = new Set(axes.map((a) => normAxis(a, r)));
          shape = [];
          let j = 0;
          for (let i = 0; i < r; i++) shape.push(ax.has(i) ? 1 : sx[j++]);
        } else {
          const ax = axes ? new Set(axes.map((a) => normAxis(a, sx.length))) : null;
          if (!ax && sx.some((d) => d === null || typeof d === 'string')) return;
          shape = sx.filter((d, i) => (ax ? !ax.has(i) : d !== 1));
        }
        this.set(out, { shape, elemType: tx, value: fx?.value });
        return;
      }
      case 'Concat': {
        const shapes = n.input.map((i) => this.shape(i));
        const f: TensorFacts = { shape: null, elemType: tx };
        if (shapes.every((s) => s)) {
          const r = shapes[0]!.length;
          const axis = normAxis(attrInt(n, 'axis', 0), r);
          const shape = [...shapes[0]!];
          shape[axis] = shapes.reduce<Dim>((acc, s) => arith(acc, s![axis], (p, q) => p + q), 0);
          for (let i = 0; i < r; i++) {
            if (i === axis) continue;
            for (const s of shapes) if (shape[i] === null || typeof shape[i] === 'string') shape[i] = typeof s![i] === 'number' ? s![i] : shape[i];
          }
          f.shape = shape;
        }
        const vals = n.input.map((i) => this.value(i));
        if (vals.every((v) => v)) f.value = vals.flat() as Dim[];
        this.set(out, f);
        return;
      }
      case 'Reshape': {
        const target = this.value(n.input[1]);
        if (!target) {
          const st = this.shape(n.input[1]);
          if (st && typeof st[0] === 'number') this.set(out, { shape: new Array(st[0]).fill(null), elemType: tx });
          return;
        }
        const allowZero = attrInt(n, 'allowzero', 0) === 1;
        const shape: Dim[] = target.map((d, i) => (d === 0 && !allowZero ? (sx ? sx[i] : null) : d));
        const neg = shape.findIndex((d) => d === -1);
        if (neg >= 0) {
          const total = sx ? product(sx) : null;
          const rest = product(shape.filter((_, i) => i !== neg));
          shape[neg] = typeof total === 'number' && typeof rest === 'number' && rest !== 0 ? total / rest : null;
          // Symbolic batch: [-1, k] after [batch, ...] keeps the symbol when the rest matches.
          if (shape[neg] === null && sx && neg === 0 && typeof sx[0] === 'string') {
            const restIn = product(sx.slice(1));
            if (restIn !== null && restIn === rest) shape[0] = sx[0];
          }
        }
        this.set(out, { shape, elemType: tx, value: fx?.value });
        return;
      }
      case 'Flatten': {
        if (!sx) return;
        const axis = normAxis(attrInt(n, 'axis', 1), sx.length);
        const a = axis === 0 ? 1 : axis === 1 ? sx[0] : product(sx.slice(0, axis));
        this.set(out, { shape: [a, product(sx.slice(axis))], elemType: tx });
        return;
      }
      case 'Transpose': {
        if (!sx) return;
        const perm = attrIntsOr(n, 'perm') ?? sx.map((_, i) => sx.length - 1 - i);
        this.set(out, { shape: perm.map((p) => sx[p]), elemType: tx });
        return;
      }
      case 'Conv': case 'MaxPool': case 'AveragePool': case 'LpPool': {
        if (!sx) return;
        const nsp = sx.length - 2;
        const w = op === 'Conv' ? this.shape(n.input[1]) : null;
        const a = spatialAttrs(n, nsp, w ? (w.slice(2) as number[]) : undefined);
        if (op === 'Conv') a.ceil = false;
        const pads = a.pads;
        const spatial = sx.slice(2).map((d, i) =>
          poolOutSize(d, a.kernel[i], a.strides[i], pads[i], pads[i + nsp], a.dilations[i], a.ceil, a.autoPad),
        );
        const c = op === 'Conv' ? (w ? w[0] : null) : sx[1];
        const shape = [sx[0], c, ...spatial];
        this.set(out, { shape, elemType: tx });
        if (op === 'MaxPool' && n.output[1]) this.set(n.output[1], { shape: [...shape], elemType: DataType.INT64 });
        return;
      }
      case 'ConvTranspose': {
        if (!sx) return;
        const nsp = sx.length - 2;
        const w = this.shape(n.input[1]);
        const a = spatialAttrs(n, nsp, w ? (w.slice(2) as number[]) : undefined);
        const op2 = attrIntsOr(n, 'output_padding') ?? new Array(nsp).fill(0);
        const outShape = attrIntsOr(n, 'output_shape');
        const group = attrInt(n, 'group', 1);
        const spatial = sx.slice(2).map((d, i) =>
          outShape ? outShape[outShape.length - nsp + i]
          : typeof d === 'number' ? (d - 1) * a.strides[i] - a.pads[i] - a.pads[i + nsp] + a.dilations[i] * (a.kernel[i] - 1) + 1 + op2[i]
          : null,
        );
        const c = w && typeof w[1] === 'number' ? w[1] * group : null;
        this.set(out, { shape: [sx[0], c, ...spatial], elemType: tx });
        return;
      }
      case 'GlobalAveragePool': case 'GlobalMaxPool':
        if (sx) this.set(out, { shape: [sx[0], sx[1], ...sx.slice(2).map(() => 1)], elemType: tx });
        return;
      case 'Gemm': {
        const sa = this.shape(n.input[0]);
        const sb = this.shape(n.input[1]);
        const m = sa ? (attrInt(n, 'transA', 0) ? sa[1] : sa[0]) : null;
        const k = sb ? (attrInt(n, 'transB', 0) ? sb[0] : sb[1]) : null;
        this.set(out, { shape: [m, k], elemType: tx });
        return;
      }
      case 'MatMul': {
        const sa = this.shape(n.input[0]);
        const sb = this.shape(n.input[1]);
        if (!sa || !sb) return;
        const a = sa.length === 1 ? [1, sa[0]] : sa;
        const b = sb.length === 1 ? [sb[0], 1] : sb;
        const batch = broadcastShapes([a.slice(0, -2), b.slice(0, -2)])!;
        const shape = [...batch, a[a.length - 2], b[b.length - 1]];
        if (sb.length === 1) shape.pop();
        if (sa.length === 1) shape.splice(shape.length - (sb.length === 1 ? 1 : 2), 1);
        this.set(out, { shape, elemType: tx });
        return;
      }
      case 'Pad': {
        if (!sx) return;
        const pads = this.ints(inputAt(n, 1)) ?? attrIntsOr(n, 'pads');
        if (!pads) return;
        const r = sx.length;
        const axesIn = this.ints(inputAt(n, 3));
        const axes = axesIn ? axesIn.map((a) => normAxis(a, r)) : sx.map((_, i) => i);
        const shape = [...sx];
        axes.forEach((ax, i) => (shape[ax] = arith(shape[ax], pads[i] + pads[i + axes.length], (p, q) => p + q)));
        this.set(out, { shape, elemType: tx });
        return;
      }
      case 'Slice': {
        if (!sx) return;
        const starts = this.ints(inputAt(n, 1)) ?? attrIntsOr(n, 'starts');
        const ends = this.ints(inputAt(n, 2)) ?? attrIntsOr(n, 'ends');
        if (!starts || !ends) return;
        const axes = this.ints(inputAt(n, 3)) ?? attrIntsOr(n, 'axes') ?? starts.map((_, i) => i);
        const steps = this.ints(inputAt(n, 4)) ?? starts.map(() => 1);
        const shape = [...sx];
        const val = fx?.value && sx.length === 1 ? [...fx.value] : undefined;
        let valOut = val;
        axes.forEach((a0, i) => {
          const a = normAxis(a0, sx.length);
          const d = sx[a];
          if (typeof d !== 'number') {
            shape[a] = null;
            return;
          }
          const [s, e] = sliceBounds(starts[i], ends[i], steps[i], d);
          const len = steps[i] > 0 ? Math.max(0, Math.ceil((e - s) / steps[i])) : Math.max(0, Math.ceil((s - e) / -steps[i]));
          shape[a] = len;
          if (val && a === 0) valOut = Array.from({ length: len }, (_, j) => val[s + j * steps[i]]);
        });
        this.set(out, { shape, elemType: tx, value: valOut });
        return;
      }
      case 'Split': {
        if (!sx) return;
        const axis = normAxis(attrInt(n, 'axis', 0), sx.length);
        const sizes = this.ints(inputAt(n, 1)) ?? attrIntsOr(n, 'split');
        const d = sx[axis];
        const k = n.output.length;
        n.output.forEach((o, i) => {
          const shape = [...sx];
          shape[axis] = sizes ? sizes[i] : typeof d === 'number' ? Math.ceil(d / k) - (i === k - 1 ? Math.ceil(d / k) * k - d : 0) : null;
          this.set(o, { shape, elemType: tx });
        });
        return;
      }
      case 'ReduceMean': case 'ReduceSum': case 'ReduceMax': case 'ReduceMin': case 'ReduceProd': case 'ReduceL2':
      case 'ArgMax': case 'ArgMin': {
        if (!sx) return;
        const keep = attrInt(n, 'keepdims', 1) === 1;
        const isArg = op.startsWith('Arg');
        const axes = isArg ? [attrInt(n, 'axis', 0)] : (this.ints(inputAt(n, 1)) ?? attrIntsOr(n, 'axes'));
        const noop = attrInt(n, 'noop_with_empty_axes', 0) === 1;
        if (!axes && inputAt(n, 1)) return; // runtime axes
        const ax = new Set((axes && axes.length ? axes : noop ? [] : sx.map((_, i) => i)).map((a) => normAxis(a, sx.length)));
        const shape: Dim[] = [];
        sx.forEach((dd, i) => {
          if (!ax.has(i)) shape.push(dd);
          else if (keep) shape.push(1);
        });
        this.set(out, { shape, elemType: isArg ? DataType.INT64 : tx });
        return;
      }
      case 'Expand': {
        const target = this.value(n.input[1]);
        if (!sx || !target) return;
        this.set(out, { shape: broadcastShapes([sx, target.map((d) => (d === -1 ? 1 : d))]), elemType: tx });
        return;
      }
      case 'ConstantOfShape': {
        const target = this.value(n.input[0]);
        const vt = attrOfTensorType(n);
        if (target) this.set(out, { shape: [...target], elemType: vt, });
        return;
      }
      case 'Range': {
        const [s, l, d] = [0, 1, 2].map((i) => this.value(n.input[i])?.[0]);
        const len = typeof s === 'number' && typeof l === 'number' && typeof d === 'number' ? Math.max(0, Math.ceil((l - s) / d)) : null;
        this.set(out, { shape: [len], elemType: tx });
        return;
      }
      case 'Resize': case 'Upsample': {
        if (!sx) return;
        const sizes = this.ints(inputAt(n, 3));
        const scales = op === 'Upsample' ? (this.floats(inputAt(n, 1)) ?? attrOfFloats(n, 'scales')) : this.floats(inputAt(n, 2));
        if (sizes) this.set(out, { shape: sizes, elemType: tx });
        else if (scales) this.set(out, { shape: sx.map((d, i) => (typeof d === 'number' ? Math.floor(d * scales[i]) : i === 0 ? d : null)), elemType: tx });
        return;
      }
      default:
        return;
    }
  }

  private floats(name: string | undefined): number[] | undefined {
    if (!name) return undefined;
    for (const t of this.g.initializer) if (t.name === name) return numbersOf(t);
    for (const n of this.g.node) if (n.opType === 'Constant' && n.output[0] === name) return numbersOf(constantNodeTensor(n));
    return undefined;
  }
}

function attrOfFloats(n: NodeProto, name: string): number[] | undefined {
  const a = n.attribute.find((x) => x.name === name);
  return a ? a.floats : undefined;
}

function attrOfTensorType(n: NodeProto): number {
  const a = n.attribute.find((x) => x.name === 'value');
  return a?.t?.dataType ?? DataType.FLOAT;
}

export function isIntType(t: number): boolean {
  return t === DataType.INT64 || t === DataType.INT32 || t === DataType.INT16 || t === DataType.INT8 || t === DataType.UINT8;
}

/** Clamped [start, end) of a Slice along an axis of size d (ONNX semantics). */
export function sliceBounds(start: number, end: number, step: number, d: number): [number, number] {
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), d);
    e = Math.min(Math.max(e, 0), d);
  } else {
    s = Math.min(Math.max(s, -1), d - 1);
    e = Math.min(Math.max(e, -1), d - 1);
  }
  return [s, e];
}
