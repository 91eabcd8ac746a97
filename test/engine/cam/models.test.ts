// CAM family end to end on real networks: MobileNetV2 (float and int8) with a photo, the Adebayo
// model-randomization sanity check, and torchvision ResNet-50 / VGG16 / Inception-v3 exports with
// small budgets. Skips cleanly when the model files are absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createCamExplainers } from '../../../src/engine/cam/index.ts';
import { randomizeTopLayers, spearman } from '../../../src/engine/metrics/index.ts';
import { EngineError } from '../../../src/engine/errors.ts';
import { decodeModel, encodeModel } from '../../../src/engine/onnx/proto.ts';
import { engineContext } from '../../../src/engine/explain/context.ts';
import { tmpDir } from '../../support/tmp.ts';
import { eachTorchvisionModel, fileModel, floatModelPath, int8ModelPath, photoPath, request } from '../fixtures.ts';
import { peak } from './helpers.ts';

const ctx = engineContext();
test.after(() => ctx.sessions.close());
const cams = createCamExplainers(ctx);
const fast = createCamExplainers(ctx, { scoreCamMaxChannels: 32 });
const ALL = ['GRAD_CAM', 'GRAD_CAM_PLUS_PLUS', 'XGRAD_CAM', 'HIRES_CAM', 'LAYER_CAM', 'EIGEN_CAM', 'SCORE_CAM'] as const;
const haveFloat = fs.existsSync(floatModelPath) && fs.existsSync(photoPath);
const haveInt8 = fs.existsSync(int8ModelPath) && fs.existsSync(photoPath);
const BITTERN = 133;

function checkMap(a: { map: Float32Array; width: number; height: number }, size: number): void {
  assert.equal(a.width, size);
  assert.equal(a.height, size);
  assert.equal(a.map.length, size * size);
  assert.ok(a.map.every((v) => Number.isFinite(v) && v >= 0 && v <= 1 + 1e-6));
  assert.ok(Math.max(...a.map) > 0.99, 'normalized map reaches 1');
}

test('MobileNetV2 float: every CAM method on a photo (Score-CAM on the 32 most varying channels)', { skip: !haveFloat && 'shared MobileNetV2/photo absent' }, async () => {
  const model = await fileModel(floatModelPath, false);
  const photo = fs.readFileSync(photoPath);
  for (const m of ALL) {
    const ex = m === 'SCORE_CAM' ? fast : cams;
    const res = await ex[m]!(request(model, photo, m, {}), {});
    const a = res.attributions[0];
    assert.equal(a.classIndex, BITTERN, `${m}: top-1 is the bittern`);
    checkMap(a, 224);
    assert.equal(res.summary.targetLayer, '/features/features.18/features.18.2/Clip_output_0');
    const p = peak(a);
    // The bird fills the middle of the crop.
    assert.ok(p.x > 40 && p.x < 190 && p.y > 20 && p.y < 200, `${m}: peak (${p.x}, ${p.y})`);
  }
});

test('MobileNetV2 int8: Eigen-CAM and Score-CAM run (dequantized activations), Grad-CAM → NOT_DIFFERENTIABLE', { skip: !haveInt8 && 'int8 MobileNetV2/photo absent' }, async () => {
  const model = await fileModel(int8ModelPath, true);
  const photo = fs.readFileSync(photoPath);
  const eigen = await cams.EIGEN_CAM!(request(model, photo, 'EIGEN_CAM', {}), {});
  assert.equal(eigen.attributions[0].classIndex, BITTERN);
  assert.deepEqual(eigen.summary.activationShape, [1, 1280, 7, 7]);
  assert.equal(eigen.summary.activationTensor, '627');
  checkMap(eigen.attributions[0], 224);
  // Full Score-CAM as the reference: all 1280 channels, batched.
  const seen: number[] = [];
  const score = await cams.SCORE_CAM!(request(model, photo, 'SCORE_CAM', { cam: { batchSize: 64 } }), { onProgress: (p) => seen.push(p.done) });
  assert.equal(score.summary.maskedForwardPasses, 1280);
  assert.equal(seen.length, 20);
  checkMap(score.attributions[0], 224);
  // Both look at the bird, like the float model's maps.
  const pe = peak(eigen.attributions[0]);
  const ps = peak(score.attributions[0]);
  assert.ok(Math.hypot(pe.x - ps.x, pe.y - ps.y) < 60, `Eigen-CAM peak ${JSON.stringify(pe)} vs Score-CAM ${JSON.stringify(ps)}`);
  for (const m of ['GRAD_CAM', 'LAYER_CAM'] as const) {
    await assert.rejects(cams[m]!(request(model, photo, m, {}), {}), (e: unknown) => e instanceof EngineError && e.code === 'NOT_DIFFERENTIABLE');
  }
});

