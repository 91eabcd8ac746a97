// CAM and input-gradient explainers vs the forward-only floor measured in the same run:
//  - Grad-CAM wall time per image (explainer call, TOP-1: one forward for the class + one
//    forward/backward-to-the-layer run) ÷ one forward pass at batch 1 (goal ≤ 2.5×); also without
//    the image decode, which the floor does not include;
//  - Eigen-CAM per image (one forward to the layer) ÷ one forward, and its LAPACK-sign rule
//    (cam/lapack-sign.ts) alone on a K×P matrix of the layer's shape ÷ one forward (the rule's cost
//    depends on the shape only: a fixed sequence of Householder reflections);
//  - Score-CAM, SmoothGrad and Integrated Gradients throughput (images through the network per
//    second) ÷ forward-only throughput at the same batch size.
// usage: npm run bench cam [image.jpg]  or  node --import tsx bench/cam.ts [image.jpg]   (CAM_BENCH_QUICK=1: MobileNetV2 only)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { createGradientExplainers } from '../src/engine/attrib/index.ts';
import { createCamExplainers, explainCamGroup } from '../src/engine/cam/index.ts';
import { gesddSign } from '../src/engine/cam/lapack-sign.ts';
import { engineContext } from '../src/engine/explain/context.ts';
import type { ExplainRequest, ModelHandle } from '../src/engine/explain/types.ts';
import { defaultLabels } from '../src/engine/labels.ts';
import { normalizeParameters, type Method } from '../src/engine/methods.ts';
import { inferInputSpec } from '../src/engine/presets.ts';
import { mulberry32 } from '../src/engine/random.ts';
import { describeSession, explanationSessionOptions, loadSession, SessionCache, type Session } from '../src/engine/session.ts';
import { torchvisionDir } from '../test/support/torchvision.ts';
import { photoArgument } from './photo-argument.ts';
import { median, medianMs, report } from './stats.ts';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const shared = path.resolve(root, '../shared');

/** Median ms of session.run on `batch` images (after one warm-up run). */
async function forwardMs(session: Session, model: ModelHandle, batch: number, reps: number): Promise<number> {
  const { spec } = model;
  const per = 3 * spec.width * spec.height;
  const shape = spec.layout === 'NCHW' ? [3, spec.height, spec.width] : [spec.height, spec.width, 3];
  const data = new Float32Array(batch * per).fill(0.1);
  return medianMs(reps, () => session.run({ [spec.inputName]: new ort.Tensor('float32', data, [batch, ...shape]) }));
}

/** Median ms of gesddSign on a K×P matrix (ReLU-like: half zeros), after one warm-up call. */
function signRuleMs(K: number, P: number, reps: number): number {
  const rng = mulberry32(7);
  const R = Float64Array.from({ length: K * P }, () => Math.max(0, rng() - 0.5));
  for (let k = 0; k < K; k++) {
    let m = 0;
    for (let i = 0; i < P; i++) m += R[k * P + i];
    for (let i = 0; i < P; i++) R[k * P + i] -= m / P;
  }
  const proj = Float64Array.from({ length: P }, () => rng() - 0.5);
  gesddSign(R, K, P, proj);
  const times: number[] = [];
  for (let i = 0; i < Math.max(reps, 5); i++) {
    const t0 = performance.now();
    gesddSign(R, K, P, proj);
    times.push(performance.now() - t0);
  }
  return median(times);
}

function req(model: ModelHandle, image: Buffer, method: Method, raw: Record<string, unknown>): ExplainRequest {
  return { model, image, method, params: normalizeParameters(method, raw as never, model.numClasses), seed: 1 };
}

