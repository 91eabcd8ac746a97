// Input-gradient attributions on the demo CNN (class c depends only on pixels of color c): red
// square top-left, blue disc bottom-right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../../../src/engine/errors.ts';
import { explainerFor } from '../../../src/engine/explain/index.ts';
import { createGradientExplainers, gaussLegendre, trapezoid } from '../../../src/engine/attrib/index.ts';
import { engineContext } from '../../../src/engine/explain/context.ts';
import { preprocess } from '../../../src/engine/preprocess.ts';
import { drawDemoImage } from '../../../src/engine/demo/index.ts';
import { METHOD_REGISTRY, methodsOf, type Method } from '../../../src/engine/methods.ts';
import { demoModel, request } from '../fixtures.ts';
import { inBox, massInBox, peak, twoShapes } from '../cam/helpers.ts';

const ctx = engineContext();
test.after(() => ctx.sessions.close());
const grads = createGradientExplainers(ctx);
const RED = 1;
const BLUE = 3;
const METHODS = ['SALIENCY', 'SMOOTH_GRAD', 'INTEGRATED_GRADIENTS', 'GRADIENT_SHAP'] as const;

for (const method of METHODS) {
  test(`${method}: red attributions in the red square, blue in the blue disc`, async () => {
    const { png, red, blue } = await twoShapes();
    const res = await grads[method]!(
      request(demoModel(), png, method, { target: { kind: 'CLASSES', classes: [RED, BLUE] }, gradient: { samples: 16, steps: 16, batchSize: 8 } }),
      {},
    );
    assert.equal(res.attributions.length, 2);
    for (const a of res.attributions) {
      const box = a.classIndex === RED ? red : blue;
      assert.equal(a.signed, method !== 'SALIENCY');
      // |map| mass: signed gradients of this model are negative where brightening every channel
      // desaturates the color (SmoothGrad), so the measure is on magnitudes.
      const mass = massInBox(a, box, 8);
      assert.ok(mass >= 0.9, `${method} class ${a.classIndex}: ${(mass * 100).toFixed(1)}% of |map| inside the box`);
      let best = 0;
      for (let i = 1; i < a.map.length; i++) if (Math.abs(a.map[i]) > Math.abs(a.map[best])) best = i;
      assert.ok(inBox({ x: best % 224, y: Math.floor(best / 224) }, box, 2), `${method} class ${a.classIndex}: |peak| at ${best % 224},${Math.floor(best / 224)}`);
      if (method === 'INTEGRATED_GRADIENTS' || method === 'GRADIENT_SHAP') {
        // Attribution sums to about f(x) − f(baseline), and it is positive for the explained color.
        assert.ok(a.metrics.relativeGap < 0.25, `relative gap ${a.metrics.relativeGap}`);
        assert.ok(massInBox(a, box, 8, 'positive') > 0.9);
        assert.ok(inBox(peak(a), box, 2));
      }
    }
  });
}

