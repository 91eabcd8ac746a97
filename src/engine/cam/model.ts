// What the CAM and gradient explainers need from a model besides its forward session: facts about
// its graph (tensor names, the default target layer, candidates for error messages), backward
// models (GradientRunner), and "activation models" (the forward graph with the target layer as an
// extra output, dequantized for int8 models) for the gradient-free Eigen-CAM and Score-CAM.
import fs from 'node:fs/promises';
import ort from 'onnxruntime-node';
import { EngineError } from '../errors.ts';
import type { EngineContext } from '../explain/types.ts';
import type { ModelHandle } from '../explain/types.ts';
import { defaultTargetLayer, GradientRunner, listCandidateLayers } from '../grad/index.ts';
import { isQuantized } from '../onnx/inspect.ts';
import { node, valueInfo } from '../onnx/graph.ts';
import { DataType, decodeModel, encodeModel, type ModelProto, type NodeProto } from '../onnx/proto.ts';
import type { Session } from '../session.ts';

export interface ModelFacts {
  inputName: string;
  outputName: string;
  quantized: boolean;
  /** Fixed batch dimension of the image input (rows are padded to it), else null. */
  fixedBatch: number | null;
  /** Every node output of the main graph. */
  tensors: Set<string>;
  /** The conventional CAM layer for gradient methods (float models), else null. */
  gradientLayer: string | null;
  /** The layer activation-only methods use by default (dequantized tensor name for int8 models). */
  activationLayer: string | null;
  /** A few plausible layers, last first, for error messages. */
  candidates: string[];
}

const factsCache = new Map<string, Promise<ModelFacts>>();
/** One decoded model kept between facts and the session builds of the same request. */
let lastDecoded: { key: string; bytes: Uint8Array; model: ModelProto } | null = null;

export async function decodedModel(model: ModelHandle): Promise<{ bytes: Uint8Array; model: ModelProto }> {
  if (lastDecoded?.key === model.key) return lastDecoded;
  const bytes = new Uint8Array(await fs.readFile(model.path));
  const m = decodeModel(bytes);
  lastDecoded = { key: model.key, bytes, model: m };
  return lastDecoded;
}

/** Drops the decoded model kept for reuse (tests and benchmarks with large models). */
export function releaseDecoded(): void {
  lastDecoded = null;
}

