// Registering what PyTorch users export: torchvision ResNet-50, VGG16 and Inception-v3 by path, with the
// ImageNet labels, then predicting through the API. Weights are random, so only shapes and plumbing are checked.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { demoImageSet } from '../../src/engine/demo/index.js';
import { hasShared, SHARED_SKIP, sharedDir, startTestService, type TestService } from '../support/service.js';
import { TORCHVISION_MODELS, TORCHVISION_SKIP, torchvisionDir, torchvisionModel } from '../support/torchvision.js';
import { PREDICT, REGISTER_MODEL, UPLOAD_IMAGE } from './operations.js';

const EXPECTED = {
  resnet50: { width: 224, resizeShorter: 256, layer: '/layer4/layer4.2/relu_2/Relu_output_0' },
  vgg16: { width: 224, resizeShorter: 256, layer: '/features/features.30/MaxPool_output_0' },
  inception_v3: { width: 299, resizeShorter: 342, layer: '/Mixed_7c/Concat_output_0' },
};

describe('torchvision exports', () => {
  let svc: TestService;
  let imageId: string;
  const present = TORCHVISION_MODELS.filter((m) => torchvisionModel(m));

  before(async () => {
    if (!present.length || !hasShared()) return;
    svc = await startTestService({ seed: false, env: { XAI_MODELS_DIR: torchvisionDir } });
    const up = await svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: (await demoImageSet())[0].png, name: 'x.png' } });
    imageId = up.data.uploadImage.data.id;
  });
  after(async () => svc?.close());

  for (const name of TORCHVISION_MODELS) {
    test(`${name}: register by path with ImageNet labels, then predict`, async (t) => {
      if (!torchvisionModel(name)) return t.skip(TORCHVISION_SKIP);
      if (!hasShared()) return t.skip(SHARED_SKIP);
      const labels = await readFile(path.join(sharedDir, 'models', 'imagenet_class_index.json'));
      const reg = await svc.upload(REGISTER_MODEL, { input: { name, path: `${name}-random.onnx`, labelsFile: null } }, {
        'input.labelsFile': { bytes: labels, name: 'imagenet_class_index.json' },
      });
      const m = reg.data?.registerModel?.data;
      assert.ok(m, JSON.stringify(reg));
      assert.equal(m.numClasses, 1000);
      assert.equal(m.input.width, EXPECTED[name].width);
      assert.equal(m.input.resizeShorter, EXPECTED[name].resizeShorter);
      assert.equal(m.outputKind, 'LOGITS');
      const layers = (await svc.gql(`query($id: ID!) { model(id: $id) { layers { name isDefault } } }`, { id: m.id })).data.model.layers;
      assert.equal(layers.find((l: any) => l.isDefault)?.name, EXPECTED[name].layer, 'default CAM layer: the last spatial activation before the head');
      const p = await svc.gql(PREDICT, { input: { image: imageId, model: m.id, topK: 5 } });
      const classes = p.data.predict.data.classes;
      assert.equal(classes.length, 5);
      const sum = classes.reduce((s: number, c: any) => s + c.probability, 0);
      assert.ok(sum > 0 && sum <= 1.0001);
      assert.ok(classes.every((c: any, i: number) => i === 0 || c.probability <= classes[i - 1].probability));
    });
  }
});
