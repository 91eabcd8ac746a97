// Input-gradient methods end to end on MobileNetV2 (photo) and the torchvision exports (small
// budgets), and Integrated Gradients' completeness gap shrinking with the number of steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createGradientExplainers } from '../../../src/engine/attrib/index.ts';
import { releaseDecoded } from '../../../src/engine/cam/index.ts';
import { EngineError } from '../../../src/engine/errors.ts';
import { SessionCache } from '../../../src/engine/session.ts';
import { fileModel, floatModelPath, int8ModelPath, photoPath, request, torchvisionDir } from '../cam/helpers.ts';

const ctx = { sessions: new SessionCache() };
test.after(() => ctx.sessions.close());
const grads = createGradientExplainers(ctx);
const METHODS = ['SALIENCY', 'SMOOTH_GRAD', 'INTEGRATED_GRADIENTS', 'GRADIENT_SHAP'] as const;
const haveFloat = fs.existsSync(floatModelPath) && fs.existsSync(photoPath);
const BITTERN = 133;

test('MobileNetV2 float: every gradient method on a photo', { skip: !haveFloat && 'shared MobileNetV2/photo absent' }, async () => {
  const model = await fileModel(floatModelPath, false);
  const photo = fs.readFileSync(photoPath);
  for (const m of METHODS) {
    const res = await grads[m]!(request(model, photo, m, { gradient: { samples: 8, steps: 8, batchSize: 8 } }), {});
    const a = res.attributions[0];
    assert.equal(a.classIndex, BITTERN);
    assert.equal(a.map.length, 224 * 224);
    assert.ok(a.map.every(Number.isFinite));
    assert.ok(a.map.some((v) => v !== 0));
    assert.equal(a.signed, m !== 'SALIENCY');
  }
});

test('Integrated Gradients on MobileNetV2: the completeness gap shrinks as steps grow (8 → 32 → 128)', { skip: !haveFloat && 'shared MobileNetV2/photo absent' }, async () => {
  const model = await fileModel(floatModelPath, false);
  const photo = fs.readFileSync(photoPath);
  for (const integration of ['gausslegendre', 'riemann_trapezoid'] as const) {
    const ex = createGradientExplainers(ctx, { integration });
    const gaps: number[] = [];
    for (const steps of [8, 32, 128]) {
      const r = await ex.INTEGRATED_GRADIENTS!(request(model, photo, 'INTEGRATED_GRADIENTS', { target: { kind: 'CLASSES', classes: [BITTERN] }, gradient: { steps, batchSize: 16 } }), {});
      gaps.push(r.attributions[0].metrics.completenessGap);
      if (steps === 8) console.log(`# IG ${integration}: f(x) − f(black) = ${r.attributions[0].metrics.outputDelta.toFixed(3)}`);
    }
    console.log(`# IG ${integration} completeness gap at 8/32/128 steps: ${gaps.map((g) => g.toFixed(4)).join(' / ')}`);
    // The path integrand is only piecewise smooth (ReLU6 kinks), so quadrature error does not fall
    // monotonically at every step count (Gauss–Legendre: 4.97 / 0.15 / 0.16, trapezoid 2.26 /
    // 2.24 / 0.20 here); it falls overall, to well under 1% of f(x) − f(x').
    assert.ok(gaps[1] <= gaps[0] && gaps[2] < 0.2 * gaps[0], `${integration}: ${gaps.join(', ')}`);
    assert.ok(gaps[2] < 0.01 * 26, `${integration}: gap at 128 steps ${gaps[2]}`);
  }
});

test('MobileNetV2 int8: gradient methods → NOT_DIFFERENTIABLE', { skip: !fs.existsSync(int8ModelPath) && 'int8 model absent' }, async () => {
  const model = await fileModel(int8ModelPath, true);
  const photo = fs.readFileSync(photoPath);
  for (const m of METHODS) {
    await assert.rejects(grads[m]!(request(model, photo, m, {}), {}), (e: unknown) => e instanceof EngineError && e.code === 'NOT_DIFFERENTIABLE');
  }
});

for (const [name, size] of [['resnet50', 224], ['vgg16', 224], ['inception_v3', 299]] as const) {
  const file = path.join(torchvisionDir, `${name}-random.onnx`);
  test(`torchvision ${name}: every gradient method (small budgets)`, { skip: !fs.existsSync(file) && `${file} not found` }, async () => {
    const local = { sessions: new SessionCache() };
    try {
      const model = await fileModel(file, false, `tv:${name}`);
      const photo = fs.readFileSync(photoPath);
      const ex = createGradientExplainers(local);
      for (const m of METHODS) {
        const res = await ex[m]!(request(model, photo, m, { gradient: { samples: 2, steps: 2, batchSize: 2 } }), {});
        const a = res.attributions[0];
        assert.equal(a.map.length, size * size);
        assert.ok(a.map.every(Number.isFinite) && a.map.some((v) => v !== 0));
      }
    } finally {
      await local.sessions.close();
      releaseDecoded();
    }
  });
}
