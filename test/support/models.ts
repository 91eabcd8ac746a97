// Small ONNX models built in code for the bad-input tests, and ones whose attributions are known by construction.
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

/**
 * logits = W · (mean over pixels of x, or of x², per channel), on the demo model's input shape:
 * linear or quadratic in the input, so along a baseline → input path the Gradient SHAP integrand is
 * constant or linear in α and each α design's error is known (test/engine/attrib/alpha.test.ts).
 */
export function polynomialModel(kind: 'linear' | 'quadratic'): Uint8Array {
  const { spec } = buildDemoModel();
  const pre = kind === 'quadratic' ? [node('Mul', ['input', 'input'], ['sq'], [], 'square')] : [];
  const g = graph({
    name: kind,
    nodes: [
      ...pre,
      node('GlobalAveragePool', [kind === 'quadratic' ? 'sq' : 'input'], ['gap'], [], 'gap'),
      node('Flatten', ['gap'], ['flat'], [attrInt('axis', 1)], 'flatten'),
      node('Gemm', ['flat', 'w'], ['logits'], [], 'fc'),
    ],
    inputs: [valueInfo('input', DataType.FLOAT, ['batch', 3, spec.height, spec.width])],
    outputs: [valueInfo('logits', DataType.FLOAT, ['batch', 2])],
    initializers: [floatTensor('w', [3, 2], Float32Array.of(3, -1, -2, 0.5, 1.5, 2))],
  });
  return encodeModel(model({ graph: g, opset: 17, irVersion: 8 }));
}
