// Int8 graphs (QLinear* ops and QDQ pairs): which tensors are quantized with which scale and zero
// point, the data path from the output back to the input, and the graph surgery that exposes a
// quantized tensor as a float output (for the gradient-free CAM methods).
import { node, producers, withOutputs } from './graph.ts';
import type { GraphProto, ModelProto, NodeProto } from './proto.ts';

/** Input positions of the output scale and zero point, per QLinear op. */
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

/**
 * The float tensor carrying `layer`'s values: the layer itself when it is float, else the model's
 * own DequantizeLinear of it, else a DequantizeLinear to add (with the producer's output scale and
 * zero point).
 */
function floatView(g: GraphProto, layer: string): { name: string; add: NodeProto | null } {
  const q = quantParams(layer, producers(g));
  if (!q) return { name: layer, add: null };
  const deq = g.node.find((n) => n.opType === 'DequantizeLinear' && n.input[0] === layer && (n.domain ?? '') === '');
  if (deq) return { name: deq.output[0], add: null };
  const name = `${layer}__xai_dequantized`;
  return { name, add: node('DequantizeLinear', [layer, q[0], q[1]], [name], [], `${name}_node`) };
}

/** The model with `layer` as an extra float output; `activation` names the tensor to fetch. */
export function withFloatOutput(m: ModelProto, layer: string): { model: ModelProto; activation: string } {
  const g = m.graph!;
  const { name, add } = floatView(g, layer);
  const withNode = add ? { ...m, graph: { ...g, node: [...g.node, add] } } : m;
  return { model: withOutputs(withNode, [name]), activation: name };
}

/**
 * The tensors on the data path from `output` back towards `input` (each producer's first input
 * that is not an initializer or constant), output side first.
 */
export function dataChain(g: GraphProto, input: string, output: string): string[] {
  const prod = producers(g);
  const consts = new Set<string>(g.initializer.map((t) => t.name).filter((x): x is string => !!x));
  for (const n of g.node) if (n.opType === 'Constant') for (const o of n.output) consts.add(o);
  const chain: string[] = [];
  for (let t: string | undefined = output, guard = 0; t && guard < 10000; guard++) {
    const n = prod.get(t);
    if (!n) break;
    const next = n.input.find((i) => i && !consts.has(i));
    if (!next || next === input) break;
    chain.push(next);
    t = next;
  }
  return chain;
}
