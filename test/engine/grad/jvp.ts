// Forward-mode differentiation (Jacobian-vector products) of an ONNX graph, for the tests only: an
// oracle for the engine's reverse-mode rules that shares none of their code. The tangent model
// computes, next to the forward pass and on the very same forward tensors, J·v for a tangent input v.
// Unlike finite differences it has no step size: no truncation error, no cancellation, and no ReLU
// kinks crossed between two evaluations, so on a 50-layer network it agrees with the reverse pass
// to float32 rounding (see `checkDirectional` for the tolerance).
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { DataType, encodeModel, type ModelProto, type NodeProto } from '../../../src/engine/onnx/proto.ts';
import { attrInt, valueInfo } from '../../../src/engine/onnx/graph.ts';
import { Emitter } from '../../../src/engine/grad/util.ts';
import { gradientAlong } from './helpers.ts';

export const tangentName = (t: string) => `tangent~${t}`;

type TangentRule = (e: Emitter, n: NodeProto, t: (string | undefined)[]) => string;

const only = (n: NodeProto, t: (string | undefined)[], i = 0): string => {
  t.forEach((x, k) => {
    if (x && k !== i) throw new Error(`jvp: ${n.opType} '${n.name}' has a tangent on input ${k}, which this oracle does not handle`);
  });
  return t[i]!;
};

/** Same operator, same attributes, applied to the tangent (linear in its first input). */
const linear: TangentRule = (e, n, t) => e.op(n.opType!, [only(n, t), ...n.input.slice(1)], n.attribute, `jvp_${n.opType}`);

/** t where `mask` holds, else 0 (derivative 0 exactly at a kink, as the reverse rules define it). */
const masked = (e: Emitter, t: string, mask: string) => e.op('Mul', [t, e.op('Cast', [mask], [attrInt('to', DataType.FLOAT)])]);

/** Zeros shaped like `x` (for the inputs of a sum or concatenation that carry no tangent). */
const zerosLike = (e: Emitter, x: string) => e.op('Mul', [x, e.scalarF(0)]);

const RULES: Record<string, TangentRule> = {
  Identity: linear,
  Flatten: linear,
  Reshape: linear,
  GlobalAveragePool: linear,
  AveragePool: linear,
  // Constant padding pads the tangent with zeros; the other modes move values, so they move tangents alike.
  Pad: (e, n, t) => e.op('Pad', [only(n, t), n.input[1]], n.attribute, 'jvp_pad'),
  // Bias does not depend on the input.
  Conv: (e, n, t) => e.op('Conv', [only(n, t), n.input[1]], n.attribute, 'jvp_conv'),
  Gemm: (e, n, t) => e.op('Gemm', [only(n, t), n.input[1]], n.attribute.filter((a) => a.name !== 'beta'), 'jvp_gemm'),
  Relu: (e, n, t) => masked(e, only(n, t), e.op('Greater', [n.input[0], e.scalarF(0)])),
  Clip: (e, n, t) => {
    const x = n.input[0];
    let mask: string | undefined;
    const lo = n.input[1];
    const hi = n.input[2];
    if (lo) mask = e.op('Greater', [x, lo]);
    if (hi) {
      const below = e.op('Less', [x, hi]);
      mask = mask ? e.op('And', [mask, below]) : below;
    }
    return mask ? masked(e, only(n, t), mask) : only(n, t);
  },
  // The tangent of a max is the tangent of the element that won: gather it through MaxPool's
  // Indices output (flat positions in the whole N×C×H×W input, storage_order 0).
  MaxPool: (e, n, t) => {
    if (!n.output[1]) n.output[1] = e.fresh('maxpool_indices');
    const flat = e.op('Reshape', [only(n, t), e.ints([-1])]);
    return e.op('Gather', [flat, n.output[1]], [], 'jvp_maxpool');
  },
  Add: (e, n, t) => sum(e, n, t, 'Add'),
  Sub: (e, n, t) => sum(e, n, t, 'Sub'),
  Concat: (e, n, t) => e.op('Concat', n.input.map((x, i) => t[i] ?? zerosLike(e, x!)), n.attribute, 'jvp_concat'),
};

