// Gradient SHAP's α sampling modes: the spread over seeds of the completeness gap (Σ attributions −
// (f(x) − f(black))) on MobileNetV2 with the reference's 224×224 crops (../shared/reference), black
// baseline, 20 samples, top-1 class, as shap's GradientExplainer in the reference. Also each mode's
// wall time against the forward-only floor for the same number of images (all modes cost the same
// gradients; the ratio shows the option adds nothing).
// usage: npm run bench gradient-shap   (GSHAP_BENCH_STEMS=bittern,coral  GSHAP_BENCH_SEEDS=8)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createGradientExplainers } from '../src/engine/attrib/index.ts';
import { engineContext } from '../src/engine/explain/context.ts';
import type { ModelHandle } from '../src/engine/explain/types.ts';
import { defaultLabels } from '../src/engine/labels.ts';
import { ALPHA_SAMPLINGS, normalizeParameters } from '../src/engine/methods.ts';
import { inferInputSpec } from '../src/engine/presets.ts';
import { preprocess } from '../src/engine/preprocess.ts';
import { decodeNpy } from '../src/engine/render/raw.ts';
import { describeSession, SessionCache } from '../src/engine/session.ts';
import { floorMs } from './perturb.ts';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const shared = path.resolve(root, '../shared');
const SAMPLES = 20;

function sd(xs: readonly number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

export async function benchGradientShap(): Promise<void> {
  const file = path.join(shared, 'models/mobilenetv2-float.onnx');
  const refDir = path.join(shared, 'reference');
  const stems = (process.env.GSHAP_BENCH_STEMS ?? 'bittern,cat_mouse,coral').split(',');
  const seeds = Number(process.env.GSHAP_BENCH_SEEDS ?? 8);
  if (!fs.existsSync(file) || !fs.existsSync(refDir)) return console.log(`gradient-shap bench skipped: ${file} or ${refDir} is absent`);
  const sessions = new SessionCache({ intraOpNumThreads: 1 });
  try {
    const probe = await sessions.get(file, () => file);
    const { spec } = inferInputSpec(describeSession(probe));
    // The crops are 224×224 already: a shorter side of 224 makes the resize and crop the identity.
    const model: ModelHandle = { key: `${file}:224`, path: file, spec: { ...spec, resizeShorter: 224 }, numClasses: 1000, labels: defaultLabels(1000), outputKind: 'LOGITS', quantized: false };
    const explain = createGradientExplainers(engineContext(sessions)).GRADIENT_SHAP!;
    console.log(`\nGradient SHAP completeness gap over seeds 0..${seeds - 1} (MobileNetV2, black baseline, ${SAMPLES} samples, top-1)`);
    console.log('  photo       class  f(x)−f(b)  sampling     sd of gap   min gap   max gap  mean |gap|  wall/floor');
    for (const stem of stems) {
      const crop = decodeNpy(fs.readFileSync(path.join(refDir, stem, 'input_224_uint8.npy')));
      const [H, W] = crop.shape;
      const image = await sharp(Buffer.from(crop.data as Uint8Array), { raw: { width: W, height: H, channels: 3 } }).png().toBuffer();
      const input = await preprocess(image, model.spec);
      for (const alphaSampling of ALPHA_SAMPLINGS) {
        const gaps: number[] = [];
        let delta = NaN;
        let cls = -1;
        let wall = 0;
        for (let seed = 0; seed < seeds; seed++) {
          const params = normalizeParameters('GRADIENT_SHAP', { target: { kind: 'TOP', k: 1 }, gradient: { samples: SAMPLES, alphaSampling } } as never, 1000);
          const t0 = performance.now();
          const r = await explain({ model, image, method: 'GRADIENT_SHAP', params, seed }, {});
          wall += performance.now() - t0;
          const m = r.attributions[0].metrics;
          gaps.push(m.sumAttributions - m.outputDelta);
          delta = m.outputDelta;
          cls = r.attributions[0].classIndex;
        }
        // Forward-only floor: the same number of images (samples + the forward run), batch 16 as the gradient runs.
        const floor = (await floorMs(probe, model, (SAMPLES + 2) * seeds, 16, input)) || 1;
        const f = (v: number, w = 9) => v.toFixed(2).padStart(w);
        console.log(
          `  ${stem.padEnd(10)} ${String(cls).padStart(5)} ${f(delta, 10)}  ${alphaSampling.padEnd(11)} ${f(sd(gaps), 10)} ${f(Math.min(...gaps))} ${f(Math.max(...gaps))} ${f(gaps.reduce((a, b) => a + Math.abs(b), 0) / gaps.length, 11)} ${f(wall / floor, 11)}`,
        );
      }
    }
  } finally {
    await sessions.close();
  }
}
