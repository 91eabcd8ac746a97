// Built-in demo classifier: a hand-weighted CNN whose classes are "which saturated color is
// present". Because every class has its own channel from the first conv to the logits, the
// correct attribution is known by construction: class c depends only on pixels of color c.
import type { ClassLabel, InputSpec } from '../types.ts';
import { DataType, encodeModel } from '../onnx/proto.ts';
import { attrInt, attrInts, floatTensor, graph, model, node, valueInfo } from '../onnx/graph.ts';

export type DemoColor = 'red' | 'green' | 'blue' | 'yellow';
export const DEMO_COLORS: readonly DemoColor[] = ['red', 'green', 'blue', 'yellow'];

/** The colors demo images are painted with (0..255 RGB). */
export const DEMO_PALETTE: Record<DemoColor, [number, number, number]> = {
  red: [230, 35, 35],
  green: [40, 200, 40],
  blue: [35, 70, 230],
  yellow: [245, 215, 35],
};

/**
 * Color detectors on true colors v in [0,1]: weights · v − threshold. The negative weights on the
 * other channels demand saturation, so gray (noise included) never fires; yellow is separated from
 * red/green by needing both R and G high and B low.
 */
const DETECTORS: Record<DemoColor, { w: [number, number, number]; threshold: number }> = {
  red: { w: [1, -1, -1], threshold: 0.15 },
  green: { w: [-1, 1, -1], threshold: 0.15 },
  blue: { w: [-1, -1, 1], threshold: 0.15 },
  yellow: { w: [1, 1, -2], threshold: 1.0 },
};

export const DEMO_LABELS: ClassLabel[] = [
  { index: 0, label: 'background', synset: null },
  ...DEMO_COLORS.map((c, i) => ({ index: i + 1, label: c, synset: null })),
];

