// End to end: backward models of the demo CNN, MobileNetV2 (float and int8) and, when exported,
// torchvision ResNet-50 / VGG16 / Inception-v3, checked with directional finite differences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { decodeModel, encodeModel, tensorToFloat32, type ModelProto } from '../../../src/engine/onnx/proto.ts';
import { EngineError } from '../../../src/engine/errors.ts';
import { SessionCache } from '../../../src/engine/session.ts';
import { buildDemoModel, DEMO_TARGET_LAYER } from '../../../src/engine/demo/index.ts';
import {
  buildGradientModel,
  defaultTargetLayer,
  GradientRunner,
  inferShapes,
  listCandidateLayers,
  oneHotSeed,
} from '../../../src/engine/grad/index.ts';
import { directional, noise, rng, tailModel, uniform } from './helpers.ts';

const SHARED = path.resolve(import.meta.dirname, '../../../../shared/models');
const MNV2 = path.join(SHARED, 'mobilenetv2-float.onnx');
const INT8 = path.join(SHARED, 'mobilenetv2-12-int8.onnx');
const TV_DIR = process.env.XAI_MODELS_DIR ?? '/root/.cache/xai-models';

const cache = new SessionCache();
test.after(() => cache.close());

async function sessionOf(m: ModelProto | Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(m instanceof Uint8Array ? m : encodeModel(m));
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Directional derivatives along `dirs` random directions of d f / d target, via the tail model. */
async function checkAgainstTail(
  m: ModelProto,
  target: string,
  output: string,
  res: { activation: Float32Array; activationShape: number[]; gradient: Float32Array },
  seed: Float32Array,
  dirs: number,
  tol: number,
): Promise<number> {
  const tail = await sessionOf(tailModel(m, target, output, ['N', ...res.activationShape.slice(1)]));
  const r = rng(99);
  let worst = 0;
  const rms = Math.sqrt(dot(res.activation, res.activation) / res.activation.length) || 1;
  for (let k = 0; k < dirs; k++) {
    const v = noise(r, res.activation.length);
    const d = await directional(tail, target, output, res.activation, res.activationShape, res.gradient, seed, v, [1e-2 * rms, 1e-3 * rms, 3e-4 * rms]);
    worst = Math.max(worst, d.relErr);
    assert.ok(d.relErr < tol, `directional derivative: numeric ${d.numeric} vs analytic ${d.analytic} (rel ${d.relErr})`);
  }
  await tail.release();
  return worst;
}

test('demo CNN: gradient at `features` is the classifier weight / 196, exactly', async () => {
  const demo = buildDemoModel();
  const m = decodeModel(demo.onnx);
  assert.equal(defaultTargetLayer(m), DEMO_TARGET_LAYER);
  const runner = await GradientRunner.create(demo.onnx, { cache });
  assert.equal(runner.target, DEMO_TARGET_LAYER);
  const r = rng(1);
  const x = uniform(r, 2 * 3 * 224 * 224, -2, 2);
  const seed = oneHotSeed([1, 4], 5);
  const res = await runner.run(x, [2, 3, 224, 224], seed);
  assert.deepEqual(res.activationShape, [2, 4, 14, 14]);
  assert.deepEqual(res.logitsShape, [2, 5]);
  const w = tensorToFloat32(m.graph!.initializer.find((t) => t.name === 'classifier.weight')!);
  for (const [n, cls] of [[0, 1], [1, 4]]) {
    for (let k = 0; k < 4; k++) {
      for (let i = 0; i < 196; i++) {
        const g = res.gradient[((n * 4 + k) * 196) + i];
        assert.ok(Math.abs(g - w[cls * 4 + k] / 196) < 1e-5, `grad[${n},${k},${i}] = ${g}`);
      }
    }
  }
  // Same session for the same model bytes and target.
  const again = await GradientRunner.create(demo.onnx, { cache });
  assert.equal(again.key, runner.key);
  assert.equal(cache.size, 1);
});

test('demo CNN: input gradient matches directional finite differences', async () => {
  const demo = buildDemoModel();
  const runner = await GradientRunner.create(demo.onnx, { cache, target: 'input' });
  const r = rng(2);
  // Saturated color blobs on gray so the color detectors fire.
  const x = new Float32Array(3 * 224 * 224);
  for (let y = 0; y < 224; y++) {
    for (let xx = 0; xx < 224; xx++) {
      const red = (xx - 80) ** 2 + (y - 100) ** 2 < 40 ** 2;
      const blue = Math.abs(xx - 160) < 30 && Math.abs(y - 60) < 30;
      const rgb = red ? [0.9, 0.15, 0.15] : blue ? [0.15, 0.25, 0.9] : [0.5, 0.5, 0.5];
      for (let c = 0; c < 3; c++) {
        const mean = [0.485, 0.456, 0.406][c];
        const std = [0.229, 0.224, 0.225][c];
        x[c * 224 * 224 + y * 224 + xx] = (rgb[c] + 0.02 * (r() - 0.5) - mean) / std;
      }
    }
  }
  const seed = uniform(r, 5);
  const res = await runner.run(x, [1, 3, 224, 224], seed);
  assert.ok(res.gradient.some((g) => g !== 0));
  const fwd = await sessionOf(demo.onnx);
  for (let k = 0; k < 3; k++) {
    const v = noise(r, x.length);
    const d = await directional(fwd, 'input', 'logits', x, [1, 3, 224, 224], res.gradient, seed, v, [1e-3, 3e-4, 1e-4]);
    assert.ok(d.relErr < 2e-2, `numeric ${d.numeric} analytic ${d.analytic}`);
  }
  await fwd.release();
});

const hasMnv2 = fs.existsSync(MNV2);
test('MobileNetV2: default layer, gradients wrt the input and the default layer (directional FD), batching', { skip: !hasMnv2 && `${MNV2} not found (shared models absent)` }, async () => {
  const bytes = fs.readFileSync(MNV2);
  const m = decodeModel(bytes);
  const target = defaultTargetLayer(m);
  assert.equal(target, '/features/features.18/features.18.2/Clip_output_0');
  const layers = listCandidateLayers(m);
  assert.equal(layers.at(-2)?.name, target);
  assert.deepEqual(layers.find((l) => l.name === target)?.shape, ['batch', 1280, 7, 7]);

  const r = rng(3);
  const x = noise(r, 2 * 3 * 224 * 224, 1);
  // Layer gradient, batch of 2 with different classes in one run.
  const layer = await GradientRunner.create(bytes, { cache });
  assert.equal(layer.target, target);
  const seed2 = oneHotSeed([281, 7], 1000);
  const both = await layer.run(x, [2, 3, 224, 224], seed2);
  assert.deepEqual(both.activationShape, [2, 1280, 7, 7]);
  const per = 1280 * 49;
  const single = await layer.run(x.subarray(3 * 224 * 224), [1, 3, 224, 224], oneHotSeed([7], 1000));
  for (let i = 0; i < per; i += 97) assert.ok(Math.abs(single.gradient[i] - both.gradient[per + i]) < 1e-6);
  const first = { activation: both.activation.subarray(0, per), activationShape: [1, 1280, 7, 7], gradient: both.gradient.subarray(0, per) };
  await checkAgainstTail(m, target!, 'logits', first, seed2.subarray(0, 1000), 2, 1e-3);

  // Input gradient: ReLU6 kinks make the function piecewise smooth; small steps stay accurate.
  const input = await GradientRunner.create(bytes, { cache, target: 'input' });
  const x1 = x.subarray(0, 3 * 224 * 224);
  const seed = uniform(r, 1000);
  const res = await input.run(x1, [1, 3, 224, 224], seed);
  const fwd = await sessionOf(bytes);
  for (let k = 0; k < 3; k++) {
    const v = noise(r, x1.length);
    const d = await directional(fwd, 'input', 'logits', x1, [1, 3, 224, 224], res.gradient, seed, v, [2e-4, 1e-4, 5e-5]);
    assert.ok(d.relErr < 3e-2, `numeric ${d.numeric} analytic ${d.analytic} (rel ${d.relErr}, h ${d.h})`);
  }
  await fwd.release();
});

test('MobileNetV2 int8 → NOT_DIFFERENTIABLE', { skip: !fs.existsSync(INT8) && `${INT8} not found` }, async () => {
  const bytes = fs.readFileSync(INT8);
  const m = decodeModel(bytes);
  const out = m.graph!.output[0].name!;
  const notDiff = (e: unknown) => e instanceof EngineError && e.code === 'NOT_DIFFERENTIABLE' && /perturbation methods/.test(e.message);
  assert.throws(() => buildGradientModel(m, { target: 'input', output: out }), notDiff);
  await assert.rejects(GradientRunner.create(bytes, { cache, target: 'input' }), notDiff);
});

const TV: [string, string, number][] = [
  ['resnet50', '/layer4/layer4.2/relu_2/Relu_output_0', 224],
  ['vgg16', '/features/features.30/MaxPool_output_0', 224],
  ['inception_v3', '/Mixed_7c/Concat_output_0', 299],
];
for (const [name, expected, size] of TV) {
  const file = path.join(TV_DIR, `${name}-random.onnx`);
  test(`torchvision ${name}: default layer and its gradient (directional FD)`, { skip: !fs.existsSync(file) && `${file} not found (run /work/shared/tools/export-torchvision-models.sh ${TV_DIR})` }, async () => {
    const bytes = fs.readFileSync(file);
    const m = decodeModel(bytes);
    assert.equal(defaultTargetLayer(m), expected);
    const local = new SessionCache();
    try {
      const runner = await GradientRunner.create({ bytes, model: m }, { cache: local, modelKey: name });
      assert.equal(runner.target, expected);
      const r = rng(4);
      const x = noise(r, 3 * size * size);
      const seed = uniform(r, 1000);
      const res = await runner.run(x, [1, 3, size, size], seed);
      assert.ok(res.gradient.some((g) => g !== 0));
      await checkAgainstTail(m, expected, 'logits', res, seed, 2, 1e-2);
      if (name === 'resnet50') {
        // Input gradient through BN-folded convs, the overlapping stem MaxPool and residual adds.
        const inp = await GradientRunner.create({ bytes, model: m }, { cache: local, modelKey: name, target: 'input' });
        const g = await inp.run(x, [1, 3, size, size], seed);
        const fwd = await sessionOf(bytes);
        const d = await directional(fwd, 'input', 'logits', x, [1, 3, size, size], g.gradient, seed, noise(r, x.length), [2e-4, 1e-4, 5e-5]);
        await fwd.release();
        assert.ok(d.relErr < 3e-2, `input gradient: numeric ${d.numeric} analytic ${d.analytic}`);
      }
    } finally {
      await local.close();
    }
  });
}

test('inferShapes fills concrete shapes; candidate layers agree with static inference', async () => {
  const demo = buildDemoModel();
  const m = decodeModel(demo.onnx);
  const shapes = await inferShapes(m, { input: [1, 3, 224, 224] });
  assert.deepEqual(shapes.get('features'), [1, 4, 14, 14]);
  const withShapes = listCandidateLayers(m, { shapes }).map((l) => l.name);
  assert.deepEqual(withShapes, listCandidateLayers(m).map((l) => l.name));
  assert.equal(defaultTargetLayer(m, { shapes }), 'features');
});
