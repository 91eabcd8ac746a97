// The done-when study driven through the portal in headless Chromium against a really started
// service (`npm start` as a child process, SQLite in a fresh data folder): 10 shared photos ×
// MobileNetV2 and a torchvision export × Grad-CAM, LIME (5 features) and Partition SHAP, created with
// the Studies form, watched until it finishes, its report downloaded and checked against the API, its
// IoU tables recomputed from the raw maps and segments (test/support/agreement-recompute.ts).
// CPU heavy (60 cells, LIME 1,000 samples, Partition SHAP 500 evaluations): not part of `npm test`.
//
//   node --import tsx scripts/portal-study.ts [--seed N] [--photos 10] [--out DIR] [--deadline 2026-12-02T14:38:00Z]
//
// Needs ../shared and $XAI_TORCHVISION_DIR/resnet50-random.onnx (default ~/.cache/xai-models). On the
// deadline it presses Cancel study and reports how far it got (exit 1). With --alone, after the study
// the same cells run again one request at a time (seed + 1, so nothing is reused), each waited for: the
// issue's "study ≤ 1.1× the sum of its cells run alone", measured in the same run on the same service.
// --keep leaves the service's data folder in place (its path is logged), e.g. for `npm run bench
// study-report` with BENCH_STUDY_DATA_DIR.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { donePhotos, logTo, root, shared, startDoneWhenService } from './done-when-service.js';

const { values: opt } = parseArgs({ options: { seed: { type: 'string', default: '12' }, photos: { type: 'string', default: '10' }, out: { type: 'string', default: 'test-artifacts/portal-study' }, deadline: { type: 'string' }, alone: { type: 'boolean', default: false }, keep: { type: 'boolean', default: false } } });
const deadline = opt.deadline ? Date.parse(opt.deadline) : Infinity;
const out = path.resolve(root, opt.out!);
const log = logTo(out);
const PHOTOS = donePhotos(Number(opt.photos));
const CELLS = PHOTOS.length * 2 * 3;

const service = await startDoneWhenService(log, { keep: opt.keep });
const { url, gql } = service;

