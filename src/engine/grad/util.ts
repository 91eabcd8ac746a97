// Small helpers shared by the gradient builder: attribute access, constants, fresh names.
import { AttributeType, DataType, tensorToNumbers, type GraphProto, type NodeProto, type TensorProto } from '../onnx/proto.ts';
import { attrInts, floatTensor, int64Tensor, node } from '../onnx/graph.ts';

const utf8 = new TextDecoder();

export function attrOf(n: NodeProto, name: string) {
  return n.attribute.find((a) => a.name === name);
}
export function attrInt(n: NodeProto, name: string, def: number): number {
  const a = attrOf(n, name);
  return a && a.i !== undefined ? a.i : def;
}
export function attrFloat(n: NodeProto, name: string, def: number): number {
  const a = attrOf(n, name);
  return a && a.f !== undefined ? a.f : def;
}
export function attrIntsOr(n: NodeProto, name: string): number[] | undefined {
  const a = attrOf(n, name);
  if (!a) return undefined;
  if (a.type === AttributeType.INT && a.i !== undefined) return [a.i];
  return [...a.ints];
}
export function attrStr(n: NodeProto, name: string, def: string): string {
  const a = attrOf(n, name);
  return a?.s ? utf8.decode(a.s) : def;
}
export function withoutAttrs(n: NodeProto, names: string[]): NodeProto {
  return { ...n, attribute: n.attribute.filter((a) => !names.includes(a.name ?? '')) };
}
export function setAttr(n: NodeProto, a: ReturnType<typeof attrInts>): void {
  n.attribute = [...n.attribute.filter((b) => b.name !== a.name), a];
}

/** Optional input: '' or absent means "not given". */
export function inputAt(n: NodeProto, i: number): string | undefined {
  const v = n.input[i];
  return v ? v : undefined;
}

/** Constant tensors of a graph: initializers, Constant node outputs, and Identity copies of those. */
export function constantTensors(g: GraphProto): Map<string, TensorProto> {
  const out = new Map<string, TensorProto>();
  for (const t of g.initializer) if (t.name) out.set(t.name, t);
  for (const n of g.node) {
    if ((n.domain ?? '') !== '') continue;
    if (n.opType === 'Constant') {
      const t = constantNodeTensor(n);
      if (t) out.set(n.output[0], t);
    } else if (n.opType === 'Identity' && out.has(n.input[0])) {
      // torch.onnx.export deduplicates equal initializers through Identity nodes.
      out.set(n.output[0], out.get(n.input[0])!);
    }
  }
  return out;
}

export function constantNodeTensor(n: NodeProto): TensorProto | undefined {
  for (const a of n.attribute) {
    switch (a.name) {
      case 'value':
        return a.t;
      case 'value_float':
        return floatTensor('', [], [a.f ?? 0]);
      case 'value_floats':
        return floatTensor('', [a.floats.length], a.floats);
      case 'value_int':
        return int64Tensor('', [], [a.i ?? 0]);
      case 'value_ints':
        return int64Tensor('', [a.ints.length], a.ints);
    }
  }
  return undefined;
}

/** Numbers of a small constant tensor (shape vectors, axes, pads...). */
export function numbersOf(t: TensorProto | undefined): number[] | undefined {
  if (!t) return undefined;
  try {
    return tensorToNumbers(t);
  } catch {
    return undefined;
  }
}

export function isFloatType(t: number | undefined): boolean {
  return t === DataType.FLOAT || t === DataType.DOUBLE || t === DataType.FLOAT16 || t === DataType.BFLOAT16;
}

/** Appends nodes and constants to a graph under collision-free names. */
export class Emitter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;
  private readonly memo = new Map<string, string>();

  constructor(
    private readonly taken: Set<string>,
    private readonly prefix = 'grad~',
  ) {}

  fresh(hint: string): string {
    const base = `${this.prefix}${hint.replace(/^\/+/, '')}`;
    let name = `${base}_${this.counter++}`;
    while (this.taken.has(name)) name = `${base}_${this.counter++}`;
    this.taken.add(name);
    return name;
  }

  /** Emits a node with one output; returns the output name. */
  op(opType: string, inputs: readonly string[], attrs: ReturnType<typeof attrInts>[] = [], hint = opType): string {
    return this.opN(opType, inputs, 1, attrs, hint)[0];
  }

  opN(opType: string, inputs: readonly string[], count: number, attrs: ReturnType<typeof attrInts>[] = [], hint = opType): string[] {
    const outs = Array.from({ length: count }, () => this.fresh(hint));
    this.nodes.push(node(opType, inputs, outs, attrs, outs[0]));
    return outs;
  }

  /** Same node emitted once per key (shape-of, constants). */
  memoized(key: string, make: () => string): string {
    let v = this.memo.get(key);
    if (v === undefined) {
      v = make();
      this.memo.set(key, v);
    }
    return v;
  }

  constF(dims: readonly number[], values: ArrayLike<number>, hint = 'const'): string {
    const name = this.fresh(hint);
    this.initializers.push(floatTensor(name, dims, values));
    return name;
  }

  constI64(dims: readonly number[], values: readonly number[], hint = 'ints'): string {
    const key = `i64:${dims.join(',')}:${values.join(',')}`;
    return this.memoized(key, () => {
      const name = this.fresh(hint);
      this.initializers.push(int64Tensor(name, dims, values));
      return name;
    });
  }

  ints(values: readonly number[]): string {
    return this.constI64([values.length], values);
  }

  scalarF(v: number): string {
    return this.memoized(`f32:${v}`, () => {
      const name = this.fresh('scalar');
      this.initializers.push(floatTensor(name, [], [v]));
      return name;
    });
  }

  shapeOf(t: string): string {
    return this.memoized(`shape:${t}`, () => this.op('Shape', [t], [], 'shape'));
  }
}
