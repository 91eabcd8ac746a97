// Issue 12's done-when study, really run: 10 shared photos × MobileNetV2 (float) and the torchvision
// ResNet-50 export × Grad-CAM, LIME (1000 samples, compared by its 5 top features) and Partition SHAP
// (500 evaluations) from ONE createStudy mutation against a started service (`src/main.ts`, as
// `npm start`, with a temporary data directory). The service is killed (SIGKILL) once some cells are
// done and some are still pending, started again on the same data directory, and the study must finish
// with every cell done exactly once. Then the report archive is downloaded over /files and its IoU
// table recomputed from the raw maps and segments (downloaded over /files too) with the documented
// binarization, by test/support/agreement-recompute.ts (none of the service's metric code), to 1e-9.
// Prints the wall time, per-method cell times, the report build time and the IoU means.
//   npm run bench study-done-when   (BENCH_STUDY_SEED, and to try it out BENCH_STUDY_IMAGES, _LIME_SAMPLES, _SHAP_EVALS;
//   BENCH_STUDY_DATA_DIR keeps the service's data directory there, e.g. to profile the report build after)
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CREATE_STUDY, REGISTER_MODEL, STUDY, UPLOAD_IMAGE } from '../test/api/operations.js';
import { gqlAt, waitUntil } from '../test/jobs/support.js';
import { checkReportAgreement } from '../test/support/agreement-recompute.js';
import { spawnScript, type ServiceProcess } from '../test/support/processes.js';
import { hasShared, sharedDir } from '../test/support/service.js';
import { tmpDir } from '../test/support/tmp.js';

const N_IMAGES = Number(process.env.BENCH_STUDY_IMAGES ?? 10);
const SEED = Number(process.env.BENCH_STUDY_SEED ?? 12);
// Smaller only to try the script out; the done-when numbers are the defaults'.
const LIME_SAMPLES = Number(process.env.BENCH_STUDY_LIME_SAMPLES ?? 1000);
const SHAP_EVALS = Number(process.env.BENCH_STUDY_SHAP_EVALS ?? 500);
const tvDir = process.env.XAI_TORCHVISION_DIR ?? path.join(process.env.HOME ?? '/root', '.cache/xai-models');

export const DONE_WHEN_METHODS = [
  { method: 'GRAD_CAM', label: 'Grad-CAM', parameters: {} },
  { method: 'LIME', key: 'lime-5', label: 'LIME (5 features)', parameters: { lime: { numSamples: LIME_SAMPLES } } },
  { method: 'PARTITION_SHAP', label: 'Partition SHAP', parameters: { partitionShap: { maxEvals: SHAP_EVALS } } },
];

async function start(dataDir: string): Promise<{ p: ServiceProcess; url: string }> {
  // The service's own defaults for threads and concurrency, as `npm start` runs it.
  const p = spawnScript('src/main.ts', { XAI_DATA_DIR: dataDir, PORT: '0', XAI_ORT_THREADS: process.env.XAI_ORT_THREADS ?? '0' });
  const [, url] = await p.waitFor(/listening on (http:\/\/[^\s]+)\/graphql/, 120_000);
  return { p, url };
}

