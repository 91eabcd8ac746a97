// The model-parameter randomization check on a quantized model is refused when it is asked for —
// a single explanation or a study — with a typed error naming the model and the reason; nothing is
// queued.
import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startTestService, hasShared, sharedDir, SHARED_SKIP, type TestService } from '../support/service.js';
import { CREATE_STUDY, REGISTER_MODEL, REQUEST_EXPLANATION } from './operations.js';

let svc: TestService | null = null;
let model: string;
let image: string;
before(async () => {
  if (!hasShared()) return;
  svc = await startTestService({ jobs: true });
  const dir = svc.app.config.modelsDir;
  await mkdir(dir, { recursive: true });
  await copyFile(path.join(sharedDir, 'models', 'mobilenetv2-12-int8.onnx'), path.join(dir, 'int8.onnx'));
  await copyFile(path.join(sharedDir, 'models', 'imagenet_class_index.json'), path.join(dir, 'labels.json'));
  const r = await svc.gql(REGISTER_MODEL, { input: { name: 'mobilenetv2-int8', path: 'int8.onnx', labelsPath: 'labels.json' } });
  assert.equal(r.data.registerModel.data?.quantized, true, JSON.stringify(r));
  model = r.data.registerModel.data.id;
  image = (await svc.gql(`{ images(first: 1) { edges { node { id } } } }`)).data.images.edges[0].node.id;
});
after(async () => svc?.close());

const RANDOMIZATION = { randomization: { layers: 1, seed: 3 } };
const reason = (e: any) => {
  assert.equal(e.code, 'NOT_DIFFERENTIABLE', JSON.stringify(e));
  assert.match(e.message, /randomization check cannot run on mobilenetv2-int8: it is quantized/);
};

test('randomization on a quantized model: refused at request time, a single explanation and a study', async (t) => {
  if (!svc) return t.skip(SHARED_SKIP);
  const queued = await svc.app.prisma.explanation.count();
  const single = await svc.gql(REQUEST_EXPLANATION, { input: { image, model, method: 'LIME', evaluation: RANDOMIZATION } });
  reason(single.data.requestExplanation);

  const study = await svc.gql(CREATE_STUDY, {
    input: { name: 'int8', seed: 1, images: [image], models: [model], methods: [{ method: 'LIME', parameters: { lime: { numSamples: 50 } } }, { method: 'PARTITION_SHAP', parameters: {}, evaluation: RANDOMIZATION }] },
  });
  reason(study.data.createStudy);
  assert.equal(await svc.app.prisma.study.count(), 0, 'no study stored');
  assert.equal(await svc.app.prisma.explanation.count(), queued, 'nothing queued');

});
