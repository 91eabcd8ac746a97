// Small ONNX models built in code for the bad-input tests.
import { DataType, decodeModel, encodeModel } from '../../src/engine/onnx/proto.js';
import { attrInt, attrInts, floatTensor, graph, model, node, valueInfo } from '../../src/engine/onnx/graph.js';
import { buildDemoModel, DEMO_TARGET_LAYER } from '../../src/engine/demo/index.js';

/** The demo model with an unused initializer of about `extraBytes`: a valid model of any size. */
export function paddedDemoModel(extraBytes: number): Uint8Array {
  const m = decodeModel(buildDemoModel().onnx);
  const n = Math.ceil(extraBytes / 4);
  m.graph!.initializer.push(floatTensor('padding', [n], new Float32Array(n).fill(0.5)));
  return encodeModel(m);
}

/** The demo model with its CAM layer (the last feature map) renamed, e.g. to a long exporter-style name. */
export function renamedLayerDemoModel(layer: string): Uint8Array {
  const m = decodeModel(buildDemoModel().onnx);
  const rename = (names: string[]) => names.map((n) => (n === DEMO_TARGET_LAYER ? layer : n));
  for (const n of m.graph!.node) {
    n.input = rename(n.input);
    n.output = rename(n.output);
  }
  for (const v of m.graph!.valueInfo) if (v.name === DEMO_TARGET_LAYER) v.name = layer;
  return encodeModel(m);
}

/** A classifier whose only input is a feature vector [N, 10]: not an image model. */
export function vectorModel(): Uint8Array {
  const w = new Float32Array(10 * 3).fill(0.1);
  return encodeModel(
    model({
      graph: graph({
        name: 'vector',
        nodes: [node('Gemm', ['x', 'w'], ['logits'], [], 'fc')],
        inputs: [valueInfo('x', DataType.FLOAT, ['batch', 10])],
        outputs: [valueInfo('logits', DataType.FLOAT, ['batch', 3])],
        initializers: [floatTensor('w', [10, 3], w)],
      }),
    }),
  );
}

/** Rank-3 input [N, 3, 224]: image-like channels but the wrong rank. */
export function rank3Model(): Uint8Array {
  return encodeModel(
    model({
      graph: graph({
        name: 'rank3',
        nodes: [node('ReduceMean', ['x'], ['logits'], [attrInts('axes', [2]), attrInt('keepdims', 0)], 'mean')],
        inputs: [valueInfo('x', DataType.FLOAT, ['batch', 3, 224])],
        outputs: [valueInfo('logits', DataType.FLOAT, ['batch', 3])],
      }),
    }),
  );
}
