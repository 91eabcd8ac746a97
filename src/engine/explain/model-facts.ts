// Facts about a model's graph that the CAM and gradient explainers need: tensor names, a fixed
// batch dimension, the default target layer, and candidates for error messages.
import ort from 'onnxruntime-node';
import { EngineError } from '../errors.ts';
import { defaultTargetLayer, listCandidateLayers } from '../grad/index.ts';
import { withOutputs } from '../onnx/graph.ts';
import { isQuantized } from '../onnx/inspect.ts';
import type { ModelProto } from '../onnx/proto.ts';
import { encodeModel } from '../onnx/proto.ts';
import { dataChain } from '../onnx/quantized.ts';
import type { ModelHandle } from './types.ts';

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

export async function computeFacts(model: ModelHandle, m: ModelProto): Promise<ModelFacts> {
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
  const chain = dataChain(g, inputName, outputName);
  const shapes = await probeShapes(withOutputs(m, chain), inputName, model);
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

/** Shapes of every output of `probe` on one zero image. */
async function probeShapes(probe: ModelProto, inputName: string, model: ModelHandle): Promise<Map<string, number[]>> {
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
