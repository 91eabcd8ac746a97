// LIME against lime 0.2.0.1 + scikit-image 0.19.3 on the seven photos of ../shared/reference (see its
// README): `LimeImageExplainer(random_state=0).explain_instance(crop, softmax(model), top_labels=1,
// num_samples=1000, batch_size=50, random_seed=0)`. Seed 0 here is random_state=0 and random_seed=0 there.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cosineDistanceToOnes, fitLime, limeMasks } from '../../../src/engine/perturb/lime.ts';
import { perturbExplainer } from '../../../src/engine/perturb/index.ts';
import { SessionCache } from '../../../src/engine/session.ts';
import { DEFAULTS } from '../../../src/engine/methods.ts';
import { decodeNpy } from '../../../src/engine/render/raw.ts';
import { segment } from '../../../src/engine/segment/index.ts';
import { referencePhotos, refDir, referenceOnlySkip as skip, referenceSkip as skipModel } from '../../support/reference.ts';
import { fileModel, floatModelPath, request } from '../fixtures.ts';


interface LimeRef {
  label: number;
  n_segments: number;
  intercept: number;
  score: number;
  local_pred: [number];
}

/** The photos with lime outputs, with their entry's lime record. */
function limePhotos(): { stem: string; file: string; lime: LimeRef }[] {
  return referencePhotos<{ lime?: LimeRef }>((v) => v.lime !== undefined).map((p) => ({ ...p, lime: p.info.lime! }));
}

const npy = (stem: string, file: string) => decodeNpy(fs.readFileSync(path.join(refDir, stem, file)));

test('quickshift(4, 200, 0.2, random_seed=0) gives lime\'s segments, labels and all, on all seven photos', { skip }, () => {
  const photos = limePhotos();
  assert.equal(photos.length, 7);
  const differing: string[] = [];
  for (const p of photos) {
    const crop = npy(p.stem, 'input_224_uint8.npy');
    const ref = npy(p.stem, 'lime_segments.npy').data;
    const ours = segment(crop.data as Uint8Array, 224, 224, DEFAULTS.lime.segmentation, 0);
    assert.equal(ours.count, p.lime.n_segments, p.stem);
    let n = 0;
    for (let i = 0; i < ref.length; i++) if (ours.labels[i] !== ref[i]) n++;
    if (n) differing.push(`${p.stem}: ${n} pixels`);
  }
  assert.deepEqual(differing, []);
});

test('the perturbation matrix equals lime_data.npy and the distances lime_distances.npy, on all seven', { skip }, () => {
  for (const p of limePhotos()) {
    const ref = npy(p.stem, 'lime_data.npy');
    const [N, M] = ref.shape;
    const { X, drawRows } = limeMasks(0, N, M);
    drawRows(N);
    assert.ok(Buffer.from(X).equals(Buffer.from(ref.data as Uint8Array)), p.stem);
    const dist = npy(p.stem, 'lime_distances.npy').data;
    let worst = 0;
    for (let i = 0; i < N; i++) {
      let ones = 0;
      for (let j = 0; j < M; j++) ones += X[i * M + j];
      worst = Math.max(worst, Math.abs(cosineDistanceToOnes(ones, M) - dist[i]));
    }
    assert.ok(worst < 1e-12, `${p.stem}: distance off by ${worst}`);
  }
});

test('on lime\'s own samples and probabilities, the fit gives its weights, intercept and score within 1e-5', { skip }, () => {
  for (const p of limePhotos()) {
    const data = npy(p.stem, 'lime_data.npy');
    const [N, M] = data.shape;
    const y = Float64Array.from(npy(p.stem, 'lime_probs_label.npy').data);
    const [fit] = fitLime(data.data as Uint8Array, N, M, y, [p.lime.label], 0.25, 'AUTO', 100000);
    const ref = npy(p.stem, 'lime_weights_seed0.npy').data;
    let worst = 0;
    for (let j = 0; j < M; j++) worst = Math.max(worst, Math.abs(fit.weights[j] - ref[j]));
    assert.ok(worst < 1e-5, `${p.stem}: weights off by ${worst}`);
    assert.ok(Math.abs(fit.intercept - p.lime.intercept) < 1e-5, `${p.stem}: intercept ${fit.intercept} vs ${p.lime.intercept}`);
    assert.ok(Math.abs(fit.score - p.lime.score) < 1e-5, `${p.stem}: score ${fit.score} vs ${p.lime.score}`);
    assert.ok(Math.abs(fit.localPred - p.lime.local_pred[0]) < 1e-5, `${p.stem}: local_pred ${fit.localPred}`);
  }
});

test('the whole engine from the photo file, seed 0: lime\'s weights, intercept and score within 1e-5 (bittern)', { skip: skipModel }, async () => {
  const p = limePhotos().find((x) => x.stem === 'bittern')!;
  const model = await fileModel(floatModelPath, false);
  const req = request(model, fs.readFileSync(p.file), 'LIME', { target: { kind: 'TOP', k: 1 }, lime: { batchSize: 50 } }, 0);
  const r = await perturbExplainer({ sessions: new SessionCache() }, 'LIME')(req, {});
  const [a] = r.attributions;
  assert.equal(a.classIndex, p.lime.label);
  const ours = r.segments!.weights[0].values;
  const ref = npy(p.stem, 'lime_weights_seed0.npy').data;
  assert.equal(ours.length, ref.length);
  let worst = 0;
  for (let j = 0; j < ref.length; j++) worst = Math.max(worst, Math.abs(ours[j] - ref[j]));
  assert.ok(worst < 1e-5, `weights off by ${worst}`);
  assert.ok(Math.abs(a.metrics.intercept - p.lime.intercept) < 1e-5, `intercept ${a.metrics.intercept} vs ${p.lime.intercept}`);
  assert.ok(Math.abs(a.metrics.score - p.lime.score) < 1e-5, `score ${a.metrics.score} vs ${p.lime.score}`);
});