const profile = mkdtempSync(path.join(os.tmpdir(), 'xai-portal-study-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  viewport: { width: 1400, height: 1000 },
  acceptDownloads: true,
});
let code = 1;
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}/`);
  await page.getByText('Open local mode: no key needed').waitFor();
  // Uploaded with the gallery's file input, as a person would.
  await page.setInputFiles('#file-input', PHOTOS.map((p) => path.join(shared, 'images', p)));
  for (const p of PHOTOS) await page.getByRole('heading', { name: p, exact: true }).waitFor({ timeout: 120_000 });
  log(`${PHOTOS.length} photos uploaded through the portal`);

  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Studies' }).click();
  const form = page.locator('section[aria-labelledby="new-study-h"]');
  await form.waitFor();
  await form.getByLabel('Name').fill('done-when from the portal');
  await form.getByLabel('Description').fill(`${PHOTOS.length} shared photos × MobileNetV2 + ResNet-50 (random weights) × Grad-CAM, LIME 5 features, Partition SHAP`);
  await form.getByLabel('Seed').fill(opt.seed!);
  await form.getByRole('button', { name: 'Select none' }).click();
  for (const p of PHOTOS) await form.getByRole('checkbox', { name: p, exact: true }).check();
  for (const m of await form.locator('fieldset', { hasText: 'Models' }).getByRole('checkbox').all()) await m.uncheck();
  await form.getByRole('checkbox', { name: /^mobilenetv2/ }).check();
  await form.getByRole('checkbox', { name: /^resnet50-random/ }).check();
  const rows = form.getByTestId('study-method');
  await form.getByRole('button', { name: 'Add a method' }).click();
  await rows.nth(1).getByLabel('LIME features').fill('5');
  await form.getByRole('button', { name: 'Add a method' }).click();
  await rows.nth(2).getByLabel('Method', { exact: true }).selectOption('PARTITION_SHAP');
  await form.getByText(`${CELLS} cell${CELLS === 1 ? '' : 's'}:`).waitFor();
  await page.screenshot({ path: path.join(out, '01-form.png'), fullPage: true });
  await form.getByRole('button', { name: 'Create study' }).click();
  await page.getByRole('heading', { name: 'Study: done-when from the portal' }).waitFor({ timeout: 60_000 });
  const id = decodeURIComponent(/#\/study\/(.+)$/.exec(page.url())![1]);
  const started = Date.now();
  log(`study ${id} created from the form (seed ${opt.seed})`);

  const progress = page.getByTestId('study-progress-text').first();
  let last = '';
  for (;;) {
    const state = await page.getByTestId('study-state').innerText();
    const text = await progress.innerText();
    // A line per cell finished.
    if (text.split(' · ')[1] !== last.split(' · ')[1]) log(`${state}: ${text}`);
    last = text;
    if (['Done', 'Failed', 'Cancelled'].includes(state)) break;
    if (Date.now() > deadline) {
      log(`deadline reached: pressing Cancel study at ${text}`);
      await page.getByRole('button', { name: 'Cancel study' }).click();
      await page.getByTestId('study-state').getByText('Cancelled').waitFor({ timeout: 120_000 });
      break;
    }
    await page.waitForTimeout(5000);
  }
  const studyWallMs = Date.now() - started;
  const s = (await gql(`query($id: ID!) { study(id: $id) { state progress { cellsDone cellsFailed cellsTotal } startedAt finishedAt report { sha256 byteSize } cells { state } } }`, { id })).study;
  log(`study ${s.state}: ${s.progress.cellsDone}/${s.progress.cellsTotal} done, ${s.progress.cellsFailed} failed; wall ${(studyWallMs / 1000).toFixed(0)} s`);
  await page.screenshot({ path: path.join(out, '02-finished.png'), fullPage: true });
  if (s.state === 'SUCCEEDED') {
    const link = page.getByTestId('report-download');
    await link.waitFor({ timeout: 120_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const bytes = readFileSync((await download.path())!);
    const sha = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(path.join(out, 'report.zip'), bytes);
    log(`report downloaded: ${bytes.byteLength} bytes, sha256 ${sha} (API: ${s.report.byteSize} bytes, ${s.report.sha256}) ${sha === s.report.sha256 ? 'equal' : 'DIFFERENT'}`);
    // The downloaded archive's IoU tables, recomputed from the raw maps and segments over /files.
    const checked = await service.checkAgreement(id, bytes);
    for (const t of checked.tables) log(`IoU ${t.label} (${t.modelId}): mean ${t.iouMean?.toFixed(4)} over ${t.rows} photos, recomputed to 1e-9`);
    log(`${checked.tables.length} tables recomputed from ${checked.downloads} raw maps/segments`);
    await service.logTimes(id, Date.parse(s.finishedAt) - Date.parse(s.startedAt));
    if (sha === s.report.sha256 && !errors.length) code = 0;
    if (opt.alone) await runCellsAlone(id, studyWallMs);
  }
  if (errors.length) log(`page errors: ${errors.join(' | ')}`);
} finally {
  await context.close();
  await service.stop();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(code);

/** The study's cells again, one request at a time with seed + 1, each waited for; logs the ratio. */
async function runCellsAlone(studyId: string, studyWallMs: number): Promise<void> {
  const q = `query($id: ID!) { study(id: $id) { seed methods { key method parameters target } cells { position methodKey image { id } model { id name } } } }`;
  const st = (await gql(q, { id: studyId })).study;
  const methods = new Map<string, { method: string; parameters: unknown; target: unknown }>(st.methods.map((m: any) => [m.key, m]));
  const REQUEST = `mutation($input: RequestExplanationInput!) { requestExplanation(input: $input) { ... on RequestExplanationSuccess { data { id } } ... on Error { code message } } }`;
  const STATUS = `query($id: ID!) { explanation(id: $id) { status error { message } } }`;
  const byColumn = new Map<string, number>();
  let alone = 0;
  for (const cell of [...st.cells].sort((a: any, b: any) => a.position - b.position)) {
    const m = methods.get(cell.methodKey)!;
    const t0 = performance.now();
    const input = { image: cell.image.id, model: cell.model.id, method: m.method, parameters: m.parameters, ...(m.target ? { target: m.target } : {}), seed: st.seed + 1 };
    const r = (await gql(REQUEST, { input })).requestExplanation;
    if (!r.data) throw new Error(`requesting a cell alone: ${JSON.stringify(r)}`);
    for (;;) {
      const e = (await gql(STATUS, { id: r.data.id })).explanation;
      if (e.status === 'SUCCEEDED') break;
      if (e.status === 'FAILED' || e.status === 'CANCELLED') throw new Error(`cell alone ${e.status}: ${JSON.stringify(e.error)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
    const ms = performance.now() - t0;
    alone += ms;
    const column = `${cell.model.name} ${cell.methodKey}`;
    byColumn.set(column, (byColumn.get(column) ?? 0) + ms);
  }
  for (const [k, ms] of byColumn) log(`alone: ${k} total ${(ms / 1000).toFixed(1)} s`);
  log(`${st.cells.length} cells run alone: sum ${(alone / 1000).toFixed(1)} s; the study from the portal ${(studyWallMs / 1000).toFixed(1)} s; ratio ${(studyWallMs / alone).toFixed(3)} (issue: ≤ 1.1)`);
}
