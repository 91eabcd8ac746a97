// Reverse-mode autodiff over an ONNX graph: emits a model that computes, in one onnxruntime run,
// the class scores, the activation of a target tensor and d(sum(seed ⊙ scores))/d(target).
import { EngineError } from '../errors.ts';
import { isQuantized } from '../onnx/inspect.ts';
import { DataType, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto } from '../onnx/proto.ts';
import { valueInfo } from '../onnx/graph.ts';
import { QUANTIZED_OPS, RULES, differentiableInputs, differentiableOutputs, type GradContext } from './rules.ts';
import { ShapeTable, type Shape } from './shapes.ts';
import { GRAD_OPSET, upgradeNode } from './upgrade.ts';
import { constantTensors, Emitter } from './util.ts';

export interface GradientModelOptions {
  /** Tensor to differentiate with respect to: an intermediate activation or the graph input. */
  target: string;
  /** Class-score output (e.g. 'logits'). */
  output: string;
  /** Further forward tensors to expose as outputs. */
  extraOutputs?: string[];
  /** Name of the seed input (default 'seed'). */
  seedName?: string;
}

/** Names of the gradient model's inputs and outputs. */
export interface GradientModelIO {
  inputs: string[];
  seed: string;
  output: string;
  activation: string;
  gradient: string;
  extraOutputs: string[];
}

export function gradientName(target: string): string {
  return `grad_${target}`;
}

const NOT_DIFFERENTIABLE_MSG =
  'this model is quantized (integer operators such as QLinearConv/QuantizeLinear), so it has no usable gradients; ' +
  'gradient methods (Grad-CAM, saliency, Integrated Gradients, SmoothGrad) cannot run on it, but perturbation methods ' +
  '(LIME, KernelSHAP, occlusion, Score-CAM-style masking) still work';

function defaultOpsetVersion(m: ModelProto): number {
  const o = m.opsetImport.find((x) => (x.domain ?? '') === '' || x.domain === 'ai.onnx');
  return o?.version ?? 1;
}

function cloneNode(n: NodeProto): NodeProto {
  return { ...n, input: [...n.input], output: [...n.output], attribute: [...n.attribute] };
}

function shapeInfo(name: string, elemType: number, shape: Shape, symbolPrefix: string): ValueInfoProto {
  if (!shape) return { name, type: { tensorType: { elemType } } };
  return valueInfo(
    name,
    elemType,
    shape.map((d, i) => (d === null ? `${symbolPrefix}_${i}` : d)),
  );
}

/**
 * Builds the backward model. Inputs: the original graph inputs plus `seed` (shaped like `output`).
 * Outputs: `output`, `target` (the activation A) and `grad_<target>` = d(Σ seed ⊙ output)/dA,
 * then `extraOutputs`.
 */
