// LIME through the public API against lime 0.2.0.1 on a reference photo (../shared/reference, see its
// README): the photo uploaded as the user has it, MobileNetV2 registered by upload, seed 0 =
// LimeImageExplainer(random_state=0).explain_instance(..., top_labels=1, num_samples=1000, random_seed=0).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeNpy } from '../../src/engine/render/raw.js';
import { EXPLANATION_FIELDS, waitUntil } from '../jobs/support.js';
import { mbv2Path as mbv2, refDir, referenceSkip as skip } from '../support/reference.js';
import { sharedDir, startTestService, type TestService } from '../support/service.js';
import { REGISTER_MODEL, REQUEST_EXPLANATION, UPLOAD_IMAGE } from './operations.js';

const STEM = 'cat_mouse'; // 640×427: the crop is off-centre in both directions

describe('LIME through the API equals lime on a reference photo', () => {
  let svc: TestService;
  before(async () => {
    if (!skip) svc = await startTestService({ seed: false, jobs: true });
  });
  after(async () => svc?.close());

  test(`${STEM}: weights, intercept and score within 1e-5 of lime's with seed 0`, { skip }, async () => {
    const name = `${STEM}.jpg`;
    const up = await svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: await readFile(path.join(sharedDir, 'images', name)), name } });
    const image = up.data.uploadImage.data.id;
    const reg = await svc.upload(REGISTER_MODEL, { input: { name: 'mbv2', file: null } }, { 'input.file': { bytes: await readFile(mbv2), name: 'mbv2.onnx' } });
    const model = reg.data.registerModel.data.id;
    const r = await svc.gql(REQUEST_EXPLANATION, { input: { image, model, method: 'LIME', seed: 0, target: { topK: 1 }, parameters: { lime: { batchSize: 50 } } } });
    const id = r.data?.requestExplanation?.data?.id;
    assert.ok(id, JSON.stringify(r));
    const e = await waitUntil(
      async () => {
        const x = (await svc.gql(`query($id: ID!) { explanation(id: $id) { ${EXPLANATION_FIELDS} } }`, { id })).data.explanation;
        return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(x.status) && x;
      },
      30 * 60_000,
      500,
    );
    assert.equal(e.status, 'SUCCEEDED', JSON.stringify(e.error));

    const index = JSON.parse(await readFile(path.join(refDir, 'index.json'), 'utf8'));
    const ref = index[name].lime as { label: number; n_segments: number; intercept: number; score: number };
    const weights = decodeNpy(await readFile(path.join(refDir, STEM, 'lime_weights_seed0.npy'))).data;
    const [cls] = e.result.classes;
    assert.equal(cls.index, ref.label);
    const localExp = e.result.localExp[String(ref.label)] as [number, number][];
    assert.equal(localExp.length, ref.n_segments);
    let worst = 0;
    for (const [feature, w] of localExp) worst = Math.max(worst, Math.abs(w - weights[feature]));
    assert.ok(worst < 1e-5, `weights off by ${worst}`);
    assert.ok(Math.abs(cls.intercept - ref.intercept) < 1e-5, `intercept ${cls.intercept} vs ${ref.intercept}`);
    assert.ok(Math.abs(cls.score - ref.score) < 1e-5, `score ${cls.score} vs ${ref.score}`);
  });
});
