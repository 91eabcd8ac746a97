// CAM family on the demo CNN, where the right answer is known by construction: class c depends
// only on pixels of color c. Red square top-left, blue disc bottom-right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawDemoImage } from '../../../src/engine/demo/index.ts';
import { EngineError } from '../../../src/engine/errors.ts';
import { explainerFor } from '../../../src/engine/explain/index.ts';
import { createCamExplainers, finishCam, firstComponentProjection, resizeBilinear } from '../../../src/engine/cam/index.ts';
import { engineContext } from '../../../src/engine/explain/context.ts';
import { METHOD_REGISTRY, methodsOf, type Method } from '../../../src/engine/methods.ts';
import { demoModel, request } from '../fixtures.ts';
import { inBox, massInBox, peak, twoShapes } from './helpers.ts';

const ctx = engineContext();
test.after(() => ctx.sessions.close());
const cams = createCamExplainers(ctx);
const CLASS_METHODS = ['GRAD_CAM', 'GRAD_CAM_PLUS_PLUS', 'XGRAD_CAM', 'HIRES_CAM', 'LAYER_CAM', 'SCORE_CAM'] as const;
const RED = 1;
const BLUE = 3;

for (const method of CLASS_METHODS) {
  test(`${method}: red peaks in the red square, blue in the blue disc (≥ 70% of the mass inside)`, async () => {
    const { png, red, blue } = await twoShapes();
    const res = await cams[method]!(request(demoModel(), png, method, { target: { kind: 'CLASSES', classes: [RED, BLUE] } }), {});
    assert.equal(res.method, method);
    assert.equal(res.attributions.length, 2);
    for (const a of res.attributions) {
      const box = a.classIndex === RED ? red : blue;
      assert.equal(a.signed, false);
      assert.equal(a.map.length, 224 * 224);
      assert.ok(a.map.every((v) => v >= 0 && v <= 1 + 1e-6), 'CAM maps lie in [0, 1]');
      const p = peak(a);
      assert.ok(inBox(p, box), `${method} class ${a.classIndex}: peak (${p.x}, ${p.y}) outside [${box.x0},${box.x1})×[${box.y0},${box.y1})`);
      const mass = massInBox(a, box, 8);
      assert.ok(mass >= 0.7, `${method} class ${a.classIndex}: ${(mass * 100).toFixed(1)}% of the map inside the box`);
    }
    assert.equal(res.summary.targetLayer, 'features');
  });
}

test('EIGEN_CAM (class-agnostic): a red-only image peaks in the red square, a blue-only image in the blue disc', async () => {
  for (const [color, kind] of [['red', 'square'], ['blue', 'disc']] as const) {
    const { png, boxes } = await drawDemoImage({ seed: 5, shapes: [{ color, kind, x: color === 'red' ? 30 : 120, y: color === 'red' ? 40 : 110, size: 76 }] });
    const res = await cams.EIGEN_CAM!(request(demoModel(), png, 'EIGEN_CAM', {}), {});
    const a = res.attributions[0];
    assert.equal(a.label, color, 'top-1 is the drawn color');
    assert.ok(inBox(peak(a), boxes[0]), `peak ${JSON.stringify(peak(a))}`);
    assert.ok(massInBox(a, boxes[0], 8) >= 0.7);
  }
});

test('TOP k: classes by probability, several classes in one run equal separate runs', async () => {
  const { png } = await twoShapes();
  for (const method of ['GRAD_CAM', 'LAYER_CAM', 'SCORE_CAM'] as const) {
    const both = await cams[method]!(request(demoModel(), png, method, { target: { kind: 'TOP', k: 2 } }), {});
    assert.deepEqual(both.attributions.map((a) => a.classIndex), [RED, BLUE]);
    assert.ok(both.attributions[0].probability >= both.attributions[1].probability);
    for (const a of both.attributions) {
      const single = await cams[method]!(request(demoModel(), png, method, { target: { kind: 'CLASSES', classes: [a.classIndex] } }), {});
      const s = single.attributions[0];
      assert.equal(s.classIndex, a.classIndex);
      assert.ok(Math.abs(s.probability - a.probability) < 1e-6);
      let maxDiff = 0;
      for (let i = 0; i < s.map.length; i++) maxDiff = Math.max(maxDiff, Math.abs(s.map[i] - a.map[i]));
      assert.ok(maxDiff < 1e-5, `${method} class ${a.classIndex}: max |Δ| ${maxDiff}`);
    }
  }
});

test('aug_smooth and eigen_smooth run and still localize', async () => {
  const { png, red, blue } = await twoShapes();
  for (const method of ['GRAD_CAM', 'GRAD_CAM_PLUS_PLUS', 'HIRES_CAM', 'SCORE_CAM'] as const) {
    for (const cam of [{ augSmooth: true }, { eigenSmooth: true }, { augSmooth: true, eigenSmooth: true }]) {
      const res = await cams[method]!(request(demoModel(), png, method, { target: { kind: 'CLASSES', classes: [RED, BLUE] }, cam }), {});
      assert.equal(res.summary.augmentations, cam.augSmooth ? 6 : 1);
      for (const a of res.attributions) {
        const box = a.classIndex === RED ? red : blue;
        assert.ok(inBox(peak(a), box, 4), `${method} ${JSON.stringify(cam)} class ${a.classIndex}: peak ${JSON.stringify(peak(a))}`);
        assert.ok(massInBox(a, box, 8) >= 0.7, `${method} ${JSON.stringify(cam)} class ${a.classIndex}: mass ${massInBox(a, box, 8)}`);
      }
    }
  }
});

