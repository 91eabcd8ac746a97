// Floors for MobileNetV2: bare session.run ms/img at batch 1 and 8, and warm preprocess ms/img.
// usage: node --import tsx bench/predict-floor.ts [model.onnx]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { preprocess } from '../src/engine/preprocess.ts';
import { inferInputSpec } from '../src/engine/presets.ts';
import { describeSession, loadSession } from '../src/engine/session.ts';

const shared = path.resolve(fileURLToPath(new URL('..', import.meta.url)), '../shared');
const model = process.argv[2] ?? path.join(shared, 'models/mobilenetv2-float.onnx');
if (!fs.existsSync(model)) {
  console.log(`skipped: ${model} is absent`);
  process.exit(0);
}

const session = await loadSession(model);
const { spec } = inferInputSpec(describeSession(session));
const per = 3 * spec.width * spec.height;

async function runMs(batch: number, iterations: number): Promise<number> {
  const input = new ort.Tensor('float32', new Float32Array(batch * per).fill(0.1), [batch, 3, spec.height, spec.width]);
  for (let i = 0; i < 3; i++) await session.run({ [spec.inputName]: input }); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) await session.run({ [spec.inputName]: input });
  return (performance.now() - t0) / iterations / batch;
}

console.log(`${path.basename(model)}: session.run batch 1: ${(await runMs(1, 50)).toFixed(2)} ms/img`);
console.log(`${path.basename(model)}: session.run batch 8: ${(await runMs(8, 10)).toFixed(2)} ms/img`);

const imagesDir = path.join(shared, 'images');
if (fs.existsSync(imagesDir)) {
  const files = fs.readdirSync(imagesDir).filter((f) => f.endsWith('.jpg'));
  const bytes = files.map((f) => fs.readFileSync(path.join(imagesDir, f)));
  for (const b of bytes) await preprocess(b, spec); // warm-up
  const t0 = performance.now();
  for (const b of bytes) await preprocess(b, spec);
  console.log(`preprocess (sequential, ${files.length} JPEGs ~500 px): ${((performance.now() - t0) / files.length).toFixed(2)} ms/img`);
}
await session.release();
