// A study against the sum of its cells run alone, in one run of the real service (HTTP, database,
// job queue, worker threads): images × models × methods requested one at a time and waited for, then
// the same cells as one study (another seed, so nothing is reused). Then the report of the study:
// built from the stored facts (the first build also runs the predictions and the comparisons), and
// rebuilt. Defaults are the study: 10 shared photos × MobileNetV2 and the ResNet-50 export ×
// Grad-CAM, LIME (1000 samples) and Partition SHAP (500 evaluations); smaller ones by environment:
//   BENCH_STUDY_IMAGES=3 BENCH_STUDY_LIME_SAMPLES=200 BENCH_STUDY_SHAP_EVALS=100 npm run bench study
import fs from 'node:fs';
import path from 'node:path';
import { buildDemoModel, demoImageSet } from '../src/engine/demo/index.js';
import { waitUntil } from '../test/jobs/support.js';
import { CREATE_STUDY, REGISTER_MODEL, REQUEST_EXPLANATION, UPLOAD_IMAGE } from '../test/api/operations.js';
import { hasShared, sharedDir, startTestService, type TestService } from '../test/support/service.js';

const N_IMAGES = Number(process.env.BENCH_STUDY_IMAGES ?? 10);
const LIME_SAMPLES = Number(process.env.BENCH_STUDY_LIME_SAMPLES ?? 1000);
const SHAP_EVALS = Number(process.env.BENCH_STUDY_SHAP_EVALS ?? 500);
const tvDir = process.env.XAI_TORCHVISION_DIR ?? path.join(process.env.HOME ?? '/root', '.cache/xai-models');

const METHODS = [
  { method: 'GRAD_CAM', label: 'Grad-CAM', parameters: {} },
  { method: 'LIME', key: 'lime-5', label: 'LIME (5 features)', parameters: { lime: { numSamples: LIME_SAMPLES } } },
  { method: 'PARTITION_SHAP', label: 'Partition SHAP', parameters: { partitionShap: { maxEvals: SHAP_EVALS } } },
];

async function setUp(svc: TestService): Promise<{ models: { id: string; name: string }[]; images: string[] }> {
  const files: [string, Uint8Array][] = [];
  if (hasShared()) files.push(['mobilenetv2', fs.readFileSync(path.join(sharedDir, 'models/mobilenetv2-float.onnx'))]);
  const resnet = path.join(tvDir, 'resnet50-random.onnx');
  if (fs.existsSync(resnet)) files.push(['resnet50-random', fs.readFileSync(resnet)]);
  if (files.length < 2) console.log(`  (shared MobileNetV2 or ${resnet} absent: the demo model stands in)`);
  while (files.length < 2) files.push([`demo-${files.length}`, buildDemoModel().onnx]);
  const models = [];
  for (const [name, bytes] of files) {
    const r = await svc.upload(REGISTER_MODEL, { input: { name, file: null } }, { 'input.file': { bytes, name: 'm.onnx' } });
    if (!r.data?.registerModel?.data) throw new Error(`registering ${name}: ${JSON.stringify(r)}`);
    models.push({ id: r.data.registerModel.data.id, name });
  }
  const photos = hasShared()
    ? fs.readdirSync(path.join(sharedDir, 'images')).filter((f) => f.endsWith('.jpg')).sort().slice(0, N_IMAGES).map((f) => ({ name: f, bytes: fs.readFileSync(path.join(sharedDir, 'images', f)) }))
    : (await demoImageSet()).slice(0, N_IMAGES).map((d) => ({ name: `${d.name}.png`, bytes: d.png }));
  const images = [];
  for (const p of photos) images.push((await svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: p.bytes, name: p.name } })).data.uploadImage.data.id);
  return { models, images };
}

async function explanationDone(svc: TestService, id: string): Promise<void> {
  const e = await waitUntil(async () => {
    const x = (await svc.gql(`query($id: ID!) { explanation(id: $id) { status error { message } } }`, { id })).data.explanation;
    return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(x.status) && x;
  }, 3_600_000, 50);
  if (e.status !== 'SUCCEEDED') throw new Error(`cell ${id}: ${e.status} ${JSON.stringify(e.error)}`);
}

export async function benchStudy(): Promise<void> {
  const svc = await startTestService({ seed: false, jobs: true });
  try {
    const { models, images } = await setUp(svc);
    const cells = images.length * models.length * METHODS.length;
    console.log(`\nstudy: ${images.length} images × ${models.map((m) => m.name).join(', ')} × Grad-CAM, LIME ${LIME_SAMPLES} samples, Partition SHAP ${SHAP_EVALS} evals (${cells} cells)`);

    // Alone: one request at a time, each waited for.
    let alone = 0;
    const perMethod = new Map<string, number>();
    for (const image of images) {
      for (const model of models) {
        for (const m of METHODS) {
          const t0 = performance.now();
          const r = await svc.gql(REQUEST_EXPLANATION, { input: { image, model: model.id, method: m.method, parameters: m.parameters, seed: 1 } });
          await explanationDone(svc, r.data.requestExplanation.data.id);
          const ms = performance.now() - t0;
          alone += ms;
          perMethod.set(`${model.name} ${m.label}`, (perMethod.get(`${model.name} ${m.label}`) ?? 0) + ms);
        }
      }
    }
    for (const [k, ms] of perMethod) console.log(`  alone: ${k.padEnd(44)} ${(ms / images.length).toFixed(0).padStart(7)} ms per image`);

    const t0 = performance.now();
    const created = await svc.gql(CREATE_STUDY, { input: { name: 'bench', seed: 2, images, models: models.map((m) => m.id), methods: METHODS } });
    const id = created.data?.createStudy?.data?.id;
    if (!id) throw new Error(JSON.stringify(created));
    const state = await waitUntil(async () => {
      const s = (await svc.gql(`query($id: ID!) { study(id: $id) { state } }`, { id })).data.study.state;
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(s) && s;
    }, 3_600_000, 50);
    const study = performance.now() - t0;
    if (state !== 'SUCCEEDED') throw new Error(`study ${state}`);
    console.log(`  ${cells} cells alone ${(alone / 1000).toFixed(1)} s, as one study ${(study / 1000).toFixed(1)} s: ratio ${(study / alone).toFixed(3)} (issue: ≤ 1.1)`);

    const build = async () => {
      const t = performance.now();
      const r = await svc.gql(`mutation($id: ID!) { buildStudyReport(id: $id) { ... on BuildStudyReportSuccess { data { sha256 byteSize } } ... on Error { code message } } }`, { id });
      if (!r.data?.buildStudyReport?.data) throw new Error(JSON.stringify(r));
      return { ms: performance.now() - t, ...r.data.buildStudyReport.data };
    };
    const first = await build();
    const again = [await build(), await build(), await build()];
    const ms = again.map((b) => b.ms).sort((a, b) => a - b)[1];
    console.log(
      `  report: first build ${first.ms.toFixed(0)} ms (runs the ${images.length * models.length} predictions and the comparisons), rebuild median ${ms.toFixed(0)} ms (issue: ≤ 2 s), ${(first.byteSize / 1e6).toFixed(2)} MB, ` +
        `identical bytes: ${again.every((b) => b.sha256 === first.sha256)}`,
    );
  } finally {
    await svc.close();
  }
}