test('aug_smooth de-augments: a left-right symmetric setup stays put (flip maps back)', async () => {
  const { png, red } = await twoShapes();
  const res = await cams.GRAD_CAM!(request(demoModel(), png, 'GRAD_CAM', { target: { kind: 'CLASSES', classes: [RED] }, cam: { augSmooth: true } }), {});
  // Mass on the red (left) side, not mirrored to the right.
  assert.ok(massInBox(res.attributions[0], red, 8) > 0.7);
});

test('unknown target layer → INVALID_ARGUMENT listing candidates; explicit layer works', async () => {
  const { png } = await twoShapes();
  await assert.rejects(
    cams.GRAD_CAM!(request(demoModel(), png, 'GRAD_CAM', { cam: { targetLayer: 'no_such_layer' } }), {}),
    (e: unknown) => e instanceof EngineError && e.code === 'INVALID_ARGUMENT' && /candidates include 'features'/.test(e.message),
  );
  await assert.rejects(
    cams.SCORE_CAM!(request(demoModel(), png, 'SCORE_CAM', { cam: { targetLayer: 'nope' } }), {}),
    (e: unknown) => e instanceof EngineError && e.code === 'INVALID_ARGUMENT',
  );
  const res = await cams.GRAD_CAM!(request(demoModel(), png, 'GRAD_CAM', { cam: { targetLayer: 'down1_act' } }), {});
  assert.equal(res.summary.targetLayer, 'down1_act');
  assert.deepEqual(res.summary.activationShape, [1, 4, 56, 56]);
});

test('progress and cancellation between batches (Score-CAM)', async () => {
  const { png } = await twoShapes();
  const seen: number[] = [];
  await cams.SCORE_CAM!(request(demoModel(), png, 'SCORE_CAM', { cam: { batchSize: 1 } }), { onProgress: (p) => seen.push(p.done) });
  assert.deepEqual(seen, [1, 2, 3, 4]);
  const ac = new AbortController();
  await assert.rejects(
    cams.SCORE_CAM!(request(demoModel(), png, 'SCORE_CAM', { cam: { batchSize: 1 } }), { signal: ac.signal, onProgress: (p) => p.done === 2 && ac.abort() }),
    (e: unknown) => e instanceof EngineError && e.code === 'ABORTED',
  );
});

test('dispatcher: every CAM method of the registry runs, its maps unsigned', async () => {
  const { png } = await twoShapes();
  assert.deepEqual(methodsOf('CAM'), ['GRAD_CAM', 'GRAD_CAM_PLUS_PLUS', 'XGRAD_CAM', 'HIRES_CAM', 'LAYER_CAM', 'EIGEN_CAM', 'SCORE_CAM']);
  for (const m of methodsOf('CAM')) {
    const ex = await explainerFor(m, ctx);
    const res = await ex(request(demoModel(), png, m, {}), {});
    assert.equal(res.method, m);
    assert.equal(res.attributions[0].classIndex, RED);
    assert.equal(res.attributions[0].signed, METHOD_REGISTRY[m].signed, m);
  }
});

test('map kernels: cv2 bilinear resize, min-max finish, PCA projection sign', () => {
  // cv2.resize(np.array([[0, 1]], np.float32), (4, 1)) → [0, 0.25, 0.75, 1].
  assert.deepEqual(Array.from(resizeBilinear([0, 1], 1, 2, 1, 4)), [0, 0.25, 0.75, 1]);
  // align_corners=True: [0, 1/3, 2/3, 1].
  assert.deepEqual(Array.from(resizeBilinear([0, 1], 1, 2, 1, 4, 'align')).map((v) => +v.toFixed(6)), [0, 0.333333, 0.666667, 1]);
  const { map, rawMax } = finishCam(Float32Array.from([-1, 2, 0, 4]), 2, 2, 4, 4);
  assert.equal(rawMax, 4);
  assert.ok(Math.abs(Math.max(...map) - 1) < 1e-6 && Math.min(...map) === 0);
  // Two channels, one strong blob at pixel 3: the projection peaks there and is positive.
  const X = Float32Array.from([0, 0, 1, 5, 0, 0.1, 0.9, 4]);
  const proj = firstComponentProjection(X, 2, 4);
  assert.equal(proj.indexOf(Math.max(...proj)), 3);
});

test('all CAM methods of one request from one forward and one backward pass equal each method run alone', async () => {
  const { explainCamGroup } = await import('../../../src/engine/cam/index.ts');
  const { png } = await twoShapes();
  const methods = ['GRAD_CAM', 'GRAD_CAM_PLUS_PLUS', 'XGRAD_CAM', 'HIRES_CAM', 'LAYER_CAM', 'EIGEN_CAM', 'SCORE_CAM'] as const;
  for (const cam of [{}, { augSmooth: true, eigenSmooth: true }]) {
    const req = request(demoModel(), png, 'GRAD_CAM', { target: { kind: 'CLASSES', classes: [RED, BLUE] }, cam });
    const group = await explainCamGroup(ctx, methods, req, {});
    assert.deepEqual(group.map((r) => r.method), methods);
    const gradient = group.filter((r) => r.summary.backwardRuns !== undefined);
    assert.equal(gradient.length, 5);
    // The five gradient methods share one backward run per batch of (augmentation, class) rows.
    assert.ok(gradient.every((r) => r.summary.backwardRuns === gradient[0].summary.backwardRuns));
    for (const r of group) {
      const alone = await cams[r.method]!({ ...req, method: r.method }, {});
      assert.deepEqual(r.attributions.map((a) => a.classIndex), alone.attributions.map((a) => a.classIndex));
      r.attributions.forEach((a, i) => assert.deepEqual(a.map, alone.attributions[i].map, `${r.method} ${JSON.stringify(cam)} class ${a.classIndex}`));
      assert.deepEqual(r.summary.sharedWith, [...methods]);
    }
  }
});