test('quadrature rules: Gauss–Legendre and trapezoid weights sum to 1 and integrate polynomials', () => {
  for (const n of [1, 2, 5, 16, 50]) {
    const gl = gaussLegendre(n);
    const tr = trapezoid(n);
    assert.ok(Math.abs(gl.weights.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    assert.ok(Math.abs(tr.weights.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    // ∫₀¹ x^(2n−1) dx exactly with n Gauss nodes.
    const deg = 2 * n - 1;
    const q = gl.nodes.reduce((s, x, i) => s + gl.weights[i] * x ** deg, 0);
    assert.ok(Math.abs(q - 1 / (deg + 1)) < 1e-10, `n=${n}: ${q}`);
  }
});

test('IG completeness gap shrinks with steps on the demo (both rules), exact baselines', async () => {
  const { png } = await twoShapes();
  for (const integration of ['gausslegendre', 'riemann_trapezoid'] as const) {
    const local = createGradientExplainers(ctx, { integration });
    const gaps: number[] = [];
    for (const steps of [2, 8, 32]) {
      const r = await local.INTEGRATED_GRADIENTS!(request(demoModel(), png, 'INTEGRATED_GRADIENTS', { target: { kind: 'CLASSES', classes: [RED] }, gradient: { steps, batchSize: 32 } }), {});
      assert.equal(r.summary.integration, integration);
      gaps.push(r.attributions[0].metrics.completenessGap);
    }
    assert.ok(gaps[2] < gaps[0], `${integration}: gaps ${gaps.join(', ')}`);
  }
  for (const baseline of ['BLURRED', 'UNIFORM_NOISE'] as const) {
    const r = await grads.INTEGRATED_GRADIENTS!(request(demoModel(), png, 'INTEGRATED_GRADIENTS', { gradient: { steps: 16, baseline } }), {});
    assert.equal(r.summary.baseline, baseline);
    assert.ok(Number.isFinite(r.attributions[0].metrics.completenessGap));
  }
});

test('Gradient SHAP: custom baselines (preprocessed tensors), seeded determinism', async () => {
  const { png, red } = await twoShapes();
  const gray = await preprocess((await drawDemoImage({ seed: 3, shapes: [] })).png, demoModel().spec);
  const local = createGradientExplainers(ctx, { baselines: [gray, new Float32Array(gray.length)] });
  const req = request(demoModel(), png, 'GRADIENT_SHAP', { target: { kind: 'CLASSES', classes: [RED] }, gradient: { samples: 12 } }, 42);
  const a = await local.GRADIENT_SHAP!(req, {});
  const b = await local.GRADIENT_SHAP!(req, {});
  assert.equal(a.summary.baselines, 2);
  assert.deepEqual(Array.from(a.attributions[0].map), Array.from(b.attributions[0].map));
  assert.ok(massInBox(a.attributions[0], red, 8) > 0.9);
  await assert.rejects(
    createGradientExplainers(ctx, { baselines: [new Float32Array(5)] }).GRADIENT_SHAP!(req, {}),
    (e: unknown) => e instanceof EngineError && e.code === 'INVALID_ARGUMENT',
  );
});

test('several classes in one run equal separate runs; progress; cancellation', async () => {
  const { png } = await twoShapes();
  const both = await grads.INTEGRATED_GRADIENTS!(request(demoModel(), png, 'INTEGRATED_GRADIENTS', { target: { kind: 'TOP', k: 2 }, gradient: { steps: 8, batchSize: 5 } }), {});
  assert.deepEqual(both.attributions.map((a) => a.classIndex), [RED, BLUE]);
  for (const a of both.attributions) {
    const one = await grads.INTEGRATED_GRADIENTS!(request(demoModel(), png, 'INTEGRATED_GRADIENTS', { target: { kind: 'CLASSES', classes: [a.classIndex] }, gradient: { steps: 8 } }), {});
    let d = 0;
    for (let i = 0; i < a.map.length; i++) d = Math.max(d, Math.abs(a.map[i] - one.attributions[0].map[i]));
    assert.ok(d < 1e-6, `max |Δ| ${d}`);
  }
  const seen: number[] = [];
  await grads.SMOOTH_GRAD!(request(demoModel(), png, 'SMOOTH_GRAD', { gradient: { samples: 6, batchSize: 2 } }), { onProgress: (p) => seen.push(p.done) });
  assert.deepEqual(seen, [2, 4, 6]);
  const ac = new AbortController();
  await assert.rejects(
    grads.SMOOTH_GRAD!(request(demoModel(), png, 'SMOOTH_GRAD', { gradient: { samples: 6, batchSize: 2 } }), { signal: ac.signal, onProgress: () => ac.abort() }),
    (e: unknown) => e instanceof EngineError && e.code === 'ABORTED',
  );
});

test('dispatcher: every gradient method of the registry runs, its maps signed as the registry says', async () => {
  const { png } = await twoShapes();
  assert.deepEqual(methodsOf('GRADIENT'), [...METHODS]);
  for (const m of methodsOf('GRADIENT')) {
    const res = await (await explainerFor(m, ctx))(request(demoModel(), png, m, { gradient: { samples: 4, steps: 4 } }), {});
    assert.equal(res.method, m);
    assert.equal(res.attributions[0].classIndex, RED);
    assert.equal(res.attributions[0].signed, METHOD_REGISTRY[m].signed, m);
  }
});
