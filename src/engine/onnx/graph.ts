// Small constructors for building ONNX graphs in code (demo model, backward graphs, tests).
import {
  AttributeType,
  DataType,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './proto.ts';

const utf8 = new TextEncoder();
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function attribute(name: string, type: number, fields: Partial<AttributeProto>): AttributeProto {
  return { name, type, floats: [], ints: [], strings: [], tensors: [], graphs: [], ...fields };
}

export const attrInt = (name: string, v: number): AttributeProto => attribute(name, AttributeType.INT, { i: v });
export const attrInts = (name: string, v: readonly number[]): AttributeProto =>
  attribute(name, AttributeType.INTS, { ints: [...v] });
export const attrFloat = (name: string, v: number): AttributeProto => attribute(name, AttributeType.FLOAT, { f: v });
export const attrFloats = (name: string, v: readonly number[]): AttributeProto =>
  attribute(name, AttributeType.FLOATS, { floats: [...v] });
export const attrString = (name: string, v: string): AttributeProto =>
  attribute(name, AttributeType.STRING, { s: utf8.encode(v) });
export const attrStrings = (name: string, v: readonly string[]): AttributeProto =>
  attribute(name, AttributeType.STRINGS, { strings: v.map((s) => utf8.encode(s)) });
export const attrTensor = (name: string, t: TensorProto): AttributeProto =>
  attribute(name, AttributeType.TENSOR, { t });
export const attrGraph = (name: string, g: GraphProto): AttributeProto => attribute(name, AttributeType.GRAPH, { g });

/** Reads an attribute by name from a node (undefined when absent). */
export function getAttr(n: NodeProto, name: string): AttributeProto | undefined {
  return n.attribute.find((a) => a.name === name);
}

export function node(
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attrs: readonly AttributeProto[] = [],
  name?: string,
  domain?: string,
): NodeProto {
  const n: NodeProto = { opType, input: [...inputs], output: [...outputs], attribute: [...attrs] };
  if (name !== undefined) n.name = name;
  if (domain !== undefined) n.domain = domain;
  return n;
}

function emptyTensor(name: string, dims: readonly number[], dataType: number): TensorProto {
  return { name, dims: [...dims], dataType, stringData: [], int64Data: [], externalData: [], uint64Data: [] };
}

function checkCount(name: string, dims: readonly number[], length: number): void {
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== length) throw new RangeError(`tensor '${name}': ${length} values for dims [${dims.join(', ')}] (${n})`);
}

/** FLOAT tensor stored as little-endian raw_data (what exporters produce). */
export function floatTensor(name: string, dims: readonly number[], data: ArrayLike<number>): TensorProto {
  checkCount(name, dims, data.length);
  const values = Float32Array.from(data);
  let raw: Uint8Array;
  if (LITTLE_ENDIAN) raw = new Uint8Array(values.buffer);
  else {
    raw = new Uint8Array(values.length * 4);
    const dv = new DataView(raw.buffer);
    for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true);
  }
  return { ...emptyTensor(name, dims, DataType.FLOAT), rawData: raw };
}

/** INT64 tensor stored as little-endian raw_data. */
export function int64Tensor(name: string, dims: readonly number[], data: ArrayLike<number | bigint>): TensorProto {
  checkCount(name, dims, data.length);
  const raw = new Uint8Array(data.length * 8);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) dv.setBigInt64(i * 8, BigInt(data[i]), true);
  return { ...emptyTensor(name, dims, DataType.INT64), rawData: raw };
}

/** Tensor value info; string dims are symbolic (e.g. 'batch'). */
export function valueInfo(name: string, elemType: number, shape: readonly (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export function graph(g: {
  name: string;
  nodes: NodeProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  initializers?: TensorProto[];
  valueInfo?: ValueInfoProto[];
  docString?: string;
}): GraphProto {
  const out: GraphProto = {
    name: g.name,
    node: g.nodes,
    input: g.inputs,
    output: g.outputs,
    initializer: g.initializers ?? [],
    valueInfo: g.valueInfo ?? [],
  };
  if (g.docString !== undefined) out.docString = g.docString;
  return out;
}

export function model(m: {
  graph: GraphProto;
  opset?: number;
  irVersion?: number;
  metadata?: Record<string, string>;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** Extra operator sets, e.g. { domain: 'com.microsoft', version: 1 }. */
  extraOpsets?: { domain: string; version: number }[];
}): ModelProto {
  const out: ModelProto = {
    irVersion: m.irVersion ?? 8,
    opsetImport: [{ domain: '', version: m.opset ?? 17 }, ...(m.extraOpsets ?? [])],
    producerName: m.producerName ?? 'xai-lab',
    graph: m.graph,
    metadataProps: Object.entries(m.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  if (m.producerVersion !== undefined) out.producerVersion = m.producerVersion;
  if (m.docString !== undefined) out.docString = m.docString;
  return out;
}

/** The node producing each tensor of a graph. */
export function producers(g: GraphProto): Map<string, NodeProto> {
  const p = new Map<string, NodeProto>();
  for (const n of g.node) for (const o of n.output) if (o) p.set(o, n);
  return p;
}

/** The model with `names` as extra graph outputs (no type info: onnxruntime infers it). */
export function withOutputs(m: ModelProto, names: readonly string[]): ModelProto {
  const g = m.graph!;
  const existing = new Set(g.output.map((o) => o.name));
  return { ...m, graph: { ...g, output: [...g.output, ...names.filter((n) => !existing.has(n)).map((name) => ({ name }))] } };
}
