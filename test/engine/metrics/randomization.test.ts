// The model-parameter randomization check on the demo CNN, where what each method depends on is
// known by construction: Eigen-CAM reads only the 'features' activations, so randomizing the
// classifier head cannot change it (ρ = 1), while randomizing the conv below 'features' must.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { explainerFor } from '../../../src/engine/explain/index.ts';
import { checkRandomization, randomizationCheck, randomizeTopLayers } from '../../../src/engine/metrics/index.ts';
import { decodeModel, tensorToFloat32 } from '../../../src/engine/onnx/proto.ts';
import { engineContext } from '../../../src/engine/explain/context.ts';
import { demoModel, request } from '../fixtures.ts';
import { twoShapes } from '../cam/helpers.ts';

const ctx = engineContext();
test.after(() => ctx.sessions.close());

test('randomizeTopLayers redraws the top weight tensors, seeded, with their own spread; biases are kept', () => {
  const m = decodeModel(fs.readFileSync(demoModel().path));
  const { model: r, randomized } = randomizeTopLayers(m, 2, 7);
  assert.deepEqual(randomized, ['classifier.weight', 'down2.weight']);
  const get = (mm: typeof m, name: string) => tensorToFloat32(mm.graph!.initializer.find((t) => t.name === name)!);
  for (const name of randomized) {
    const a = get(m, name);
    const b = get(r, name);
    assert.equal(b.length, a.length);
    assert.notDeepEqual(b, a);
  }
  for (const name of ['classifier.bias', 'down2.bias', 'down1.weight', 'color_detect.weight']) assert.deepEqual(get(r, name), get(m, name));
  assert.deepEqual(get(randomizeTopLayers(m, 2, 7).model, 'down2.weight'), get(r, 'down2.weight'), 'same seed, same weights');
  assert.notDeepEqual(get(randomizeTopLayers(m, 2, 8).model, 'down2.weight'), get(r, 'down2.weight'));
  assert.throws(() => checkRandomization({ layers: 0 }), /layers/);
});

test('Eigen-CAM is untouched by a random head (ρ = 1) and changed by a random last conv', async () => {
  const { png } = await twoShapes();
  const req = request(demoModel(), png, 'EIGEN_CAM', { target: { kind: 'CLASSES', classes: [1] } });
  const original = await (await explainerFor('EIGEN_CAM', ctx))(req, {});
  const head = await randomizationCheck(ctx, req, original, checkRandomization({ layers: 1, seed: 1 }));
  assert.deepEqual(head.randomized, ['classifier.weight']);
  assert.ok(Math.abs(head.spearman! - 1) < 1e-12, `ρ = ${head.spearman}`);
  const deeper = await randomizationCheck(ctx, req, original, checkRandomization({ layers: 2, seed: 1 }));
  assert.ok(deeper.spearman !== null && deeper.spearman < 0.99, `ρ = ${deeper.spearman}`);
  assert.deepEqual(deeper.perClass.map((c) => c.classIndex), [1]);
});