export function buildGradientModel(model: ModelProto, opts: GradientModelOptions): ModelProto {
  const g0 = model.graph;
  if (!g0) throw new EngineError('INVALID_MODEL', 'the model has no graph');
  if (isQuantized(model)) throw new EngineError('NOT_DIFFERENTIABLE', NOT_DIFFERENTIABLE_MSG);
  const { target, output } = opts;
  const seed = opts.seedName ?? 'seed';
  const extra = opts.extraOutputs ?? [];
  const fromOpset = defaultOpsetVersion(model);
  const opset = Math.max(fromOpset, GRAD_OPSET);

  const initNames = new Set(g0.initializer.map((t) => t.name ?? ''));
  const graphInputs = g0.input.filter((v) => !initNames.has(v.name ?? ''));
  const taken = new Set<string>();
  for (const t of g0.initializer) taken.add(t.name ?? '');
  for (const v of g0.input) taken.add(v.name ?? '');
  for (const n of g0.node) for (const o of n.output) taken.add(o);
  const produced = new Set<string>([...graphInputs.map((v) => v.name ?? ''), ...g0.node.flatMap((n) => n.output)]);
  for (const [what, name] of [['target', target], ['output', output]] as const) {
    if (!produced.has(name)) {
      throw new EngineError('INVALID_ARGUMENT', `${what} tensor '${name}' is not produced by any node of the model nor a graph input`);
    }
  }
  for (const name of extra) {
    if (!produced.has(name) && !initNames.has(name)) throw new EngineError('INVALID_ARGUMENT', `extra output '${name}' is not a tensor of the model`);
  }
  if (taken.has(seed)) throw new EngineError('INVALID_ARGUMENT', `the model already has a tensor named '${seed}'`);
  taken.add(seed);
  const gradOut = gradientName(target);
  if (taken.has(gradOut)) throw new EngineError('INVALID_ARGUMENT', `the model already has a tensor named '${gradOut}'`);
  taken.add(gradOut);

  const e = new Emitter(taken);
  const shapes0 = new ShapeTable(g0);

  // 1. Upgrade to the backward opset where operator signatures changed.
  let nodes: NodeProto[] = g0.node.map(cloneNode);
  if (fromOpset < 13) nodes = nodes.flatMap((n) => upgradeNode(n, fromOpset, e, shapes0));

  // 2. Keep only what the requested outputs need.
  const producer = new Map<string, NodeProto>();
  for (const n of nodes) for (const o of n.output) if (o) producer.set(o, n);
  const keepNodes = new Set<NodeProto>();
  const stack = [output, target, ...extra];
  const seen = new Set<string>();
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    const p = producer.get(t);
    if (!p || keepNodes.has(p)) continue;
    keepNodes.add(p);
    for (const i of p.input) if (i) stack.push(i);
    for (const a of p.attribute) if (a.g || a.graphs.length) collectOuterRefs(a.g ? [a.g, ...a.graphs] : a.graphs, stack);
  }
  nodes = nodes.filter((n) => keepNodes.has(n));

  // 3. Tensors depending (differentiably) on the target, and tensors the output depends on.
  const dependsOnTarget = new Set<string>([target]);
  for (const n of nodes) {
    if (differentiableInputs(n).some((i) => dependsOnTarget.has(n.input[i]))) {
      for (const o of differentiableOutputs(n)) dependsOnTarget.add(n.output[o]);
    }
  }
  if (!dependsOnTarget.has(output)) {
    throw new EngineError('INVALID_ARGUMENT', `output '${output}' does not depend on '${target}'; choose a layer between the input and the output`);
  }
  const feedsOutput = new Set<string>([output]);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    if (differentiableOutputs(n).some((o) => feedsOutput.has(n.output[o]))) {
      for (const i of differentiableInputs(n)) if (n.input[i]) feedsOutput.add(n.input[i]);
    }
  }
  const needsGrad = (t: string) => dependsOnTarget.has(t) && feedsOutput.has(t);

  // 4. Check every node on the path before emitting anything.
  const path = nodes.filter(
    (n) => differentiableOutputs(n).some((o) => needsGrad(n.output[o])) && differentiableInputs(n).some((i) => needsGrad(n.input[i])),
  );
  for (const n of path) {
    const op = n.opType ?? '';
    if (QUANTIZED_OPS.has(op) || op.startsWith('QLinear')) throw new EngineError('NOT_DIFFERENTIABLE', NOT_DIFFERENTIABLE_MSG);
    if (((n.domain ?? '') !== '' && n.domain !== 'ai.onnx') || !RULES[op]) {
      const domain = n.domain ? `${n.domain}.` : '';
      throw new EngineError('UNSUPPORTED_OPERATOR', `no gradient rule for operator ${domain}${op} (node '${n.name ?? n.output[0]}')`, {
        operator: op,
        node: n.name ?? n.output[0],
      });
    }
  }

  // 5. Reverse sweep.
  const work: GraphProto = { ...g0, node: nodes, valueInfo: g0.valueInfo, initializer: [...g0.initializer, ...e.initializers] };
  const shapes = new ShapeTable(work);
  const consts = constantTensors(work);
  const ctx: GradContext = { e, shapes, consts };
  const grads = new Map<string, string[]>();
  grads.set(output, [seed]);
  const total = (t: string): string | undefined => {
    const list = grads.get(t);
    if (!list || list.length === 0) return undefined;
    if (list.length === 1) return list[0];
    const s = e.op('Sum', list, [], 'grad_sum');
    grads.set(t, [s]);
    return s;
  };
  for (let k = path.length - 1; k >= 0; k--) {
    const n = path[k];
    const dy = n.output.map((o, i) => (differentiableOutputs(n).includes(i) ? total(o) : undefined));
    if (dy.every((d) => d === undefined)) continue;
    const diffIn = new Set(differentiableInputs(n));
    const need = n.input.map((x, i) => !!x && diffIn.has(i) && needsGrad(x));
    if (!need.some(Boolean)) continue;
    const dx = RULES[n.opType!](ctx, n, dy, need);
    n.input.forEach((x, i) => {
      if (!need[i]) return;
      const d = dx[i];
      if (!d) throw new Error(`internal: rule ${n.opType} gave no gradient for input ${i}`);
      const list = grads.get(x) ?? [];
      list.push(d);
      grads.set(x, list);
    });
  }
  const gT = total(target);
  if (!gT) throw new Error(`internal: no gradient reached '${target}'`);
  e.nodes.push({ opType: 'Identity', input: [gT], output: [gradOut], attribute: [], name: gradOut });

  // 6. Assemble.
  const allNodes = [...nodes, ...e.nodes];
  const used = new Set<string>();
  for (const n of allNodes) for (const i of n.input) used.add(i);
  for (const n of allNodes) for (const a of n.attribute) if (a.g || a.graphs.length) collectOuterRefs(a.g ? [a.g, ...a.graphs] : a.graphs, used);
  for (const x of extra) used.add(x);
  const initializers = [...g0.initializer.filter((t) => used.has(t.name ?? '')), ...e.initializers.filter((t) => used.has(t.name ?? ''))];

  const outFacts = shapes.get(output);
  const outInfo = g0.output.find((v) => v.name === output) ?? shapeInfo(output, outFacts?.elemType ?? DataType.FLOAT, outFacts?.shape ?? null, 'out');
  const seedShape = outFacts?.shape ?? null;
  const tFacts = shapes.get(target);
  const tType = tFacts?.elemType || DataType.FLOAT;
  const outputs: ValueInfoProto[] = [
    outInfo,
    shapeInfo(target, tType, tFacts?.shape ?? null, 'act'),
    shapeInfo(gradOut, tType, tFacts?.shape ?? null, 'act'),
    ...extra.map((x) => {
      const f = shapes.get(x);
      return shapeInfo(x, f?.elemType || DataType.FLOAT, f?.shape ?? null, `${x}_dim`);
    }),
  ];
  const keptNames = new Set<string>(allNodes.flatMap((n) => n.output));
  const graph: GraphProto = {
    name: `${g0.name ?? 'graph'}_grad`,
    node: allNodes,
    initializer: initializers,
    input: [...graphInputs, shapeInfo(seed, outFacts?.elemType || DataType.FLOAT, seedShape, 'seed')],
    output: outputs,
    valueInfo: g0.valueInfo.filter((v) => keptNames.has(v.name ?? '') && v.name !== target && v.name !== output),
  };
  if (g0.docString) graph.docString = g0.docString;
  const opsetImport = model.opsetImport.map((o) => ((o.domain ?? '') === '' || o.domain === 'ai.onnx' ? { ...o, version: opset } : o));
  if (!opsetImport.some((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')) opsetImport.push({ domain: '', version: opset });
  return {
    ...model,
    irVersion: Math.max(model.irVersion ?? 8, 8),
    opsetImport,
    graph,
    metadataProps: [...model.metadataProps],
  };
}

/** Names referenced from enclosing scopes by subgraphs (If/Loop bodies). */
function collectOuterRefs(graphs: GraphProto[], into: { push?: (s: string) => unknown; add?: (s: string) => unknown }): void {
  for (const sg of graphs) {
    const local = new Set<string>([...sg.initializer.map((t) => t.name ?? ''), ...sg.input.map((v) => v.name ?? '')]);
    for (const n of sg.node) for (const o of n.output) local.add(o);
    for (const n of sg.node) {
      for (const i of n.input) if (i && !local.has(i)) (into.push ?? into.add)!.call(into, i);
      for (const a of n.attribute) if (a.g || a.graphs.length) collectOuterRefs(a.g ? [a.g, ...a.graphs] : a.graphs, into);
    }
  }
}
