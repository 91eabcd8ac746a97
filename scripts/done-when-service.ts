// What the done-when drivers (portal-study.ts, cli-study.ts) share: a really started service (`npm
// start`'s command as a child process, SQLite in a fresh data folder) with MobileNetV2 and the
// torchvision ResNet-50 export registered by path, the issue's ten shared photos, and the check of a
// finished study's report against its raw maps and segments (test/support/agreement-recompute.ts).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { checkReportAgreement } from '../test/support/agreement-recompute.js';

export const root = path.resolve(import.meta.dirname, '..');
export const shared = path.resolve(root, '../shared');
const torchvision = process.env.XAI_TORCHVISION_DIR ?? path.join(os.homedir(), '.cache', 'xai-models');

/** The first photos of ../shared/images by name (the issue's study has 10). */
export const donePhotos = (n: number) =>
  ['agama', 'basketball', 'bittern', 'bonnet', 'cabbage', 'cat_mouse', 'coral', 'dowitcher', 'electronics', 'frog'].slice(0, n).map((p) => `${p}.jpg`);

export const DONE_MODELS = ['mobilenetv2', 'resnet50-random'] as const;

/** A log function writing to stdout and `out/log.txt`, each line timed. */
export function logTo(out: string): (s: string) => void {
  mkdirSync(out, { recursive: true });
  return (s: string) => {
    const line = `${new Date().toISOString()} ${s}`;
    console.log(line);
    writeFileSync(path.join(out, 'log.txt'), `${line}\n`, { flag: 'a' });
  };
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface DoneWhenService {
  url: string;
  data: string;
  gql(query: string, variables?: Record<string, unknown>): Promise<any>;
  /** The study's report (over /files) against its comparisons, recomputed from `download`'s raw files. */
  checkAgreement(studyId: string, zip: Buffer, download?: (url: string) => Promise<Buffer>): ReturnType<typeof checkReportAgreement>;
  /** Logs the cells' own run times per model and method and their sum, and times a rebuild of the
   *  report (which must give the same bytes). */
  logTimes(studyId: string, wallMs: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startDoneWhenService(log: (s: string) => void, { keep = false } = {}): Promise<DoneWhenService> {
  const data = mkdtempSync(path.join(os.tmpdir(), 'xai-done-when-'));
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
  const onExit = () => service.kill('SIGTERM');
  process.on('exit', onExit);
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const r = (await (await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) })).json()) as { data: any; errors?: unknown };
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data;
  };
  const REGISTER = `mutation($input: RegisterModelInput!) { registerModel(input: $input) { __typename ... on RegisterModelSuccess { data { id name } } ... on Error { message } } }`;
  for (const [name, file] of [
    [DONE_MODELS[0], 'mobilenetv2-float.onnx'],
    [DONE_MODELS[1], 'resnet50-random.onnx'],
  ]) {
    const r = await gql(REGISTER, { input: { name, path: file, labelsPath: 'imagenet_class_index.json' } });
    if (r.registerModel.__typename !== 'RegisterModelSuccess') throw new Error(JSON.stringify(r));
    log(`registered ${name}`);
  }
  const overFiles = async (u: string) => {
    const res = await fetch(url + u);
    if (res.status !== 200) throw new Error(`HTTP ${res.status} for ${u}`);
    return Buffer.from(await res.arrayBuffer());
  };
  return {
    url,
    data,
    gql,
    checkAgreement: (studyId, zip, download = overFiles) => checkReportAgreement(gql, studyId, zip, download),
    async logTimes(studyId, wallMs) {
      const q = `query($id: ID!) { study(id: $id) { report { sha256 } explanations(first: 100) { edges { node { method durationMs attempts model { name } } } } } }`;
      const st = (await gql(q, { id: studyId })).study;
      const by = new Map<string, number[]>();
      for (const { node: e } of st.explanations.edges) by.set(`${e.model.name} ${e.method}`, [...(by.get(`${e.model.name} ${e.method}`) ?? []), e.durationMs]);
      let sum = 0;
      for (const [k, v] of by) {
        const total = v.reduce((a, b) => a + b, 0);
        sum += total;
        log(`cell time ${k}: mean ${(total / v.length / 1000).toFixed(1)} s, total ${(total / 1000).toFixed(1)} s (${v.length} cells)`);
      }
      log(`sum of the cells' own run times ${(sum / 1000).toFixed(1)} s; study wall ${(wallMs / 1000).toFixed(1)} s; ratio ${(wallMs / sum).toFixed(3)}`);
      const t = performance.now();
      const again = await gql(`mutation($id: ID!) { buildStudyReport(id: $id) { ... on BuildStudyReportSuccess { data { sha256 } } ... on Error { code message } } }`, { id: studyId });
      const ms = performance.now() - t;
      log(`report rebuild ${ms.toFixed(0)} ms, ${again.buildStudyReport.data?.sha256 === st.report?.sha256 ? 'identical bytes' : `DIFFERENT: ${JSON.stringify(again.buildStudyReport)}`}`);
    },
    async stop() {
      process.off('exit', onExit);
      service.kill('SIGTERM');
      if (service.exitCode === null) await new Promise((r) => service.once('exit', r));
      if (keep) log(`data folder kept: ${data}`);
      else rmSync(data, { recursive: true, force: true });
    },
  };
}