function sum(e: Emitter, n: NodeProto, t: (string | undefined)[], op: 'Add' | 'Sub'): string {
  const [a, b] = n.input as [string, string];
  // Broadcasting: the missing side's zeros keep the output's shape.
  return e.op(op, [t[0] ?? zerosLike(e, a), t[1] ?? zerosLike(e, b)], [], `jvp_${op}`);
}

/**
 * The model plus, for input `input` with tangent `tangentName(input)`, the output
 * `tangentName(output)` = (d output / d input) · tangent, in one onnxruntime run.
 */
export function jvpModel(m: ModelProto, input: string, output: string): ModelProto {
  const g = m.graph!;
  const taken = new Set<string>([...g.node.flatMap((n) => [...n.input, ...n.output]), ...g.initializer.map((t) => t.name ?? '')]);
  const e = new Emitter(taken, 'jvp~');
  const tangent = new Map<string, string>([[input, tangentName(input)]]);
  const nodes: NodeProto[] = [];
  for (const original of g.node) {
    const n: NodeProto = { ...original, output: [...original.output] };
    nodes.push(n);
    const t = n.input.map((x) => (x ? tangent.get(x) : undefined));
    const produced = n.output[0]!;
    if (!t.some(Boolean)) continue;
    const rule = RULES[n.opType ?? ''];
    if (!rule) throw new Error(`jvp: no tangent rule for ${n.opType} (node '${n.name}')`);
    const start = e.nodes.length;
    tangent.set(produced, rule(e, n, t));
    nodes.push(...e.nodes.splice(start));
  }
  const out = tangent.get(output);
  if (!out) throw new Error(`jvp: '${output}' does not depend on '${input}'`);
  nodes.push({ opType: 'Identity', input: [out], output: [tangentName(output)], attribute: [], name: 'jvp_output' });
  const inputInfo = g.input.find((i) => i.name === input) ?? valueInfo(input, DataType.FLOAT, []);
  return {
    ...m,
    graph: {
      ...g,
      node: nodes,
      initializer: [...g.initializer, ...e.initializers],
      input: [...g.input.filter((i) => !g.initializer.some((t) => t.name === i.name)), { ...inputInfo, name: tangentName(input) }],
      output: [...g.output.filter((o) => o.name === output), { name: tangentName(output) }],
      valueInfo: [],
    },
  };
}

/** A tangent-model session with the ORT options the tests use for the forward model. */
export async function jvpSession(m: ModelProto, input: string, output: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel(jvpModel(m, input, output)));
}

export interface DirectionalCheck {
  /** ⟨seed, J·v⟩ from forward mode. */
  forward: number;
  /** ⟨∇(seed·out), v⟩ from the reverse-mode gradient under test. */
  reverse: number;
  /** |forward − reverse| / (|g|·rms(v)), the size of a typical directional derivative. */
  relErr: number;
}

/**
 * Compares the reverse-mode gradient `grad` (of Σ seed ⊙ out at `a`) with forward mode along `v`.
 *
 * Tolerance model: both sides evaluate the same linear functional on the same forward tensors in
 * float32, accumulating over ~10⁵ terms per layer through ~50 layers; summation error grows like
 * √(terms·layers)·2⁻²⁴ ≈ 10⁻⁴ relative in the worst case, and was measured at 10⁻⁶…10⁻⁵ here. The
 * tests use 1e-3 (10× above the worst case); a wrong rule (a ReLU that passes gradients through,
 * a transposed kernel) is off by O(1) of the same scale.
 */
export async function checkDirectional(
  jvp: ort.InferenceSession,
  input: string,
  output: string,
  a: Float32Array,
  dims: readonly number[],
  grad: Float32Array,
  seed: Float32Array,
  v: Float32Array,
): Promise<DirectionalCheck> {
  assert.equal(grad.length, a.length);
  const res = await jvp.run({
    [input]: new ort.Tensor('float32', a, [...dims]),
    [tangentName(input)]: new ort.Tensor('float32', v, [...dims]),
  });
  const jv = res[tangentName(output)].data as Float32Array;
  assert.equal(jv.length, seed.length, 'one sample, one seed per output');
  let forward = 0;
  for (let j = 0; j < seed.length; j++) forward += seed[j] * jv[j];
  const { value: reverse, scale } = gradientAlong(grad, v);
  return { forward, reverse, relErr: Math.abs(forward - reverse) / scale };
}
