// Perturbation explainers vs the inference floor: LIME (1000 samples) and Partition SHAP (500 evals)
// wall time divided by bare session.run time for the same number of images at the same batch size,
// measured in the same run; segmentation time and peak RSS too.
// usage: npm run bench perturb [image.jpg]  or  node --import tsx bench/perturb.ts [image.jpg]   (PERTURB_BENCH_QUICK=1: MobileNetV2 only)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { drawDemoImage } from '../src/engine/demo/index.ts';
import type { ExplainRequest, ExplainResult, ModelHandle } from '../src/engine/explain/types.ts';
import { normalizeParameters } from '../src/engine/methods.ts';
import { createPerturbExplainers } from '../src/engine/perturb/index.ts';
import { inferInputSpec } from '../src/engine/presets.ts';
import { preprocess } from '../src/engine/preprocess.ts';
import { describeSession, SessionCache, type Session } from '../src/engine/session.ts';
import { defaultLabels } from '../src/engine/labels.ts';
import { torchvisionModel } from '../test/support/torchvision.ts';
import { photoArgument } from './photo-argument.ts';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const shared = path.resolve(root, '../shared');

let floorBatch: { input: Float32Array; batch: number; data: Float32Array } | null = null;

/** Bare session.run time for `images` copies of `input` in batches of `batch` (ms). */
export async function floorMs(session: Session, model: ModelHandle, images: number, batch: number, input: Float32Array): Promise<number> {
  const { spec } = model;
  const per = 3 * spec.width * spec.height;
  const shape = spec.layout === 'NCHW' ? [3, spec.height, spec.width] : [spec.height, spec.width, 3];
  // The real image in every slot (a constant tensor can run at a different speed, e.g. denormals).
  // Built once per input and batch: a fresh 19 MB buffer per call is garbage whose collection the
  // next measured run, not the floor, would pay.
  if (floorBatch?.input !== input || floorBatch.batch !== batch) {
    const data = new Float32Array(batch * per);
    for (let i = 0; i < batch; i++) data.set(input, i * per);
    floorBatch = { input, batch, data };
  }
  const { data } = floorBatch;
  const run = (rows: number) => session.run({ [spec.inputName]: new ort.Tensor('float32', data.subarray(0, rows * per), [rows, ...shape]) });
  await run(batch); // warm-up
  const t0 = performance.now();
  for (let done = 0; done < images; done += batch) await run(Math.min(batch, images - done));
  return performance.now() - t0;
}

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

export async function benchPerturb(): Promise<void> {
  const models: [string, string][] = [['MobileNetV2', path.join(shared, 'models/mobilenetv2-float.onnx')]];
  const resnet = torchvisionModel('resnet50');
  if (resnet && !process.env.PERTURB_BENCH_QUICK) models.push(['ResNet-50 (random weights)', resnet]);
  const photo = photoArgument(path.join(shared, 'images/cabbage.jpg'));
  const image = fs.existsSync(photo) ? fs.readFileSync(photo) : (await drawDemoImage({ seed: 1, shapes: [{ color: 'red', kind: 'square', x: 40, y: 40, size: 60 }] })).png;
  console.log(`\nperturbation explainers vs the forward-only floor (image: ${fs.existsSync(photo) ? path.basename(photo) : 'demo drawing'})`);
  for (const [name, file] of models) {
    if (!fs.existsSync(file)) {
      console.log(`  ${name}: skipped, ${file} is absent`);
      continue;
    }
    const sessions = new SessionCache();
    const ex = createPerturbExplainers({ sessions });
    const probe = await sessions.get(file, () => file);
    const { spec } = inferInputSpec(describeSession(probe));
    const model: ModelHandle = { key: file, path: file, spec, numClasses: 1000, labels: defaultLabels(1000), outputKind: 'LOGITS', quantized: false };
    const input = await preprocess(image, spec);
    const req = (method: ExplainRequest['method'], raw: Record<string, unknown>): ExplainRequest => ({
      model,
      image,
      method,
      params: normalizeParameters(method, { target: { kind: 'TOP', k: 1 }, ...raw } as never, 1000),
      seed: 0,
    });
    const row = async (label: string, run: () => Promise<ExplainResult>, images: number) => {
      // The floor is measured right before and right after the run (other load on the box drifts);
      // the ratio uses their mean. The batch size is the one the explainer chose.
      const first = await run(); // warm-up, and tells the batch size
      const batch = first.summary.batchSize as number;
      const before = await floorMs(probe, model, images, batch, input);
      const t0 = performance.now();
      const r = await run();
      const wall = performance.now() - t0;
      const after = await floorMs(probe, model, images, batch, input);
      const floor = (before + after) / 2;
      const seg = (r.summary.segmentMs as number | undefined) ?? 0;
      console.log(
        `  ${name.padEnd(26)} ${label.padEnd(30)} wall ${wall.toFixed(0).padStart(6)} ms  floor ${floor.toFixed(0).padStart(6)} ms (${images} imgs, batch ${batch})` +
          `  ratio ${(wall / floor).toFixed(3)}  without segmentation ${((wall - seg) / floor).toFixed(3)}  segment ${seg.toFixed(0)} ms  peak RSS ${peakRssMb().toFixed(0)} MB`,
      );
    };
    await probe.run({ [spec.inputName]: new ort.Tensor('float32', new Float32Array(3 * spec.width * spec.height), [1, 3, spec.height, spec.width]) });
    // LIME: 1000 samples + the unmodified image.
    await row('LIME 1000 (quickshift)', () => ex.explainLime(req('LIME', { lime: { numSamples: 1000 } }), {}), 1001);
    // Partition SHAP: 500 evaluations + the unmodified image.
    await row('Partition SHAP 500 blur(128)', () => ex.explainPartitionShap(req('PARTITION_SHAP', { partitionShap: { maxEvals: 500 } }), {}), 501);
    await sessions.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchPerturb();
