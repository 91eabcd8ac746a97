// Superpixel timings on the model's 224×224 view of a real photo (torchvision Resize(256) → CenterCrop(224)).
// usage: npm run bench segment (BENCH_IMAGE=photo.jpg BENCH_RUNS=7 to change the input)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Segmentation } from '../src/engine/methods.ts';
import { SEGMENTATION_DEFAULTS } from '../src/engine/methods.ts';
import { presetSpec } from '../src/engine/presets.ts';
import { toRgbRaw } from '../src/engine/preprocess.ts';
import { segment } from '../src/engine/segment/index.ts';

const shared = path.resolve(fileURLToPath(new URL('..', import.meta.url)), '../shared');
const image = process.env.BENCH_IMAGE ?? path.join(shared, 'images/cat_mouse.jpg');
const runs = Number(process.env.BENCH_RUNS ?? 7);
if (!fs.existsSync(image)) {
  console.log(`skipped: ${image} is absent`);
  process.exit(0);
}

const spec = presetSpec('torchvision', { inputName: 'input', outputName: 'output' });
const { data } = await toRgbRaw(image, spec);
const { width, height } = spec;

const cases: [string, Segmentation][] = [
  ['quickshift (LIME: kernel 4, max_dist 200, ratio 0.2)', SEGMENTATION_DEFAULTS.QUICKSHIFT],
  ['quickshift (kernel 3, max_dist 6, ratio 0.5)', { algorithm: 'QUICKSHIFT', kernelSize: 3, maxDist: 6, ratio: 0.5, sigma: 0 }],
  ['slic (n 50, compactness 10)', SEGMENTATION_DEFAULTS.SLIC],
  ['slic (n 100, compactness 10, sigma 1)', { algorithm: 'SLIC', nSegments: 100, compactness: 10, sigma: 1 }],
  ['felzenszwalb (scale 1, sigma 0.8, min 20)', SEGMENTATION_DEFAULTS.FELZENSZWALB],
  ['felzenszwalb (scale 100, sigma 0.5, min 50)', { algorithm: 'FELZENSZWALB', scale: 100, sigma: 0.5, minSize: 50 }],
];

console.log(`${path.basename(image)} → ${width}×${height}, ${runs} runs each (first run = cold JIT)`);
for (const [name, params] of cases) {
  const times: number[] = [];
  let count = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    count = segment(data, width, height, params, 42).count;
    times.push(performance.now() - t0);
  }
  const first = times[0];
  const sorted = times.slice(1).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? first;
  console.log(`${name.padEnd(48)} ${String(count).padStart(4)} segments  first ${first.toFixed(1).padStart(6)} ms  median ${median.toFixed(1).padStart(6)} ms`);
}
