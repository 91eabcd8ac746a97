// The reference crops and logits (../shared/reference) through the public API: the photos are uploaded
// as users have them, models registered with each preset, and the model's view of every photo
// (Image.modelInput, a PNG) must equal the Python pipeline's crop bit for bit; MobileNetV2's predicted
// logits must be within 1e-4 of PyTorch's.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { decodeNpy } from '../../src/engine/render/raw.js';
import { mbv2Path as mbv2, refDir, referenceSkip as skip } from '../support/reference.js';
import { sharedDir, startTestService, type TestService } from '../support/service.js';
import { torchvisionDir, torchvisionModel } from '../support/torchvision.js';
import { MODEL_INPUT, PREDICT, REGISTER_MODEL, UPLOAD_IMAGE } from './operations.js';

const inceptionSkip = skip || (torchvisionModel('inception_v3') ? false : `needs ${torchvisionDir}/inception_v3-random.onnx for the 299×299 presets`);

interface Photo {
  stem: string;
  id: string;
  exif: number | null;
  icc: number;
}

describe('reference pipelines through the API', () => {
  let svc: TestService;
  const photos: Photo[] = [];
  const models: Record<string, string> = {};

  const register = async (input: Record<string, unknown>, file?: string) => {
    const r = file
      ? await svc.upload(REGISTER_MODEL, { input: { ...input, file: null } }, { 'input.file': { bytes: await readFile(file), name: path.basename(file) } })
      : await svc.gql(REGISTER_MODEL, { input });
    const m = r.data?.registerModel?.data;
    assert.ok(m, JSON.stringify(r));
    return m;
  };

  /** The model input as the API serves it: PNG → RGB bytes. */
  const modelInput = async (image: string, model: string) => {
    const r = await svc.gql(MODEL_INPUT, { image, model });
    const view = r.data?.image?.modelInput;
    assert.ok(view, JSON.stringify(r));
    const png = Buffer.from(await (await fetch(new URL(view.url, svc.url))).arrayBuffer());
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [view.width, view.height, 3]);
    return { view, data };
  };

  before(async () => {
    if (skip) return;
    svc = await startTestService({ seed: false, env: { XAI_MODELS_DIR: torchvisionDir } });
    const index = JSON.parse(await readFile(path.join(refDir, 'index.json'), 'utf8')) as Record<string, { exif_orientation: number | null; icc_profile_bytes: number }>;
    for (const [name, info] of Object.entries(index)) {
      const file = existsSync(path.join(sharedDir, 'images', name)) ? path.join(sharedDir, 'images', name) : path.join(refDir, 'photos', name);
      const up = await svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: await readFile(file), name } });
      photos.push({ stem: name.replace(/\.[^.]+$/, ''), id: up.data.uploadImage.data.id, exif: info.exif_orientation, icc: info.icc_profile_bytes });
    }
    models.torchvision = (await register({ name: 'mbv2' }, mbv2)).id;
    if (!inceptionSkip) {
      models.inception = (await register({ name: 'inception', path: 'inception_v3-random.onnx' })).id;
      models['inception-tf'] = (await register({ name: 'inception-tf', path: 'inception_v3-random.onnx', preset: 'INCEPTION_TF' })).id;
    }
  });
  after(async () => svc?.close());

  const cases: [string, string, string | false][] = [
    ['torchvision', 'input_224_uint8.npy', skip],
    ['inception', 'input_inception_299_uint8.npy', inceptionSkip],
    ['inception-tf', 'input_keras_299_nearest_uint8.npy', inceptionSkip],
  ];
  for (const [preset, file, skipThis] of cases) {
    test(`${preset}: the model input of all 22 uploaded photos equals the reference crop`, { skip: skipThis }, async () => {
      assert.equal(photos.length, 22);
      const mismatches: string[] = [];
      for (const p of photos) {
        const { data } = await modelInput(p.id, models[preset]);
        const ref = decodeNpy(await readFile(path.join(refDir, p.stem, file)));
        if (!data.equals(Buffer.from(ref.data.buffer, ref.data.byteOffset, ref.data.byteLength))) mismatches.push(p.stem);
      }
      assert.deepEqual(mismatches, []);
    });
  }

  test('MobileNetV2 predicted logits within 1e-4 of PyTorch on all 22 photos (the top 100 the API returns)', { skip }, async () => {
    let worst = 0;
    for (const p of photos) {
      const r = await svc.gql(PREDICT, { input: { image: p.id, model: models.torchvision, topK: 100 } });
      const classes = r.data?.predict?.data?.classes;
      assert.equal(classes?.length, 100, JSON.stringify(r));
      const ref = decodeNpy(await readFile(path.join(refDir, p.stem, 'mbv2_logits.npy'))).data;
      for (const c of classes) worst = Math.max(worst, Math.abs(c.logit - ref[c.index]));
    }
    assert.ok(worst < 1e-4, `largest logit difference ${worst}`);
  });

  test('the options: EXIF orientation applied and ICC profile converted, shown in the spec and the model input', { skip }, async () => {
    const m = await register({ name: 'mbv2-viewer', colorProfile: 'CONVERT_TO_SRGB', orientation: 'APPLY' }, mbv2);
    assert.deepEqual([m.input.colorProfile, m.input.orientation], ['CONVERT_TO_SRGB', 'APPLY']);
    const rotated = photos.find((p) => p.exif === 6)!;
    const tagged = photos.find((p) => p.icc > 0)!;
    const plain = photos.find((p) => p.stem === 'cat_mouse')!; // 640×427, neither
    const asPil = await modelInput(rotated.id, models.torchvision);
    const turned = await modelInput(rotated.id, m.id);
    // hog.jpg re-encoded with orientation 6: the stored 500×500 pixels, turned.
    assert.deepEqual([asPil.view.originalWidth, asPil.view.originalHeight], [500, 500]);
    assert.ok(!asPil.data.equals(turned.data), 'the turned photo gives another crop');
    const landscape = await modelInput(plain.id, m.id);
    // Resize(256) makes it 383×256 (scales 383/640 and 256/427), CenterCrop(224) starts at (80, 16).
    const v = landscape.view;
    assert.deepEqual([v.originalWidth, v.originalHeight], [640, 427]);
    const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;
    assert.ok(close(v.cropLeft, (80 * 640) / 383) && close(v.cropTop, (16 * 427) / 256), `crop at ${v.cropLeft}, ${v.cropTop}`);
    assert.ok(close(v.cropWidth, (224 * 640) / 383) && close(v.cropHeight, (224 * 427) / 256), `crop ${v.cropWidth}×${v.cropHeight}`);
    assert.ok(landscape.data.equals((await modelInput(plain.id, models.torchvision)).data), 'no tag, no profile: the same pixels');
    assert.ok(!(await modelInput(tagged.id, m.id)).data.equals((await modelInput(tagged.id, models.torchvision)).data), 'the Adobe RGB profile is applied');
  });
});
