// Faithfulness metrics vs the forward-only floor measured in the same run: deletion + insertion
// curves with N steps (2(N+1) images, batched as the explainers batch) against bare session.run on
// the same number of images at the same batch size. Also the agreement metrics' cost per map pair.
// Single runs scatter by ±15% on a 2-core box, so each row is the median of METRICS_BENCH_REPS runs
// (default 11) with its quartiles, next to the same statistic of floor vs floor (the measurement's
// own noise: its median should be 1).
// usage: npm run bench metrics [image.jpg]  or  node --import tsx bench/metrics.ts [image.jpg]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelHandle } from '../src/engine/explain/types.ts';
import { defaultLabels } from '../src/engine/labels.ts';
import { agreement, checkFaithfulness, deletionInsertion } from '../src/engine/metrics/index.ts';
import { chooseBatch, modelFileSize } from '../src/engine/perturb/runner.ts';
import { inferInputSpec } from '../src/engine/presets.ts';
import { preprocess, toRgbRaw } from '../src/engine/preprocess.ts';
import { describeSession, SessionCache } from '../src/engine/session.ts';
import { mulberry32 } from '../src/engine/random.ts';
import { floorMs } from './perturb.ts';
import { photoArgument } from './photo-argument.ts';
import { median, medianMs, percentile } from './stats.ts';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const shared = path.resolve(root, '../shared');
const tvDir = process.env.XAI_TORCHVISION_DIR ?? '/root/.cache/xai-models';
const reps = Number(process.env.METRICS_BENCH_REPS ?? 11);
const spread = (xs: number[]) => `median ${median(xs).toFixed(3)} (quartiles ${percentile(xs, 0.25).toFixed(3)}–${percentile(xs, 0.75).toFixed(3)})`;

export async function benchMetrics(): Promise<void> {
  const models: [string, string][] = [
    ['MobileNetV2', path.join(shared, 'models/mobilenetv2-float.onnx')],
    ['ResNet-50 (random weights)', path.join(tvDir, 'resnet50-random.onnx')],
  ];
  const photo = photoArgument(path.join(shared, 'images/bittern.jpg'));
  if (!fs.existsSync(photo)) return console.log(`metrics bench skipped: ${photo} is absent`);
  const image = fs.readFileSync(photo);
  console.log(`\nfaithfulness (deletion + insertion) vs the forward-only floor (image: ${path.basename(photo)})`);
  for (const [name, file] of models) {
    if (!fs.existsSync(file)) {
      console.log(`  ${name}: skipped, ${file} is absent`);
      continue;
    }
    const sessions = new SessionCache();
    try {
      const session = await sessions.get(file, () => file);
      const { spec } = inferInputSpec(describeSession(session));
      const model: ModelHandle = { key: file, path: file, spec, numClasses: 1000, labels: defaultLabels(1000), outputKind: 'LOGITS', quantized: false };
      const rgb = new Uint8Array((await toRgbRaw(image, spec)).data);
      const input = await preprocess(image, spec);
      const rand = mulberry32(1);
      const map = Float32Array.from({ length: spec.width * spec.height }, () => rand());
      for (const steps of [20, 50]) {
        const params = checkFaithfulness({ steps });
        const images = 2 * (steps + 1);
        const batch = chooseBatch(session, model, params.batchSize, modelFileSize(file)).size;
        const run = () => deletionInsertion(sessions, { model, rgb, maps: [{ classIndex: 0, map }] }, params);
        await run(); // warm-up
        const ratios: number[] = [];
        const noise: number[] = [];
        for (let rep = 0; rep < reps; rep++) {
          // Floor right before and after (other load drifts); the ratio uses their mean.
          const before = await floorMs(session, model, images, batch, input);
          const t0 = performance.now();
          await run();
          const wall = performance.now() - t0;
          const after = await floorMs(session, model, images, batch, input);
          ratios.push(wall / ((before + after) / 2));
          noise.push(after / before);
          console.log(`  ${name.padEnd(26)} N=${String(steps).padEnd(3)} wall ${wall.toFixed(0).padStart(5)} ms  floor ${((before + after) / 2).toFixed(0).padStart(5)} ms (${images} imgs, batch ${batch})  ratio ${ratios.at(-1)!.toFixed(3)}`);
        }
        console.log(`  ${name.padEnd(26)} N=${String(steps).padEnd(3)} ratio ${spread(ratios)} over ${reps} runs; floor after / before ${spread(noise)}`);
      }
    } finally {
      await sessions.close();
    }
  }
  // Agreement metrics: pure JS on two 224×224 maps (ranks for Spearman dominate).
  const n = 224 * 224;
  const rand = mulberry32(2);
  const a = Float32Array.from({ length: n }, () => rand());
  const b = Float32Array.from(a, (v) => v + rand() * 0.2);
  const ms = await medianMs(15, () => agreement({ map: a, binarization: { kind: 'THRESHOLD', value: 0.5 } }, { map: b, binarization: { kind: 'TOP_PERCENT', percent: 20 } }), false);
  console.log(`  agreement metrics per pair of 224×224 maps: median ${ms.toFixed(1)} ms`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await benchMetrics();
