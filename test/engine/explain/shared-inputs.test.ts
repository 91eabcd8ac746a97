// The perturbation cells of one (image, model) decode, preprocess and predict once per engine context
// (a worker thread's): LIME, Kernel SHAP and Partition SHAP of the same photo share the decoded crop,
// the normalized tensor and the unmodified prediction, and their results are bit-identical to runs
// that share nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engineContext } from '../../../src/engine/explain/context.ts';
import { runExplanation, type ExplanationOutput } from '../../../src/engine/explain/run.ts';
import type { Method } from '../../../src/engine/methods.ts';
import { decodeCount } from '../../../src/engine/pil/decode.ts';
import { demoModel, fileSessions, request } from '../fixtures.ts';
import { redSquare } from '../perturb/helpers.ts';

const sessions = fileSessions();
const SEG = { segmentation: { algorithm: 'SLIC', nSegments: 12 } };
const CELLS: [Method, Record<string, unknown>][] = [
  ['LIME', { lime: { numSamples: 60, batchSize: 20, ...SEG } }],
  ['KERNEL_SHAP', { kernelShap: { nsamples: 40, ...SEG } }],
  ['PARTITION_SHAP', { partitionShap: { maxEvals: 40 } }],
  ['LIME', { lime: { numSamples: 30, batchSize: 10, ...SEG } }],
];

const same = (a: ExplanationOutput, b: ExplanationOutput, what: string) => {
  assert.deepEqual(a.targetClasses, b.targetClasses, what);
  assert.equal(a.caption, b.caption, what);
  assert.deepEqual(a.summary.classes, b.summary.classes, `${what}: probabilities and per-class metrics`);
  assert.equal(a.artifacts.length, b.artifacts.length, what);
  for (const [i, x] of a.artifacts.entries()) {
    assert.equal(x.name, b.artifacts[i].name, what);
    assert.ok(Buffer.from(x.bytes).equals(Buffer.from(b.artifacts[i].bytes)), `${what}: ${x.name} bit-identical`);
  }
};

test('cells of one image and model decode and predict once, with bit-identical results', async () => {
  const image = await redSquare(40, 40, 40);
  const model = demoModel();
  const shared = engineContext(sessions);
  const d0 = decodeCount();
  const together = [];
  for (const [method, raw] of CELLS) together.push(await runExplanation(request(model, image, method, { target: { kind: 'TOP', k: 2 }, ...raw }), shared, {}));
  assert.equal(decodeCount() - d0, 1, 'one decode for four cells');
  assert.deepEqual(shared.inputs.counts, { decodes: 1, predictions: 1, hits: 3 });
  // The engine's own fact: a cell that finds the prediction shared runs one forward pass fewer.
  const runsTogether = together.map((o) => o.summary.sessionRuns as number);

  const d1 = decodeCount();
  for (const [k, [method, raw]] of CELLS.entries()) {
    const alone = engineContext(sessions);
    const out = await runExplanation(request(model, image, method, { target: { kind: 'TOP', k: 2 }, ...raw }), alone, {});
    assert.deepEqual(alone.inputs.counts, { decodes: 1, predictions: 1, hits: 0 });
    same(together[k], out, `${method} #${k}`);
    if (k > 0 && typeof out.summary.sessionRuns === 'number') assert.equal(runsTogether[k], out.summary.sessionRuns - 1, `${method} #${k}: the unmodified prediction was not run again`);
  }
  assert.equal(decodeCount() - d1, CELLS.length, 'unshared, every cell decodes');

  // Another image or another input spec is another entry.
  const other = await redSquare(30, 10, 10);
  await runExplanation(request(model, other, 'LIME', { target: { kind: 'TOP', k: 1 }, ...CELLS[3][1] }), shared, {});
  const squeezed = { ...model, spec: { ...model.spec, resizeMode: 'STRETCH' as const, resizeShorter: null } };
  await runExplanation(request(squeezed, image, 'LIME', { target: { kind: 'TOP', k: 1 }, ...CELLS[3][1] }), shared, {});
  assert.deepEqual(shared.inputs.counts, { decodes: 3, predictions: 3, hits: 3 });
});