test('Adebayo sanity check: randomizing the classifier head changes the Grad-CAM map (mean Spearman over 6 random heads < 0.5)', { skip: !haveFloat && 'shared MobileNetV2 absent' }, async () => {
  // One random head correlates with the original anywhere from below 0 to ~0.95 (MobileNetV2's last
  // activations share one dominant spatial pattern, so a random channel weighting often keeps
  // the object, or flips sign and ReLU zeroes the map); so we test the mean over several heads.
  const original = await fileModel(floatModelPath, false);
  const photo = fs.readFileSync(photoPath);
  const target = { kind: 'CLASSES', classes: [BITTERN] };
  const a = (await cams.GRAD_CAM!(request(original, photo, 'GRAD_CAM', { target }), {})).attributions[0];
  const again = (await cams.GRAD_CAM!(request(original, photo, 'GRAD_CAM', { target }), {})).attributions[0];
  assert.ok((spearman(a.map, again.map) ?? 0) > 0.999, 'same model, same map');
  const dir = tmpDir('xai-adebayo-');
  const rhos: number[] = [];
  for (let seed = 1; seed <= 6; seed++) {
    // The classifier head (MobileNetV2's only Gemm) redrawn with its own weights' spread.
    const { model: m, randomized: names } = randomizeTopLayers(decodeModel(fs.readFileSync(floatModelPath)), 1, seed);
    assert.deepEqual(names, [m.graph!.node.find((n) => n.opType === 'Gemm')!.input[1]]);
    const file = path.join(dir, `mnv2-random-head-${seed}.onnx`);
    fs.writeFileSync(file, encodeModel(m));
    const randomized = await fileModel(file, false, `mnv2-random-head-${seed}`);
    const b = (await cams.GRAD_CAM!(request(randomized, photo, 'GRAD_CAM', { target }), {})).attributions[0];
    rhos.push(spearman(a.map, b.map) ?? 0);
    fs.unlinkSync(file);
  }
  const mean = rhos.reduce((s, r) => s + r, 0) / rhos.length;
  console.log(`# Adebayo: Spearman per random head ${rhos.map((r) => r.toFixed(3)).join(', ')}; mean ${mean.toFixed(3)}`);
  assert.ok(mean < 0.5, `mean Spearman ${mean}`);
  ctx.models.releaseDecoded();
});

eachTorchvisionModel('every CAM method (small budgets)', async ({ ctx: local, name, model, photo, size }) => {
  const ex = createCamExplainers(local, { scoreCamMaxChannels: 8 });
  for (const m of ALL) {
    const res = await ex[m]!(request(model, photo, m, { cam: { batchSize: 8 } }), {});
    checkMap(res.attributions[0], size);
    assert.equal(res.attributions[0].map.length, size * size);
    if (m === 'GRAD_CAM') assert.equal(res.summary.backward, 'head', 'default layer: only the head is differentiated');
  }
  if (name === 'resnet50') {
    // A layer inside the last bottleneck: the skip connection bypasses it, so the full backward model runs.
    const inner = '/layer4/layer4.2/relu/Relu_output_0';
    const res = await ex.GRAD_CAM!(request(model, photo, 'GRAD_CAM', { cam: { targetLayer: inner } }), {});
    assert.equal(res.summary.backward, 'full');
    checkMap(res.attributions[0], size);
  }
});
