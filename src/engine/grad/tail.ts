// The classifier head as its own graph: differentiating only layer → logits is much cheaper than
// rerunning the whole backward model when the activations are already known.
import { producers, valueInfo } from '../onnx/graph.ts';
import { DataType, type ModelProto, type NodeProto } from '../onnx/proto.ts';

/**
 * The part of the graph from `layer` to the class output, with `layer` as its only input — when
 * it is self-contained (every node downstream of the layer reads only the layer's descendants and
 * constants; true for the usual last-feature-map layers, whose tail is the classifier head).
 * Null otherwise (e.g. a layer inside a residual block whose skip connection bypasses it).
 * `dims` is the layer's shape; its batch dimension becomes symbolic.
 */
export function tailModel(m: ModelProto, layer: string, output: string, dims: readonly (number | string)[]): ModelProto | null {
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
