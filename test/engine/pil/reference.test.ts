// Every preset against the crops the Python reference pipelines made of the same 22 files
// (../shared/reference, see its README): PIL decode + convert('RGB'), then torchvision 0.14
// Resize → CenterCrop or Keras' load_img, with Pillow 9.4. Bit for bit, and MobileNetV2's logits.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { predict } from '../../../src/engine/predict.ts';
import { toRgbRaw } from '../../../src/engine/preprocess.ts';
import { inferInputSpec, presetSpec } from '../../../src/engine/presets.ts';
import { decodeNpy } from '../../../src/engine/render/raw.ts';
import { describeSession, SessionCache } from '../../../src/engine/session.ts';
import type { PresetName } from '../../../src/engine/types.ts';
import { mbv2Path as model, referencePhotos, refDir, referenceOnlySkip as skip, referenceSkip as skipModel } from '../../support/reference.ts';


interface RefPhoto {
  source_size_wh: [number, number];
  icc_profile_bytes: number;
  exif_orientation: number | null;
}

/** The 22 photos: 20 in ../shared/images, 2 made for the reference in reference/photos. */
const photos = () => referencePhotos<RefPhoto>();

const PRESET_FILES: [PresetName, string][] = [
  ['torchvision', 'input_224_uint8.npy'],
  ['inception', 'input_inception_299_uint8.npy'],
  ['inception-tf', 'input_keras_299_nearest_uint8.npy'],
];
const io = { inputName: 'input', outputName: 'logits' };

test('the reference covers 22 photos, among them an ICC-tagged and an EXIF-rotated one', { skip }, () => {
  const all = photos();
  assert.equal(all.length, 22);
  assert.ok(all.every((p) => fs.existsSync(p.file)));
  assert.ok(all.some((p) => p.info.icc_profile_bytes > 0));
  assert.ok(all.some((p) => p.info.exif_orientation === 6));
  assert.ok(all.some((p) => p.info.source_size_wh[0] !== p.info.source_size_wh[1]), 'a non-square photo');
});

for (const [preset, file] of PRESET_FILES) {
  test(`${preset}: the crop equals the reference's on all 22 photos, bit for bit`, { skip }, async () => {
    const spec = presetSpec(preset, io);
    const mismatches: string[] = [];
    for (const p of photos()) {
      const ref = decodeNpy(fs.readFileSync(path.join(refDir, p.stem, file)));
      const { data, geometry } = await toRgbRaw(fs.readFileSync(p.file), spec);
      assert.deepEqual(ref.shape, [geometry.height, geometry.width, 3], p.stem);
      assert.deepEqual([geometry.originalWidth, geometry.originalHeight], p.info.source_size_wh, `${p.stem}: the stored, unrotated size`);
      let differing = 0;
      for (let i = 0; i < data.length; i++) if (data[i] !== ref.data[i]) differing++;
      if (differing) mismatches.push(`${p.stem}: ${differing} samples differ`);
    }
    assert.deepEqual(mismatches, []);
  });
}

test('the non-default decode policies change exactly the photos they concern', { skip }, async () => {
  const byStem = new Map(photos().map((p) => [p.stem, p]));
  const ref = (stem: string) => decodeNpy(fs.readFileSync(path.join(refDir, stem, 'input_224_uint8.npy'))).data;
  const crop = async (stem: string, o: Parameters<typeof presetSpec>[1]) => (await toRgbRaw(fs.readFileSync(byStem.get(stem)!.file), presetSpec('torchvision', o))).data;
  const icc = [...byStem.values()].find((p) => p.info.icc_profile_bytes > 0)!.stem;
  const exif = [...byStem.values()].find((p) => p.info.exif_orientation === 6)!.stem;
  const converted = await crop(icc, { ...io, colorProfile: 'CONVERT_TO_SRGB' });
  let worst = 0;
  for (let i = 0; i < converted.length; i++) worst = Math.max(worst, Math.abs(converted[i] - ref(icc)[i]));
  assert.ok(worst > 5, `converting the embedded Adobe RGB profile moves samples (largest change ${worst})`);
  assert.ok(Buffer.from(await crop('frog', { ...io, colorProfile: 'CONVERT_TO_SRGB' })).equals(Buffer.from(ref('frog'))), 'no profile: no change');
  const oriented = await toRgbRaw(fs.readFileSync(byStem.get(exif)!.file), presetSpec('torchvision', { ...io, orientation: 'APPLY' }));
  assert.ok(!Buffer.from(oriented.data).equals(Buffer.from(ref(exif))), 'the applied orientation turns the crop');
});

const cache = new SessionCache({ intraOpNumThreads: 1 });
after(() => cache.close());

test('MobileNetV2 logits within 1e-4 of the reference on all 22 photos', { skip: skipModel }, async () => {
  const session = await cache.get('mbv2', () => model);
  const { spec } = inferInputSpec(describeSession(session));
  const all = photos();
  const run = await predict(session, spec, all.map((p) => fs.readFileSync(p.file)), { topK: 1000, outputKind: 'LOGITS' });
  let worst = 0;
  let worstStem = '';
  run.results.forEach((classes, i) => {
    const ref = decodeNpy(fs.readFileSync(path.join(refDir, all[i].stem, 'mbv2_logits.npy'))).data;
    assert.equal(classes.length, ref.length);
    for (const c of classes) {
      const d = Math.abs(c.logit! - ref[c.index]);
      if (d > worst) [worst, worstStem] = [d, all[i].stem];
    }
  });
  console.log(`MobileNetV2 on 22 reference photos: largest |logit − reference| over all 1000 classes = ${worst.toExponential(2)} (${worstStem})`);
  assert.ok(worst < 1e-4, `largest logit difference ${worst} (${worstStem})`);
});
