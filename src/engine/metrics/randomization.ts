// The model-parameter randomization sanity check (Adebayo et al., "Sanity Checks for Saliency
// Maps"): the same explanation on a copy of the model whose top layers have random weights. A map
// that barely changes (high rank correlation) does not depend on what the model learned.
//
// "Top layers" are the last `layers` nodes with learned weights (Conv, ConvTranspose, Gemm,
// MatMul with a float initializer as weight), counted back from the output in graph order —
// cascading randomization from the classifier head down. Each weight tensor is redrawn from a
// normal distribution with the original tensor's standard deviation (zero mean), seeded; biases
// are kept.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EngineError, throwIfAborted } from '../errors.ts';
import type { EngineContext } from '../explain/context.ts';
import { explainerFor } from '../explain/index.ts';
import type { ExplainRequest, ExplainResult, ModelHandle } from '../explain/types.ts';
import { floatTensor } from '../onnx/graph.ts';
import { DataType, decodeModel, encodeModel, tensorToFloat32, type ModelProto } from '../onnx/proto.ts';
import { mulberry32 } from '../random.ts';
import type { RandomizationParams } from '../methods.ts';
import type { RunControl } from '../types.ts';
import { spearman } from './correlation.ts';

export type { RandomizationParams } from '../methods.ts';

export interface RandomizationResult {
  layers: number;
  seed: number;
  /** Weight tensors that were redrawn, top first. */
  randomized: string[];
  perClass: { classIndex: number; spearman: number | null }[];
  /** Mean over classes (null when no class has a defined correlation). */
  spearman: number | null;
}

const WEIGHTED = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);

export function checkRandomization(p: Partial<RandomizationParams>): RandomizationParams {
  const layers = p.layers ?? 1;
  const seed = p.seed ?? 0;
  if (!Number.isInteger(layers) || layers < 1 || layers > 1000) throw new EngineError('INVALID_ARGUMENT', `randomization.layers must be an integer from 1 to 1000, got ${layers}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new EngineError('INVALID_ARGUMENT', `randomization.seed must be an integer from 0 to 2^32 − 1, got ${seed}`);
  return { layers, seed };
}

/** Why the check is refused on a quantized model: its weights are int8 behind DequantizeLinear, not the
 *  float Conv/Gemm/MatMul weights randomizeTopLayers redraws. */
export function randomizationRefusal(model: string): string {
  return `the model-parameter randomization check cannot run on ${model}: it is quantized (int8 weights, not differentiable float layers) and the check redraws float Conv/Gemm/MatMul weights; ask for it on a float model (faithfulness curves work on both)`;
}

/** A copy of `m` whose top `layers` weight tensors are redrawn; the names of those tensors. */
export function randomizeTopLayers(m: ModelProto, layers: number, seed: number): { model: ModelProto; randomized: string[] } {
  const g = m.graph;
  if (!g) throw new EngineError('UNSUPPORTED_MODEL', 'the model has no graph');
  const inits = new Map(g.initializer.map((t, i) => [t.name, i]));
  const weights: string[] = [];
  for (let i = g.node.length - 1; i >= 0 && weights.length < layers; i--) {
    const n = g.node[i];
    const w = n.input[1];
    if (!WEIGHTED.has(n.opType ?? '') || !w || !inits.has(w)) continue;
    if (g.initializer[inits.get(w)!].dataType !== DataType.FLOAT || weights.includes(w)) continue;
    weights.push(w);
  }
  if (weights.length === 0) throw new EngineError('UNSUPPORTED_MODEL', 'the model has no float Conv/Gemm/MatMul weights to randomize');
  const rand = mulberry32(seed);
  // Box–Muller from the seeded uniform stream.
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const initializer = [...g.initializer];
  for (const name of weights) {
    const idx = inits.get(name)!;
    const values = tensorToFloat32(initializer[idx]);
    let mean = 0;
    for (const v of values) mean += v;
    mean /= values.length;
    let ss = 0;
    for (const v of values) ss += (v - mean) * (v - mean);
    const sd = Math.sqrt(ss / values.length) || 0.01;
    initializer[idx] = floatTensor(name, initializer[idx].dims, Float32Array.from(values, () => sd * normal()));
  }
  return { model: { ...m, graph: { ...g, initializer } }, randomized: weights };
}

const written = new Map<string, Promise<{ file: string; randomized: string[] }>>();

/** The randomized copy as a file (onnxruntime and the CAM model code read models from disk), made once per process. */
async function randomizedFile(model: ModelHandle, p: RandomizationParams): Promise<{ file: string; randomized: string[] }> {
  const id = createHash('sha256').update(`${model.key}|${p.layers}|${p.seed}`).digest('hex').slice(0, 32);
  let w = written.get(id);
  if (!w) {
    w = (async () => {
      const { model: m, randomized } = randomizeTopLayers(decodeModel(new Uint8Array(await fs.promises.readFile(model.path))), p.layers, p.seed);
      const dir = path.join(os.tmpdir(), 'xai-lab-randomized');
      await fs.promises.mkdir(dir, { recursive: true });
      const file = path.join(dir, `${id}.onnx`);
      const part = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
      await fs.promises.writeFile(part, encodeModel(m));
      await fs.promises.rename(part, file);
      return { file, randomized };
    })();
    written.set(id, w);
    w.catch(() => written.delete(id));
  }
  return w;
}

/**
 * Runs the request's method again on the randomized model, for the classes `original` explained,
 * and compares the maps by Spearman rank correlation. Progress: the explainer's own stages, named
 * 'randomization'.
 */
export async function randomizationCheck(
  ctx: EngineContext,
  req: ExplainRequest,
  original: ExplainResult,
  params: RandomizationParams,
  ctl: RunControl = {},
): Promise<RandomizationResult> {
  throwIfAborted(ctl.signal);
  const { file, randomized } = await randomizedFile(req.model, params);
  const model: ModelHandle = { ...req.model, key: `${req.model.key}#random-top${params.layers}-seed${params.seed}`, path: file };
  const classes = original.attributions.map((a) => a.classIndex);
  const explain = await explainerFor(req.method, ctx);
  const res = await explain(
    { ...req, model, params: { ...req.params, target: { kind: 'CLASSES', classes } } },
    { signal: ctl.signal, onProgress: (p) => ctl.onProgress?.({ stage: 'randomization', done: p.done, total: p.total }) },
  );
  const perClass = original.attributions.map((a) => {
    const b = res.attributions.find((x) => x.classIndex === a.classIndex);
    return { classIndex: a.classIndex, spearman: b ? spearman(a.map, b.map) : null };
  });
  const defined = perClass.map((c) => c.spearman).filter((v): v is number => v !== null);
  return {
    layers: params.layers,
    seed: params.seed,
    randomized,
    perClass,
    spearman: defined.length ? defined.reduce((s, v) => s + v, 0) / defined.length : null,
  };
}