const QLINEAR_OUT_QPARAMS: Record<string, [number, number]> = {
  QLinearConv: [6, 7],
  QLinearMatMul: [6, 7],
  QLinearAdd: [6, 7],
  QLinearMul: [6, 7],
  QLinearGlobalAveragePool: [3, 4],
  QLinearAveragePool: [3, 4],
  QLinearLeakyRelu: [3, 4],
  QLinearSigmoid: [3, 4],
  QLinearConcat: [0, 1],
  QuantizeLinear: [1, 2],
};
/** Ops that pass quantized tensors through with their input's scale and zero point. */
const QUANT_PASSTHROUGH = new Set(['MaxPool', 'Reshape', 'Flatten', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity', 'Relu']);

function producers(g: NonNullable<ModelProto['graph']>): Map<string, NodeProto> {
  const p = new Map<string, NodeProto>();
  for (const n of g.node) for (const o of n.output) if (o) p.set(o, n);
  return p;
}

/** Scale/zero-point tensors of a quantized tensor, or null when it is a float tensor. */
function quantParams(t: string, prod: Map<string, NodeProto>): [string, string] | null {
  for (let guard = 0; guard < 64; guard++) {
    const p = prod.get(t);
    if (!p) return null;
    const op = p.opType ?? '';
    const q = QLINEAR_OUT_QPARAMS[op];
    if (q) return [p.input[q[0]], p.input[q[1]]];
    if (op === 'DequantizeLinear') return null;
    if (QUANT_PASSTHROUGH.has(op) && (p.domain ?? '') === '') {
      const src = p.input[0];
      // A pass-through op is quantized exactly when its data input is.
      if (!src) return null;
      t = src;
      continue;
    }
    return null;
  }
  return null;
}

/** The data input a backwards walk follows: the first input that is not an initializer/constant. */
function dataInput(n: NodeProto, consts: Set<string>): string | undefined {
  return n.input.find((i) => i && !consts.has(i));
}

export async function modelFacts(model: ModelHandle): Promise<ModelFacts> {
  let p = factsCache.get(model.key);
  if (!p) {
    p = computeFacts(model);
    factsCache.set(model.key, p);
    p.catch(() => factsCache.delete(model.key));
  }
  return p;
}

async function computeFacts(model: ModelHandle): Promise<ModelFacts> {
  const { model: m } = await decodedModel(model);
  const g = m.graph!;
  const inits = new Set(g.initializer.map((t) => t.name));
  const inputName = model.spec.inputName ?? g.input.find((v) => !inits.has(v.name))?.name;
  const outputName = model.spec.outputName ?? g.output[0]?.name;
  if (!inputName || !outputName) throw new EngineError('UNSUPPORTED_MODEL', 'the model has no input or output');
  const quantized = model.quantized || isQuantized(m);
  const d0 = g.input.find((v) => v.name === inputName)?.type?.tensorType?.shape?.dim[0]?.dimValue;
  const fixedBatch = typeof d0 === 'number' && d0 > 0 ? d0 : null;
  const tensors = new Set<string>();
  for (const n of g.node) for (const o of n.output) if (o) tensors.add(o);
  if (!quantized) {
    const gradientLayer = defaultTargetLayer(m, { output: outputName });
    // Feature maps with more than one spatial position (pooled 1×1 maps make degenerate CAMs).
    const candidates = listCandidateLayers(m, { output: outputName })
      .filter((c) => !(c.shape[2] === 1 && c.shape[3] === 1))
      .map((c) => c.name)
      .reverse();
    return { inputName, outputName, quantized, fixedBatch, tensors, gradientLayer, activationLayer: gradientLayer, candidates };
  }
  // Quantized: walk back from the output along data inputs; the first rank-4 tensor with more
  // than one spatial position is the feature map (probe one zero image for concrete shapes).
  const prod = producers(g);
  const consts = new Set<string>([...inits].filter((x): x is string => !!x));
  for (const n of g.node) if (n.opType === 'Constant') for (const o of n.output) consts.add(o);
  const chain: string[] = [];
  for (let t: string | undefined = outputName, guard = 0; t && guard < 10000; guard++) {
    const n = prod.get(t);
    if (!n) break;
    const next = dataInput(n, consts);
    if (!next || next === inputName) break;
    chain.push(next);
    t = next;
  }
  const shapes = await probeShapes(m, inputName, model, chain);
  let activationLayer: string | null = null;
  const candidates: string[] = [];
  for (const t of chain) {
    const s = shapes.get(t);
    if (s && s.length === 4 && s[2] * s[3] > 1) {
      candidates.push(t);
      activationLayer ??= t;
    }
  }
  return { inputName, outputName, quantized, fixedBatch, tensors, gradientLayer: null, activationLayer, candidates };
}

async function probeShapes(m: ModelProto, inputName: string, model: ModelHandle, names: string[]): Promise<Map<string, number[]>> {
  const g = m.graph!;
  const existing = new Set(g.output.map((o) => o.name));
  const probe: ModelProto = { ...m, graph: { ...g, output: [...g.output, ...names.filter((n) => !existing.has(n)).map((name) => ({ name }))] } };
  const session = await ort.InferenceSession.create(encodeModel(probe), { graphOptimizationLevel: 'disabled' });
  try {
    const { width, height, layout } = model.spec;
    const dims = layout === 'NCHW' ? [1, 3, height, width] : [1, height, width, 3];
    const res = await session.run({ [inputName]: new ort.Tensor('float32', new Float32Array(3 * width * height), dims) });
    const out = new Map<string, number[]>();
    for (const [name, t] of Object.entries(res)) out.set(name, [...t.dims]);
    return out;
  } finally {
    await session.release();
  }
}

/** Rejects unknown layer names with a few candidates; returns the layer to use. */
export function resolveLayer(facts: ModelFacts, requested: string | null, kind: 'gradient' | 'activation'): string {
  if (requested) {
    if (!facts.tensors.has(requested)) {
      const few = facts.candidates.slice(0, 5).map((c) => `'${c}'`);
      throw new EngineError(
        'INVALID_ARGUMENT',
        `target layer '${requested}' is not a tensor of this model; candidates include ${few.join(', ') || '(none found)'}`,
        { candidates: facts.candidates.slice(0, 20) },
      );
    }
    return requested;
  }
  const layer = kind === 'gradient' ? facts.gradientLayer : facts.activationLayer;
  if (!layer) throw new EngineError('UNSUPPORTED_MODEL', 'the model has no 4-D feature map to explain');
  return layer;
}

function runnerKeyFor(model: ModelHandle, output: string, target: string): string {
  return `grad:${model.key}:${output}:${target}`;
}

const runners = new WeakMap<object, Map<string, Promise<GradientRunner>>>();

/**
 * A backward model of `model` for `target` (a layer, or the input name for input gradients),
 * its session kept in ctx.sessions. Quantized models fail with NOT_DIFFERENTIABLE.
 */
export async function gradientRunner(ctx: EngineContext, model: ModelHandle, target: string, facts: ModelFacts): Promise<GradientRunner> {
  let map = runners.get(ctx.sessions);
  if (!map) runners.set(ctx.sessions, (map = new Map()));
  const key = runnerKeyFor(model, facts.outputName, target);
  let p = map.get(key);
  // A session evicted from the shared cache must be rebuilt.
  if (p && !ctx.sessions.has(key)) p = undefined;
  if (!p) {
    p = (async () => GradientRunner.create(await decodedModel(model), { target, output: facts.outputName, cache: ctx.sessions, modelKey: model.key }))();
    map.set(key, p);
    const mine = p;
    p.catch(() => {
      if (map.get(key) === mine) map.delete(key);
    });
  }
  return p;
}

export interface ActivationModel {
  session: Session;
  inputName: string;
  outputName: string;
  /** Float tensor fetched as the activation (the dequantized copy for int8 layers). */
  activation: string;
  layer: string;
}

/**
 * The forward model with `layer` as an extra float output. For a quantized tensor we fetch the
 * model's own DequantizeLinear of it when there is one, else add one with the producer's output
 * scale and zero point.
 */
export async function activationModel(ctx: EngineContext, model: ModelHandle, layer: string, facts: ModelFacts): Promise<ActivationModel> {
  const key = `act:${model.key}:${layer}`;
  let activation = layer;
  const build = async () => {
    const { model: m } = await decodedModel(model);
    const g = m.graph!;
    const prod = producers(g);
    const nodes = [...g.node];
    const q = quantParams(layer, prod);
    if (q) {
      const deq = g.node.find((n) => n.opType === 'DequantizeLinear' && n.input[0] === layer && (n.domain ?? '') === '');
      if (deq) activation = deq.output[0];
      else {
        activation = `${layer}__xai_dequantized`;
        nodes.push(node('DequantizeLinear', [layer, q[0], q[1]], [activation], [], `${activation}_node`));
      }
    }
    const outputs = g.output.some((o) => o.name === activation) ? g.output : [...g.output, { name: activation }];
    activationNames.set(key, activation);
    return encodeModel({ ...m, graph: { ...g, node: nodes, output: outputs } });
  };
  const session = await ctx.sessions.get(key, build);
  activation = activationNames.get(key) ?? (await resolveActivationName(model, layer));
  return { session, inputName: facts.inputName, outputName: facts.outputName, activation, layer };
}

/** Activation tensor names by session key (set when the session is built). */
const activationNames = new Map<string, string>();

async function resolveActivationName(model: ModelHandle, layer: string): Promise<string> {
  const { model: m } = await decodedModel(model);
  const g = m.graph!;
  const q = quantParams(layer, producers(g));
  if (!q) return layer;
  const deq = g.node.find((n) => n.opType === 'DequantizeLinear' && n.input[0] === layer && (n.domain ?? '') === '');
  return deq ? deq.output[0] : `${layer}__xai_dequantized`;
}

/**
 * The part of the graph from `layer` to the class output, with `layer` as its only input — when
 * it is self-contained (every node downstream of the layer reads only the layer's descendants and
 * constants; true for the usual last-feature-map layers, whose tail is the classifier head).
 * Null otherwise (e.g. a layer inside a residual block whose skip connection bypasses it).
 */
export function tailModel(m: ModelProto, layer: string, output: string, dims: readonly number[]): ModelProto | null {
  const g = m.graph!;
  const dep = new Set([layer]);
  const keep: NodeProto[] = [];
  for (const n of g.node) {
    if (n.input.some((i) => dep.has(i))) {
      keep.push(n);
      for (const o of n.output) if (o) dep.add(o);
    }
  }
  if (!dep.has(output)) return null;
  const avail = new Set<string>(['', ...dep]);
  for (const t of g.initializer) if (t.name) avail.add(t.name);
  // Inputs that are neither descendants of the layer nor initializers must come from constant-only
  // producers (Constant nodes, Identity copies of initializers that exporters dedupe, …).
  const prod = producers(g);
  const graphInputs = new Set(g.input.map((v) => v.name));
  const consts = new Set<NodeProto>();
  const need = keep.flatMap((n) => n.input).filter((i) => !avail.has(i));
  while (need.length) {
    const t = need.pop()!;
    if (avail.has(t)) continue;
    const c = prod.get(t);
    if (!c || graphInputs.has(t)) return null;
    if (consts.has(c)) continue;
    consts.add(c);
    for (const i of c.input) if (!avail.has(i)) need.push(i);
  }
  const nodes = g.node.filter((n) => consts.has(n) || keep.includes(n));
  const usedInits = new Set(nodes.flatMap((n) => n.input));
  return {
    ...m,
    graph: {
      ...g,
      node: nodes,
      initializer: g.initializer.filter((t) => t.name && usedInits.has(t.name)),
      input: [valueInfo(layer, DataType.FLOAT, ['batch', ...dims.slice(1)])],
      output: g.output.filter((o) => o.name === output),
      valueInfo: g.valueInfo.filter((v) => v.name && dep.has(v.name) && v.name !== layer),
    },
  };
}

const tails = new WeakMap<object, Map<string, Promise<GradientRunner | null>>>();

/** A backward model of the tail layer → output (see tailModel), or null when the tail is not self-contained. */
export async function tailRunner(ctx: EngineContext, model: ModelHandle, layer: string, facts: ModelFacts, dims: readonly number[]): Promise<GradientRunner | null> {
  let map = tails.get(ctx.sessions);
  if (!map) tails.set(ctx.sessions, (map = new Map()));
  const key = `${model.key}:${layer}`;
  let p = map.get(key);
  if (p) {
    const r = await p.catch(() => null);
    if (r && !ctx.sessions.has(r.key)) p = undefined;
  }
  if (!p) {
    p = (async () => {
      const { model: m } = await decodedModel(model);
      const tail = tailModel(m, layer, facts.outputName, dims);
      if (!tail) return null;
      try {
        return await GradientRunner.create({ bytes: new Uint8Array(0), model: tail }, { target: layer, output: facts.outputName, cache: ctx.sessions, modelKey: `${model.key}#tail` });
      } catch (err) {
        // An operator without a backward rule in the head: let the full backward model report it.
        if (err instanceof EngineError && err.code === 'UNSUPPORTED_OPERATOR') return null;
        throw err;
      }
    })();
    map.set(key, p);
    const mine = p;
    p.catch(() => {
      if (map.get(key) === mine) map.delete(key);
    });
  }
  return p;
}
