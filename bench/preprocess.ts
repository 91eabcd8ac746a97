// Preprocessing of one photo vs the MobileNetV2 forward pass at batch 1, measured in the same run:
// decoding (sharp, as PIL), Pillow's resize + center crop in TypeScript, and for comparison sharp's own
// resize (libvips, not bit-exact). The photo is a 500×375 JPEG made from bittern.jpg (the typical
// ImageNet size) and, to show the worst case, a 4000×3000 one.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { decodeRgb, PIL_DECODE } from '../src/engine/pil/decode.ts';
import { pilResize } from '../src/engine/pil/resample.ts';
import { cropGeometry } from '../src/engine/preprocess.ts';
import { inferInputSpec } from '../src/engine/presets.ts';
import { describeSession, loadSession } from '../src/engine/session.ts';
import { medianMs as time, report } from './stats.ts';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const shared = path.resolve(root, '../shared');

export async function benchPreprocess(): Promise<void> {
  const model = path.join(shared, 'models/mobilenetv2-float.onnx');
  const photo = path.join(shared, 'images/bittern.jpg');
  if (!fs.existsSync(model) || !fs.existsSync(photo)) {
    console.log(`\npreprocess: skipped, ${model} or ${photo} is absent`);
    return;
  }
  const session = await loadSession(model);
  try {
    const { spec } = inferInputSpec(describeSession(session));
    const x = new Float32Array(3 * 224 * 224).fill(0.1);
    const forward = await time(15, () => session.run({ [spec.inputName]: new ort.Tensor('float32', x, [1, 3, 224, 224]) }));
    const rows: [string, number][] = [['MobileNetV2 forward, batch 1 (ms)', forward]];
    for (const [w, h, reps] of [[500, 375, 25], [4000, 3000, 5]]) {
      const jpeg = await sharp(photo).resize(w, h, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
      const full = await decodeRgb(jpeg, PIL_DECODE);
      const g = cropGeometry(w, h, spec);
      const win = { left: g.cropLeft, top: g.cropTop, width: g.width, height: g.height };
      const decode = await time(reps, () => decodeRgb(jpeg, PIL_DECODE));
      const pil = await time(reps, () => pilResize(full, g.resizedWidth, g.resizedHeight, 'bilinear', win));
      const vips = await time(reps, () =>
        sharp(full.data, { raw: { width: w, height: h, channels: 3 } }).resize(g.resizedWidth, g.resizedHeight, { kernel: 'linear', fit: 'fill' }).extract(win).raw().toBuffer(),
      );
      rows.push(
        [`${w}×${h}: decode (ms)`, decode],
        [`${w}×${h}: Pillow resize + crop, TypeScript (ms)`, pil],
        ['  ratio to one forward', pil / forward],
        [`${w}×${h}: sharp resize + crop, not exact (ms)`, vips],
      );
    }
    report('Preprocessing vs the forward pass (MobileNetV2, 224×224 crop)', rows);
  } finally {
    await session.release();
  }
}