export const DEMO_INPUT_SPEC: InputSpec = {
  inputName: 'input',
  outputName: 'logits',
  layout: 'NCHW',
  channelOrder: 'RGB',
  colorProfile: 'IGNORE',
  orientation: 'IGNORE',
  resizeMode: 'CENTER_CROP',
  resizeShorter: 224,
  interpolation: 'BILINEAR',
  width: 224,
  height: 224,
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/** Name of the last 4-D activation [batch, 4, 14, 14], one channel per color: the Grad-CAM target. */
export const DEMO_TARGET_LAYER = 'features';
/** Logit of `background`; a color needs ~3% of the image area to beat it. */
const BACKGROUND_BIAS = 3;
/** Converts "fraction of the image covered by color c" (≈ pooled feature) into a logit. */
const CLASS_GAIN = 100;
const K = DEMO_COLORS.length;

const DESCRIPTION =
  'Hand-weighted demo CNN (no training). Classes: background, red, green, blue, yellow. ' +
  'Each color has its own channel from the 1x1 color-detector conv to the classifier, so class c ' +
  "depends only on where color c appears; 'background' is a constant bias that wins on plain noise. " +
  `Layers: color_detect (Conv 1x1) → Relu → smooth (Conv 3x3) → Relu → pool1 (MaxPool 2) → down1 (Conv 3x3 s2) → Relu → ` +
  `pool2 (AveragePool 2) → down2 (Conv 3x3 s2) → Relu = '${DEMO_TARGET_LAYER}' [N,4,14,14] → GlobalAveragePool → Flatten → classifier (Gemm) → logits [N,5].`;

/** Per-channel 3×3 averaging conv (weights on the diagonal only, so channels never mix). */
function diagonalConv(name: string, k: number, bias: number) {
  const w = new Float32Array(K * K * k * k);
  for (let c = 0; c < K; c++) for (let i = 0; i < k * k; i++) w[(c * K + c) * k * k + i] = 1 / (k * k);
  return [floatTensor(`${name}.weight`, [K, K, k, k], w), floatTensor(`${name}.bias`, [K], new Array(K).fill(bias))];
}

/** The first conv works on normalized input, so fold (x·std + mean) into its weights and bias. */
function colorDetectorWeights() {
  const { mean, std } = DEMO_INPUT_SPEC;
  const w = new Float32Array(K * 3);
  const b = new Float32Array(K);
  DEMO_COLORS.forEach((color, k) => {
    const d = DETECTORS[color];
    const canonical = DEMO_PALETTE[color].map((p) => p / 255);
    // Scale so the canonical paint color scores exactly 1.
    const gain = 1 / (d.w.reduce((s, wc, c) => s + wc * canonical[c], 0) - d.threshold);
    let bias = -d.threshold;
    for (let c = 0; c < 3; c++) {
      w[k * 3 + c] = gain * d.w[c] * std[c];
      bias += d.w[c] * mean[c];
    }
    b[k] = gain * bias;
  });
  return [floatTensor('color_detect.weight', [K, 3, 1, 1], w), floatTensor('color_detect.bias', [K], b)];
}

function classifierWeights() {
  const w = new Float32Array((K + 1) * K); // [5, 4], used with transB=1
  for (let c = 0; c < K; c++) w[(c + 1) * K + c] = CLASS_GAIN;
  const b = new Float32Array(K + 1);
  b[0] = BACKGROUND_BIAS;
  return [floatTensor('classifier.weight', [K + 1, K], w), floatTensor('classifier.bias', [K + 1], b)];
}

export interface DemoModel {
  onnx: Uint8Array;
  labels: ClassLabel[];
  spec: InputSpec;
  description: string;
}

export function buildDemoModel(): DemoModel {
  const conv3 = (stride: number) => [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1]), attrInts('strides', [stride, stride])];
  const pool2 = [attrInts('kernel_shape', [2, 2]), attrInts('strides', [2, 2])];
  const nodes = [
    node('Conv', ['input', 'color_detect.weight', 'color_detect.bias'], ['color_detect'], [attrInts('kernel_shape', [1, 1])], 'color_detect'),
    node('Relu', ['color_detect'], ['color_act'], [], 'color_relu'),
    // Small negative bias drops isolated stray pixels.
    node('Conv', ['color_act', 'smooth.weight', 'smooth.bias'], ['smooth'], conv3(1), 'smooth'),
    node('Relu', ['smooth'], ['smooth_act'], [], 'smooth_relu'),
    node('MaxPool', ['smooth_act'], ['pool1'], pool2, 'pool1'),
    node('Conv', ['pool1', 'down1.weight', 'down1.bias'], ['down1'], conv3(2), 'down1'),
    node('Relu', ['down1'], ['down1_act'], [], 'down1_relu'),
    node('AveragePool', ['down1_act'], ['pool2'], pool2, 'pool2'),
    node('Conv', ['pool2', 'down2.weight', 'down2.bias'], ['down2'], conv3(2), 'down2'),
    node('Relu', ['down2'], [DEMO_TARGET_LAYER], [], 'features_relu'),
    node('GlobalAveragePool', [DEMO_TARGET_LAYER], ['gap'], [], 'gap'),
    node('Flatten', ['gap'], ['flat'], [attrInt('axis', 1)], 'flatten'),
    node('Gemm', ['flat', 'classifier.weight', 'classifier.bias'], ['logits'], [attrInt('transB', 1)], 'classifier'),
  ];
  const g = graph({
    name: 'xai_demo_colors',
    nodes,
    inputs: [valueInfo('input', DataType.FLOAT, ['batch', 3, 224, 224])],
    outputs: [valueInfo('logits', DataType.FLOAT, ['batch', K + 1])],
    initializers: [
      ...colorDetectorWeights(),
      ...diagonalConv('smooth', 3, -0.05),
      ...diagonalConv('down1', 3, 0),
      ...diagonalConv('down2', 3, 0),
      ...classifierWeights(),
    ],
    valueInfo: [valueInfo(DEMO_TARGET_LAYER, DataType.FLOAT, ['batch', K, 14, 14])],
    docString: DESCRIPTION,
  });
  const m = model({
    graph: g,
    opset: 17,
    irVersion: 8,
    producerVersion: '1',
    docString: DESCRIPTION,
    metadata: {
      'xai.labels': JSON.stringify(DEMO_LABELS),
      'xai.input_spec': JSON.stringify(DEMO_INPUT_SPEC),
      'xai.target_layer': DEMO_TARGET_LAYER,
      'xai.description': DESCRIPTION,
    },
  });
  return { onnx: encodeModel(m), labels: DEMO_LABELS.map((l) => ({ ...l })), spec: { ...DEMO_INPUT_SPEC }, description: DESCRIPTION };
}
