// One explanation decodes its photo once: the explainer's crop and decoded original travel with the
// result to the evaluation and to rendering (every overlay of every class is drawn on them).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runExplanation } from '../../../src/engine/explain/run.ts';
import { decodeCount } from '../../../src/engine/pil/decode.ts';
import { engineContext } from '../../../src/engine/explain/context.ts';
import type { Method } from '../../../src/engine/methods.ts';
import { demoModel, request } from '../fixtures.ts';
import { twoShapes } from '../cam/helpers.ts';

const ctx = engineContext();
test.after(() => ctx.sessions.close());

const CASES: [Method, Record<string, unknown>][] = [
  ['GRAD_CAM', {}],
  ['SALIENCY', {}],
  ['KERNEL_SHAP', { kernelShap: { nsamples: 20, segmentation: { algorithm: 'SLIC', nSegments: 8 } } }],
];

for (const [method, params] of CASES) {
  test(`${method} with two classes: one decode of the photo for explaining and rendering`, async () => {
    const { png } = await twoShapes();
    const req = request(demoModel(), png, method, { target: { kind: 'TOP', k: 2 }, ...params });
    const before = decodeCount();
    const out = await runExplanation(req, ctx, {});
    assert.equal(out.artifacts.filter((a) => a.kind === 'OVERLAY').length, 2);
    assert.equal(decodeCount() - before, 1);
  });
}
