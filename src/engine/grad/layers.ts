// Which activations a CAM method can target, and the conventional default (the last spatial
// feature map before the classifier head).
import ort from 'onnxruntime-node';
import { EngineError } from '../errors.ts';
import { DataType, encodeModel, type ModelProto, type NodeProto } from '../onnx/proto.ts';
import { differentiableInputs, differentiableOutputs } from './rules.ts';
import { ShapeTable, type Dim } from './shapes.ts';
import { constantTensors } from './util.ts';

export interface CandidateLayer {
  /** Tensor name (what buildGradientModel takes as `target`). */
  name: string;
  /** Producing node's operator and name. */
  opType: string;
  nodeName: string;
  /** [N, C, H, W] with numbers where known, symbols (e.g. 'batch') or null otherwise. */
  shape: Dim[];
}

export interface LayerOptions {
  /** Class-score output; default: the first graph output. */
  output?: string;
  /** Concrete shapes (e.g. from inferShapes) overriding static inference. */
  shapes?: Map<string, number[]>;
}

function classOutput(m: ModelProto, output?: string): string {
  const g = m.graph!;
  const name = output ?? g.output[0]?.name;
  if (!name) throw new EngineError('UNSUPPORTED_MODEL', 'the model has no outputs');
  return name;
}

interface Analysis {
  nodes: NodeProto[];
  producer: Map<string, NodeProto>;
  feedsOutput: Set<string>;
  shape: (t: string) => Dim[] | null;
  consts: Set<string>;
}

function analyze(m: ModelProto, opts: LayerOptions): Analysis {
  const g = m.graph!;
  const output = classOutput(m, opts.output);
  const table = new ShapeTable(g);
  const consts = new Set([...constantTensors(g).keys()]);
  const producer = new Map<string, NodeProto>();
  for (const n of g.node) for (const o of n.output) if (o) producer.set(o, n);
  const feedsOutput = new Set<string>([output]);
  for (let k = g.node.length - 1; k >= 0; k--) {
    const n = g.node[k];
    if (differentiableOutputs(n).some((o) => feedsOutput.has(n.output[o]))) {
      for (const i of differentiableInputs(n)) if (n.input[i] && !consts.has(n.input[i])) feedsOutput.add(n.input[i]);
    }
  }
  const shape = (t: string): Dim[] | null => opts.shapes?.get(t) ?? table.shape(t);
  return { nodes: g.node, producer, feedsOutput, shape, consts };
}

const SKIP_OPS = new Set(['Constant', 'Shape', 'Size', 'ConstantOfShape', 'Range', 'Identity', 'Dropout']);

/** 4-D float activations that feed the class output, in graph order. */
export function listCandidateLayers(m: ModelProto, opts: LayerOptions = {}): CandidateLayer[] {
  const a = analyze(m, opts);
  const out: CandidateLayer[] = [];
  for (const n of a.nodes) {
    if (SKIP_OPS.has(n.opType ?? '')) continue;
    for (const i of differentiableOutputs(n)) {
      const t = n.output[i];
      if (!t || !a.feedsOutput.has(t)) continue;
      const s = a.shape(t);
      if (!s || s.length !== 4) continue;
      out.push({ name: t, opType: n.opType ?? '', nodeName: n.name ?? '', shape: s });
    }
  }
  return out;
}

const spatialSize = (s: Dim[]): number | null =>
  typeof s[2] === 'number' && typeof s[3] === 'number' ? s[2] * s[3] : null;

/** Pooling that torchvision models put between the features and the classifier (AdaptiveAvgPool2d). */
const HEAD_POOLS = new Set(['AveragePool', 'GlobalAveragePool', 'ReduceMean', 'GlobalMaxPool']);

/**
 * The last spatial (H·W > 1) 4-D activation before the classifier head: walk back from the class
 * output through the head (Gemm/MatMul/Flatten/Reshape/activations/1×1 maps), step over one
 * adaptive average pool, and stop at the first feature map. A model's `xai.target_layer` metadata
 * wins when it names a tensor. Returns null when the model has no 4-D activation.
 */
export function defaultTargetLayer(m: ModelProto, opts: LayerOptions = {}): string | null {
  const g = m.graph!;
  const meta = m.metadataProps.find((p) => p.key === 'xai.target_layer')?.value;
  const a = analyze(m, opts);
  if (meta && a.producer.has(meta)) return meta;
  const candidates = listCandidateLayers(m, opts);
  const fallback = () => {
    for (let i = candidates.length - 1; i >= 0; i--) {
      const sz = spatialSize(candidates[i].shape);
      if (sz === null || sz > 1) return candidates[i].name;
    }
    return candidates.at(-1)?.name ?? null;
  };
  let t = classOutput(m, opts.output);
  let steppedOverPool = false;
  const inputs = new Set(g.input.map((v) => v.name));
  for (let guard = 0; guard < 10000; guard++) {
    const s = a.shape(t);
    const p = a.producer.get(t);
    if (s && s.length === 4) {
      const sz = spatialSize(s);
      if (sz === null || sz > 1) {
        if (p && HEAD_POOLS.has(p.opType ?? '') && !steppedOverPool) {
          steppedOverPool = true;
          t = p.input[0];
          continue;
        }
        return inputs.has(t) ? fallback() : t;
      }
    }
    if (!p) return fallback();
    const vars = differentiableInputs(p)
      .map((i) => p.input[i])
      .filter((x) => x && !a.consts.has(x) && a.feedsOutput.has(x));
    if (vars.length !== 1) return fallback();
    if (HEAD_POOLS.has(p.opType ?? '')) steppedOverPool = true;
    t = vars[0];
  }
  return fallback();
}

/**
 * Concrete shapes of every float node output, by running the model once on zeros with the
 * given input dims (one onnxruntime session, released afterwards). Useful when the model has
 * symbolic spatial dims or operators the static inference does not know.
 */
export async function inferShapes(m: ModelProto, inputDims: Record<string, readonly number[]>): Promise<Map<string, number[]>> {
  const g = m.graph!;
  const existing = new Set(g.output.map((o) => o.name));
  const extra = g.node
    .filter((n) => !SKIP_OPS.has(n.opType ?? '') || n.opType === 'Identity' || n.opType === 'Dropout')
    .flatMap((n) => differentiableOutputs(n).map((i) => n.output[i]))
    .filter((t) => t && !existing.has(t));
  const table = new ShapeTable(g);
  const floatOnly = extra.filter((t) => {
    const et = table.get(t)?.elemType;
    return et === undefined || et === 0 || et === DataType.FLOAT;
  });
  const probe: ModelProto = { ...m, graph: { ...g, output: [...g.output, ...floatOnly.map((name) => ({ name }))] } };
  const session = await ort.InferenceSession.create(encodeModel(probe), { graphOptimizationLevel: 'disabled' });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, dims] of Object.entries(inputDims)) {
      feeds[name] = new ort.Tensor('float32', new Float32Array(dims.reduce((p, q) => p * q, 1)), dims);
    }
    const res = await session.run(feeds);
    const out = new Map<string, number[]>();
    for (const [name, t] of Object.entries(res)) out.set(name, [...t.dims]);
    return out;
  } finally {
    await session.release();
  }
}
