// The done-when study driven through the portal in headless Chromium against a really started
// service (`npm start` as a child process, SQLite in a fresh data folder): 10 shared photos ×
// MobileNetV2 and a torchvision export × Grad-CAM, LIME (5 features) and Partition SHAP, created with
// the Studies form, watched until it finishes, its report downloaded and checked against the API.
// CPU heavy (60 cells, LIME 1,000 samples, Partition SHAP 500 evaluations): not part of `npm test`.
//
//   node --import tsx scripts/portal-study.ts [--seed N] [--photos 10] [--out DIR] [--deadline 2026-12-02T14:38:00Z]
//
// Needs ../shared and $XAI_TORCHVISION_DIR/resnet50-random.onnx (default ~/.cache/xai-models). On the
// deadline it presses Cancel study and reports how far it got (exit 1).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const root = path.resolve(import.meta.dirname, '..');
const shared = path.resolve(root, '../shared');
const torchvision = process.env.XAI_TORCHVISION_DIR ?? path.join(os.homedir(), '.cache', 'xai-models');
const { values: opt } = parseArgs({ options: { seed: { type: 'string', default: '12' }, photos: { type: 'string', default: '10' }, out: { type: 'string', default: 'test-artifacts/portal-study' }, deadline: { type: 'string' } } });
const deadline = opt.deadline ? Date.parse(opt.deadline) : Infinity;
const out = path.resolve(root, opt.out!);
mkdirSync(out, { recursive: true });
const log = (s: string) => {
  const line = `${new Date().toISOString()} ${s}`;
  console.log(line);
  writeFileSync(path.join(out, 'log.txt'), `${line}\n`, { flag: 'a' });
};

/** The first photos of ../shared/images by name (--photos of them; the study has 10). */
const PHOTOS = ['agama', 'basketball', 'bittern', 'bonnet', 'cabbage', 'cat_mouse', 'coral', 'dowitcher', 'electronics', 'frog'].slice(0, Number(opt.photos)).map((n) => `${n}.jpg`);
const CELLS = PHOTOS.length * 2 * 3;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const data = mkdtempSync(path.join(os.tmpdir(), 'xai-portal-study-'));
const models = path.join(data, 'models');
mkdirSync(models);
// Copies in a temporary models folder (the service refuses links out of XAI_MODELS_DIR).
copyFileSync(path.join(shared, 'models', 'mobilenetv2-float.onnx'), path.join(models, 'mobilenetv2-float.onnx'));
copyFileSync(path.join(shared, 'models', 'imagenet_class_index.json'), path.join(models, 'imagenet_class_index.json'));
copyFileSync(path.join(torchvision, 'resnet50-random.onnx'), path.join(models, 'resnet50-random.onnx'));
const port = await freePort();
const service = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: root, env: { ...process.env, PORT: String(port), XAI_DATA_DIR: data, XAI_MODELS_DIR: models }, stdio: ['ignore', 'pipe', 'pipe'] });
let serviceOut = '';
service.stdout.on('data', (b) => (serviceOut += b));
service.stderr.on('data', (b) => (serviceOut += b));
const url = `http://127.0.0.1:${port}`;
for (;;) {
  if (/listening on/.test(serviceOut)) break;
  if (service.exitCode !== null) throw new Error(`service exited: ${serviceOut}`);
  await new Promise((r) => setTimeout(r, 200));
}
log(`service pid ${service.pid} at ${url}, data ${data}`);
process.on('exit', () => service.kill('SIGTERM'));
const gql = async (query: string, variables: Record<string, unknown> = {}) => {
  const r = (await (await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) })).json()) as { data: any; errors?: unknown };
  if (r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data;
};
const REGISTER = `mutation($input: RegisterModelInput!) { registerModel(input: $input) { __typename ... on RegisterModelSuccess { data { id name } } ... on Error { message } } }`;
for (const [name, file] of [
  ['mobilenetv2', 'mobilenetv2-float.onnx'],
  ['resnet50-random', 'resnet50-random.onnx'],
]) {
  const r = await gql(REGISTER, { input: { name, path: file, labelsPath: 'imagenet_class_index.json' } });
  if (r.registerModel.__typename !== 'RegisterModelSuccess') throw new Error(JSON.stringify(r));
  log(`registered ${name}`);
}

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
  const s = (await gql(`query($id: ID!) { study(id: $id) { state progress { cellsDone cellsFailed cellsTotal } startedAt finishedAt report { sha256 byteSize } cells { state } } }`, { id })).study;
  log(`study ${s.state}: ${s.progress.cellsDone}/${s.progress.cellsTotal} done, ${s.progress.cellsFailed} failed; wall ${((Date.now() - started) / 1000).toFixed(0)} s`);
  await page.screenshot({ path: path.join(out, '02-finished.png'), fullPage: true });
  if (s.state === 'SUCCEEDED') {
    const link = page.getByTestId('report-download');
    await link.waitFor({ timeout: 120_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const bytes = readFileSync((await download.path())!);
    const sha = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(path.join(out, 'report.zip'), bytes);
    log(`report downloaded: ${bytes.byteLength} bytes, sha256 ${sha} (API: ${s.report.byteSize} bytes, ${s.report.sha256}) ${sha === s.report.sha256 ? 'equal' : 'DIFFERENT'}`);
    if (sha === s.report.sha256 && !errors.length) code = 0;
  }
  if (errors.length) log(`page errors: ${errors.join(' | ')}`);
} finally {
  await context.close();
  service.kill('SIGTERM');
  if (service.exitCode === null) await new Promise((r) => service.once('exit', r));
  rmSync(profile, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
}
process.exit(code);