async function upload(url: string, query: string, variables: Record<string, unknown>, field: string, bytes: Buffer, name: string): Promise<any> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query, variables }));
  form.append('map', JSON.stringify({ 0: [`variables.${field}`] }));
  form.append('0', new Blob([new Uint8Array(bytes)]), name);
  const body = (await (await fetch(`${url}/graphql`, { method: 'POST', body: form })).json()) as any;
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export async function benchStudyDoneWhen(): Promise<void> {
  const resnet = path.join(tvDir, 'resnet50-random.onnx');
  if (!hasShared() || !fs.existsSync(resnet)) {
    console.log(`study-done-when: skipped, needs ../shared and ${resnet}`);
    return;
  }
  const dir = process.env.BENCH_STUDY_DATA_DIR ?? tmpDir('xai-done-when-');
  fs.mkdirSync(dir, { recursive: true });
  let svc = await start(dir);
  try {
    const models = [];
    for (const [name, file] of [['mobilenetv2', path.join(sharedDir, 'models/mobilenetv2-float.onnx')], ['resnet50-random', resnet]]) {
      const d = await upload(svc.url, REGISTER_MODEL, { input: { name, file: null } }, 'input.file', fs.readFileSync(file), path.basename(file));
      models.push({ id: d.registerModel.data.id as string, name });
    }
    const photos = fs.readdirSync(path.join(sharedDir, 'images')).filter((f) => f.endsWith('.jpg')).sort().slice(0, N_IMAGES);
    const images = [];
    for (const f of photos) images.push((await upload(svc.url, UPLOAD_IMAGE, { file: null }, 'file', fs.readFileSync(path.join(sharedDir, 'images', f)), f)).uploadImage.data.id);
    console.log(`\nstudy-done-when: ${photos.length} photos × ${models.map((m) => m.name).join(', ')} × ${DONE_WHEN_METHODS.map((m) => m.label).join(', ')}, seed ${SEED}`);

    const t0 = performance.now();
    const created = await gqlAt(svc.url, CREATE_STUDY, { input: { name: 'done-when', seed: SEED, images, models: models.map((m) => m.id), methods: DONE_WHEN_METHODS } });
    const id = created.createStudy.data?.id;
    assert.ok(id, JSON.stringify(created));
    const cellCount = created.createStudy.data.cells.length;
    assert.equal(cellCount, photos.length * models.length * DONE_WHEN_METHODS.length);

    // Kill the service mid-study: a third of the cells done, others still pending.
    await waitUntil(async () => {
      const st = (await gqlAt(svc.url, STUDY, { id })).study;
      return st.progress.cellsDone >= Math.ceil(cellCount / 3) && st.cells.some((c: any) => c.state === 'PENDING') && st;
    }, 6 * 3_600_000, 500);
    const killedAt = performance.now();
    const before = (await gqlAt(svc.url, STUDY, { id })).study.progress.cellsDone;
    await svc.p.kill('SIGKILL');
    console.log(`  killed (SIGKILL) after ${s(killedAt - t0)} with ${before}/${cellCount} cells done`);
    svc = await start(dir);
    const restartMs = performance.now() - killedAt;

    const done = await waitUntil(async () => {
      const st = (await gqlAt(svc.url, STUDY, { id })).study;
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(st.state) && st;
    }, 6 * 3_600_000, 500);
    const wall = performance.now() - t0;
    if (done.state !== 'SUCCEEDED') {
      const failed = await gqlAt(svc.url, `query($id: ID!) { study(id: $id) { explanations(first: 100) { edges { node { id status method attempts model { name } error { code message } } } } } }`, { id });
      console.log(JSON.stringify(failed.study.explanations.edges.map((e: any) => e.node).filter((e: any) => e.status !== 'SUCCEEDED'), null, 1));
    }
    assert.equal(done.state, 'SUCCEEDED', JSON.stringify(done.cells.map((c: any) => c.state)));
    const cellIds = done.cells.map((c: any) => c.explanation.id);
    assert.equal(new Set(cellIds).size, cellCount, 'one explanation per cell');
    const filed = (await gqlAt(svc.url, `query($id: ID!) { study(id: $id) { explanations(first: 100) { edges { node { id status attempts method durationMs finishedAt model { name } } } } } }`, { id })).study.explanations.edges.map((e: any) => e.node);
    assert.deepEqual(filed.map((e: any) => e.id).sort(), [...cellIds].sort(), 'no cell was queued twice');
    assert.ok(filed.every((e: any) => e.status === 'SUCCEEDED'));
    const rerun = filed.filter((e: any) => e.attempts > 1).length;
    console.log(`  restarted in ${s(restartMs)}; finished ${done.state}: ${cellCount} cells, ${cellCount} explanations, ${rerun} interrupted cell(s) run again, wall ${s(wall)}`);

    const perCell = new Map<string, number[]>();
    for (const e of filed) perCell.set(`${e.model.name} ${e.method}`, [...(perCell.get(`${e.model.name} ${e.method}`) ?? []), e.durationMs]);
    let sum = 0;
    for (const [k, v] of perCell) {
      const total = v.reduce((a, b) => a + b, 0);
      sum += total;
      console.log(`  cell time ${k.padEnd(32)} mean ${s(total / v.length).padStart(8)}, total ${s(total).padStart(8)} (${v.length} cells)`);
    }
    console.log(`  sum of the cells' own run times ${s(sum)} (includes the rerun's last attempt only); study wall ${s(wall)} incl. the restart`);
    // The finishing step (predictions and the report's comparisons stored) runs after the last cell.
    const lastCell = Math.max(...filed.map((e: any) => new Date(e.finishedAt).getTime()));
    const step = svc.p.output().match(/study \S+: predictions and comparisons stored in (\d+) ms/);
    console.log(`  finishing step: study finished ${((new Date(done.finishedAt).getTime() - lastCell) / 1000).toFixed(2)} s after its last cell (the step itself: ${step ? `${step[1]} ms` : 'not in this process'})`);

    const t1 = performance.now();
    const built = await gqlAt(svc.url, `mutation($id: ID!) { buildStudyReport(id: $id) { ... on BuildStudyReportSuccess { data { sha256 } } ... on Error { code message } } }`, { id });
    const firstBuild = performance.now() - t1;
    const rebuilds = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const again = await gqlAt(svc.url, `mutation($id: ID!) { buildStudyReport(id: $id) { ... on BuildStudyReportSuccess { data { sha256 } } } }`, { id });
      rebuilds.push(performance.now() - t);
      assert.equal(again.buildStudyReport.data.sha256, built.buildStudyReport.data.sha256, 'identical bytes when rebuilt');
    }
    console.log(`  report: first build ${firstBuild.toFixed(0)} ms, rebuild median ${rebuilds.sort((a, b) => a - b)[1].toFixed(0)} ms (issue: ≤ 2 s), identical bytes`);

    // The archive over /files, then the IoU tables recomputed from the raw maps and segments.
    const report = (await gqlAt(svc.url, `query($id: ID!) { study(id: $id) { report { url sha256 } } }`, { id })).study.report;
    const zip = Buffer.from(await (await fetch(svc.url + report.url)).arrayBuffer());
    assert.equal(createHash('sha256').update(zip).digest('hex'), report.sha256);
    const checked = await checkReportAgreement((q, v) => gqlAt(svc.url, q, v), id, zip, async (url) => {
      const res = await fetch(svc.url + url);
      assert.equal(res.status, 200, url);
      return Buffer.from(await res.arrayBuffer());
    });
    for (const t of checked.tables) {
      console.log(`  IoU ${t.label.padEnd(40)} ${t.modelId === models[0].id ? models[0].name : models[1].name}: mean ${t.iouMean?.toFixed(4)} over ${t.rows} photos (recomputed to 1e-9)`);
    }
    console.log(`  ${checked.tables.length} tables recomputed from ${checked.downloads} raw maps/segments over /files`);
  } finally {
    await svc.p.kill();
  }
}