export async function benchCam(): Promise<void> {
  const models: [string, string, number, number][] = [
    // name, file, repetitions, Score-CAM channels
    ['MobileNetV2', path.join(shared, 'models/mobilenetv2-float.onnx'), 7, 128],
    ['ResNet-50 (random weights)', path.join(torchvisionDir, 'resnet50-random.onnx'), 3, 64],
    ['VGG16 (random weights)', path.join(torchvisionDir, 'vgg16-random.onnx'), 3, 32],
  ].slice(0, process.env.CAM_BENCH_QUICK ? 1 : undefined) as [string, string, number, number][];
  const photo = photoArgument(path.join(shared, 'images/bittern.jpg'));
  const image = fs.readFileSync(photo);
  console.log(`\nCAM / gradient explainers vs the forward-only floor (image: ${path.basename(photo)})`);
  for (const [name, file, reps, channels] of models) {
    if (!fs.existsSync(file)) {
      console.log(`  ${name}: skipped, ${file} is absent`);
      continue;
    }
    // Explainers get the worker's session options; the floor is the fastest plain forward (defaults).
    const sessions = new SessionCache(explanationSessionOptions());
    const floor = await loadSession(file);
    try {
      const fwd = await sessions.get(`bench:${file}`, () => file);
      const { spec } = inferInputSpec(describeSession(fwd));
      const model: ModelHandle = { key: `bench:${file}`, path: file, spec, numClasses: 1000, labels: defaultLabels(1000), outputKind: 'LOGITS', quantized: false };
      const ctx = engineContext(sessions);
      const cams = createCamExplainers(ctx, { scoreCamMaxChannels: channels });
      const grads = createGradientExplainers(ctx);

      // Grad-CAM latency per image vs one forward pass (batch 1).
      const f1 = await forwardMs(floor, model, 1, reps);
      await cams.GRAD_CAM!(req(model, image, 'GRAD_CAM', {}), {}); // builds the backward model
      const total: number[] = [];
      const noDecode: number[] = [];
      for (let i = 0; i < reps; i++) {
        const t0 = performance.now();
        const r = await cams.GRAD_CAM!(req(model, image, 'GRAD_CAM', {}), {});
        const ms = performance.now() - t0;
        total.push(ms);
        noDecode.push(ms - (r.summary.timingsMs as { image: number }).image);
      }
      const gc = median(total);
      const gcNoDecode = median(noDecode);

      // Five gradient CAM variants of one request from one forward + one backward vs five Grad-CAMs.
      const variants = ['GRAD_CAM', 'GRAD_CAM_PLUS_PLUS', 'XGRAD_CAM', 'HIRES_CAM', 'LAYER_CAM'] as const;
      const group = await medianMs(reps, () => explainCamGroup(ctx, variants, req(model, image, 'GRAD_CAM', {}), {}), false);

      // Eigen-CAM per image, and the sign rule alone on activations of the layer's shape.
      const eigen = await cams.EIGEN_CAM!(req(model, image, 'EIGEN_CAM', {}), {});
      const [, K, h, w] = eigen.summary.activationShape as number[];
      const eigenTimes: number[] = [];
      for (let i = 0; i < reps; i++) {
        const r = await cams.EIGEN_CAM!(req(model, image, 'EIGEN_CAM', {}), {});
        eigenTimes.push((r.summary.timingsMs as { total: number; image: number }).total - (r.summary.timingsMs as { image: number }).image);
      }
      const eigenMs = median(eigenTimes);
      const signMs = signRuleMs(K, h * w, reps);

      // Throughput at one batch size: forward floor vs the explainers' network images/s.
      const B = 16;
      const fB = await forwardMs(floor, model, B, Math.max(2, reps - 1));
      const floorIps = (B / fB) * 1000;
      const through = async (method: Method, raw: Record<string, unknown>, images: number, ex: typeof cams) => {
        await ex[method]!(req(model, image, method, raw), {}); // warm-up: sessions built
        const t0 = performance.now();
        await ex[method]!(req(model, image, method, raw), {});
        return (images / (performance.now() - t0)) * 1000;
      };
      const score = await through('SCORE_CAM', { cam: { batchSize: B } }, channels + 1, cams);
      const smooth = await through('SMOOTH_GRAD', { gradient: { samples: 32, batchSize: B } }, 32, grads);
      const ig = await through('INTEGRATED_GRADIENTS', { gradient: { steps: 32, batchSize: B } }, 32, grads);
      report(`${name} (${spec.width}×${spec.height})`, [
        ['forward, batch 1 (ms)', f1],
        ['Grad-CAM per image, explainer call (ms)', gc],
        ['  ratio to one forward', gc / f1],
        ['  without image decode (ms)', gcNoDecode],
        ['  ratio to one forward, without decode', gcNoDecode / f1],
        ['5 CAM variants from one pass, per image (ms)', group],
        ['  ratio to 5 Grad-CAMs run alone', group / (5 * gc)],
        ['  ratio to 1 Grad-CAM', group / gc],
        ['Eigen-CAM per image, without decode (ms)', eigenMs],
        ['  ratio to one forward', eigenMs / f1],
        [`  LAPACK-sign rule on ${K}×${h * w} (ms)`, signMs],
        ['  sign rule, ratio to one forward', signMs / f1],
        [`forward throughput, batch ${B} (img/s)`, floorIps],
        [`Score-CAM (${channels} channels) img/s`, score],
        ['  ratio to forward throughput', score / floorIps],
        ['SmoothGrad (32 samples) img/s', smooth],
        ['  ratio to forward throughput', smooth / floorIps],
        ['Integrated Gradients (32 steps) img/s', ig],
        ['  ratio to forward throughput', ig / floorIps],
      ]);
    } finally {
      await sessions.close();
      await floor.release();
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await benchCam();
