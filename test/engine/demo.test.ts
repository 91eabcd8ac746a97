import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import * as ort from 'onnxruntime-node';
import type { InputSpec } from '../../src/engine/types.ts';
import { DataType, decodeModel, encodeModel } from '../../src/engine/onnx/proto.ts';
import { valueInfo } from '../../src/engine/onnx/graph.ts';
import { inspectModel } from '../../src/engine/onnx/inspect.ts';
import {
  buildDemoModel,
  demoImageSet,
  drawDemoImage,
  DEMO_COLORS,
  DEMO_TARGET_LAYER,
  type DemoShape,
} from '../../src/engine/demo/index.ts';

const demo = buildDemoModel();
const SIZE = 224;

/** Local stand-in for the shared preprocessing: demo images are already 224×224, so no resize. */
async function toTensor(png: Buffer, spec: InputSpec): Promise<ort.Tensor> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, spec.width);
  assert.equal(info.height, spec.height);
  const plane = info.width * info.height;
  const x = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) x[c * plane + i] = (data[i * 3 + c] * spec.scale - spec.mean[c]) / spec.std[c];
  }
  return new ort.Tensor('float32', x, [1, 3, info.height, info.width]);
}

function softmax(l: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(l));
  const e = Array.from(l, (v) => Math.exp(v - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

/** The demo model with its feature map exposed as a second output. */
function withFeaturesOutput(bytes: Uint8Array): Uint8Array {
  const m = decodeModel(bytes);
  m.graph!.output.push(valueInfo(DEMO_TARGET_LAYER, DataType.FLOAT, ['batch', 4, 14, 14]));
  return encodeModel(m);
}

let sessionPromise: Promise<ort.InferenceSession> | undefined;
const session = () => (sessionPromise ??= ort.InferenceSession.create(withFeaturesOutput(demo.onnx)));

async function classify(png: Buffer) {
  const s = await session();
  const out = await s.run({ [demo.spec.inputName]: await toTensor(png, demo.spec) });
  const logits = Array.from(out[demo.spec.outputName].data as Float32Array);
  return { logits, probs: softmax(logits), features: out[DEMO_TARGET_LAYER] };
}

test('demo model is deterministic, self-describing and loads in onnxruntime', async () => {
  assert.deepEqual(Buffer.from(buildDemoModel().onnx), Buffer.from(demo.onnx));
  const info = inspectModel(demo.onnx);
  assert.deepEqual(info.inputs, [{ name: 'input', elemType: DataType.FLOAT, shape: ['batch', 3, 224, 224] }]);
  assert.deepEqual(info.outputs, [{ name: 'logits', elemType: DataType.FLOAT, shape: ['batch', 5] }]);
  assert.deepEqual(JSON.parse(info.metadata['xai.labels']), demo.labels);
  assert.deepEqual(JSON.parse(info.metadata['xai.input_spec']), demo.spec);
  assert.equal(info.quantized, false);
  assert.deepEqual(info.opsets, [{ domain: '', version: 17 }]);
  const allowed = new Set(['Conv', 'Relu', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Flatten', 'Gemm', 'Add', 'Mul']);
  assert.ok(info.opTypes.every((op) => allowed.has(op)), info.opTypes.join(','));
  assert.deepEqual(demo.labels.map((l) => l.label), ['background', 'red', 'green', 'blue', 'yellow']);

  const s = await ort.InferenceSession.create(demo.onnx);
  assert.deepEqual(s.inputNames, ['input']);
  assert.deepEqual(s.outputNames, ['logits']);
  // Dynamic batch.
  const zeros = new ort.Tensor('float32', new Float32Array(2 * 3 * SIZE * SIZE), [2, 3, SIZE, SIZE]);
  const out = await s.run({ input: zeros });
  assert.deepEqual(out.logits.dims, [2, 5]);
  await s.release();
});

test('drawDemoImage is deterministic under its seed and reports boxes', async () => {
  const shapes: DemoShape[] = [{ color: 'red', kind: 'disc', x: 200, y: -10, size: 50 }];
  const a = await drawDemoImage({ seed: 5, shapes });
  const b = await drawDemoImage({ seed: 5, shapes });
  const c = await drawDemoImage({ seed: 6, shapes });
  assert.ok(a.png.equals(b.png));
  assert.ok(!a.png.equals(c.png));
  assert.deepEqual(a.boxes, [{ color: 'red', x0: 200, y0: 0, x1: 224, y1: 40 }]);
  const meta = await sharp(a.png).metadata();
  assert.equal(meta.format, 'png');
  assert.equal(meta.width, 224);
  const small = await drawDemoImage({ seed: 1, shapes: [], width: 64, height: 32 });
  assert.equal((await sharp(small.png).metadata()).height, 32);
});

test('standard demo images are classified as their drawn color; noise is background', async () => {
  const images = await demoImageSet();
  assert.ok(images.length >= 5);
  assert.equal(new Set(images.map((i) => i.name)).size, images.length);
  for (const img of images) {
    const { probs } = await classify(img.png);
    const top = probs.indexOf(Math.max(...probs));
    assert.equal(demo.labels[top].label, img.expectedLabel, `${img.name}: ${probs.map((p) => p.toFixed(3))}`);
    const minP = img.shapes.length === 1 ? 0.95 : img.shapes.length === 0 ? 0.8 : 0.5;
    assert.ok(probs[top] > minP, `${img.name}: p=${probs[top]}`);
    if (img.shapes.length > 1) {
      // Every drawn color outranks the absent ones.
      const present = new Set(img.shapes.map((s) => 1 + DEMO_COLORS.indexOf(s.color)));
      const ranked = probs.map((p, i) => [p, i] as const).sort((x, y) => y[0] - x[0]).map(([, i]) => i);
      assert.deepEqual(new Set(ranked.slice(0, present.size)), present, img.name);
    }
  }
});

test('every color and shape kind is recognised at a moderate size', async () => {
  for (const color of DEMO_COLORS) {
    for (const kind of ['square', 'disc', 'triangle'] as const) {
      const { png } = await drawDemoImage({ seed: 42, shapes: [{ color, kind, x: 60, y: 50, size: 96 }] });
      const { probs } = await classify(png);
      assert.ok(probs[1 + DEMO_COLORS.indexOf(color)] > 0.95, `${color} ${kind}: ${probs.map((p) => p.toFixed(3))}`);
    }
  }
});

test('features: the drawn class channel peaks inside the drawn box; other channels stay silent', async () => {
  const placements = [
    { color: 'red', kind: 'square', x: 16, y: 16, size: 72 },
    { color: 'green', kind: 'disc', x: 130, y: 128, size: 80 },
    { color: 'blue', kind: 'triangle', x: 120, y: 10, size: 90 },
    { color: 'yellow', kind: 'square', x: 20, y: 140, size: 70 },
  ] as const;
  for (const shape of placements) {
    const { png, boxes } = await drawDemoImage({ seed: 9, shapes: [shape] });
    const { features } = await classify(png);
    assert.deepEqual(features.dims, [1, 4, 14, 14]);
    const f = features.data as Float32Array;
    const k = DEMO_COLORS.indexOf(shape.color);
    let best = -1;
    let bestAt = 0;
    for (let i = 0; i < 196; i++) if (f[k * 196 + i] > best) [best, bestAt] = [f[k * 196 + i], i];
    assert.ok(best > 0.5, `${shape.color}: peak ${best}`);
    const cell = SIZE / 14;
    const cx = ((bestAt % 14) + 0.5) * cell;
    const cy = (Math.floor(bestAt / 14) + 0.5) * cell;
    const b = boxes[0];
    assert.ok(cx >= b.x0 && cx <= b.x1 && cy >= b.y0 && cy <= b.y1, `${shape.color}: peak at (${cx}, ${cy}) outside box`);
    for (let other = 0; other < 4; other++) {
      if (other === k) continue;
      const maxOther = Math.max(...f.subarray(other * 196, (other + 1) * 196));
      assert.equal(maxOther, 0, `${shape.color}: channel ${DEMO_COLORS[other]} fired`);
    }
  }
});

test("class c's logit depends only on color c", async () => {
  const red = { color: 'red', kind: 'square', x: 20, y: 20, size: 80 } as const;
  const blue = { color: 'blue', kind: 'disc', x: 120, y: 120, size: 80 } as const;
  const alone = await classify((await drawDemoImage({ seed: 3, shapes: [red] })).png);
  const both = await classify((await drawDemoImage({ seed: 3, shapes: [red, blue] })).png);
  assert.ok(Math.abs(alone.logits[1] - both.logits[1]) < 1e-4, `${alone.logits[1]} vs ${both.logits[1]}`);
  assert.equal(alone.logits[3], 0);
  assert.ok(both.logits[3] > 5);
  assert.equal(alone.logits[0], both.logits[0]);
});
