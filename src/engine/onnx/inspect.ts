// Cheap structural summary of an ONNX model (weights stay zero-copy views into `bytes`).
import { DataType, decodeModel, type GraphProto, type ModelProto, type ValueInfoProto } from './proto.ts';

export interface TensorInfo {
  name: string;
  /** ONNX DataType code (DataType.FLOAT = 1, ...); 0 when unknown. */
  elemType: number;
  /** number = fixed size, string = symbolic (e.g. 'batch'), null = unknown; whole shape null when rank unknown. */
  shape: (number | string | null)[] | null;
}

export interface ModelInfo {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: string;
  /** Graph inputs that are not initializers. */
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  metadata: Record<string, string>;
  /** Distinct op types, including those inside subgraphs (If/Loop bodies). */
  opTypes: string[];
  quantized: boolean;
  /** Nodes in the main graph and all subgraphs. */
  nodeCount: number;
}

const QUANT_OPS = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'ConvInteger',
  'MatMulInteger',
  'MatMulIntegerToFloat',
  'DynamicQuantizeMatMul',
]);
const COMPUTE_OPS = new Set(['Conv', 'ConvTranspose', 'MatMul', 'Gemm']);
const LOW_BIT_INTS: ReadonlySet<number> = new Set([DataType.INT8, DataType.UINT8, DataType.INT4, DataType.UINT4]);

function tensorInfo(v: ValueInfoProto): TensorInfo {
  const tt = v.type?.tensorType;
  return {
    name: v.name ?? '',
    elemType: tt?.elemType ?? 0,
    shape: tt?.shape ? tt.shape.dim.map((d) => d.dimValue ?? d.dimParam ?? null) : null,
  };
}

function* allGraphs(g: GraphProto): Generator<GraphProto> {
  yield g;
  for (const n of g.node) {
    for (const a of n.attribute) {
      if (a.g) yield* allGraphs(a.g);
      for (const sub of a.graphs) yield* allGraphs(sub);
    }
  }
}

export function isQuantized(m: ModelProto): boolean {
  for (const g of allGraphs(m.graph!)) {
    const lowBit = new Set(g.initializer.filter((t) => LOW_BIT_INTS.has(t.dataType ?? 0)).map((t) => t.name));
    for (const n of g.node) {
      const op = n.opType ?? '';
      if (op.startsWith('QLinear') || QUANT_OPS.has(op)) return true;
      // Integer weights fed straight into a float compute op (weight-only quantization).
      if (COMPUTE_OPS.has(op) && n.input.some((i) => lowBit.has(i))) return true;
    }
  }
  return false;
}

export function summarizeModel(m: ModelProto): ModelInfo {
  const g = m.graph!;
  const initializers = new Set(g.initializer.map((t) => t.name));
  const opTypes = new Set<string>();
  let nodeCount = 0;
  for (const sub of allGraphs(g)) {
    nodeCount += sub.node.length;
    for (const n of sub.node) opTypes.add(n.opType ?? '');
  }
  return {
    irVersion: m.irVersion ?? 0,
    opsets: m.opsetImport.map((o) => ({ domain: o.domain ?? '', version: o.version ?? 0 })),
    producer: [m.producerName, m.producerVersion].filter(Boolean).join(' '),
    inputs: g.input.filter((v) => !initializers.has(v.name)).map(tensorInfo),
    outputs: g.output.map(tensorInfo),
    metadata: Object.fromEntries(m.metadataProps.map((e) => [e.key ?? '', e.value ?? ''])),
    opTypes: [...opTypes],
    quantized: isQuantized(m),
    nodeCount,
  };
}

/** Decodes and summarizes; throws EngineError INVALID_MODEL / UNSUPPORTED_MODEL like decodeModel. */
export function inspectModel(bytes: Uint8Array): ModelInfo {
  return summarizeModel(decodeModel(bytes));
}
