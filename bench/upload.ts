// Memory of a large model upload (VGG16, 527 MiB) into a service running as its own process, read from
// the kernel's peak-RSS counter (/proc/<pid>/status VmHWM, reset through clear_refs before each step):
//   1. the upload alone: the same file sent under a name that already exists, so it is streamed to
//      disk, hashed, and refused with CONFLICT before anything loads it;
//   2. the whole registration: upload, inspection without weights, onnxruntime session, store.
// The floor for step 2 is a bare onnxruntime session created from the same file in a fresh process.
import { spawn } from 'node:child_process';
import { openAsBlob, readFileSync, statSync, writeFileSync } from 'node:fs';
import { REGISTER_MODEL } from '../test/api/operations.js';
import { spawnScript } from '../test/support/processes.js';
import { tmpDir } from '../test/support/tmp.js';
import { TORCHVISION_SKIP, torchvisionModel } from '../test/support/torchvision.js';
import { report } from './stats.js';

const MiB = 1024 * 1024;

function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Resets VmHWM to the current RSS (Linux: "5" in clear_refs). */
function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

async function upload(url: string, name: string, file: string): Promise<string> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: REGISTER_MODEL, variables: { input: { name, file: null } } }));
  form.append('map', JSON.stringify({ 0: ['variables.input.file'] }));
  form.append('0', await openAsBlob(file), 'vgg16.onnx');
  const res = await fetch(`${url}/graphql`, { method: 'POST', body: form });
  const body = (await res.json()) as any;
  return body.data?.registerModel?.__typename ?? JSON.stringify(body);
}

/** Peak RSS growth of creating one onnxruntime session from `file` in a fresh process. */
function sessionFloor(file: string): Promise<number> {
  const code = `
    const ort = require('onnxruntime-node');
    const fs = require('node:fs');
    const kb = (n) => Number(new RegExp('^' + n + ':\\\\s+(\\\\d+) kB', 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
    const before = kb('VmHWM');
    ort.InferenceSession.create(${JSON.stringify(file)}, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' })
      .then(() => console.log(kb('VmHWM') - before));`;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (c) => (c === 0 ? resolve(Number(out.trim())) : reject(new Error(`floor process exited with ${c}`))));
  });
}

export async function benchUpload() {
  const file = torchvisionModel('vgg16');
  if (!file) {
    console.log(`\nupload: skipped, ${TORCHVISION_SKIP}`);
    return;
  }
  const size = statSync(file).size;
  const svc = spawnScript('src/main.ts', { PORT: '0', XAI_DATA_DIR: tmpDir('xai-bench-upload-') });
  try {
    const url = (await svc.waitFor(/listening on (http:\/\/\S+)\/graphql/))[1];
    const pid = svc.proc.pid!;
    await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ viewer { role } }"}' });

    resetPeak(pid);
    const base1 = memory(pid);
    const refused = await upload(url, 'demo-shapes', file);
    const streamed = memory(pid);
    if (refused !== 'ConflictError') throw new Error(`expected ConflictError, got ${refused}`);

    resetPeak(pid);
    const base2 = memory(pid);
    const registered = await upload(url, 'vgg16', file);
    const done = memory(pid);
    if (registered !== 'RegisterModelSuccess') throw new Error(`registration failed: ${registered}`);

    const floor = await sessionFloor(file);
    report(`upload: VGG16 (${(size / MiB).toFixed(0)} MiB), server peak RSS growth in MiB`, [
      ['upload streamed to disk, then refused (CONFLICT)', (streamed.peak - base1.rss) / MiB],
      ['  as a fraction of the file size', (streamed.peak - base1.rss) / size],
      ['whole registration (upload + inspect + session)', (done.peak - base2.rss) / MiB],
      ['floor: bare onnxruntime session from the file', floor / MiB],
      ['  registration / floor', (done.peak - base2.rss) / floor],
    ]);
  } finally {
    await svc.kill();
  }
}
