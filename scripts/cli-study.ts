// The done-when study run with the CLI (`npm run study -- …`, as a child process) against a
// really started service (done-when-service.ts): 10 shared photos × MobileNetV2 and the torchvision
// ResNet-50 export × Grad-CAM, LIME (1,000 samples, 5 features) and Partition SHAP (500 evaluations).
// When the CLI has written the study to its folder, the folder's report.zip is checked against the
// API and its IoU tables recomputed from the raw maps and segments the CLI downloaded into that folder
// (test/support/agreement-recompute.ts). CPU heavy: not part of `npm test`.
//
//   node --import tsx scripts/cli-study.ts [--seed N] [--photos 10] [--out DIR]   (smaller only to try it out: --lime-samples 1000 --shap-evals 500)
//
// Needs ../shared and $XAI_TORCHVISION_DIR/resnet50-random.onnx (default ~/.cache/xai-models).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DONE_MODELS, donePhotos, logTo, root, shared, startDoneWhenService } from './done-when-service.js';

const { values: opt } = parseArgs({ options: { seed: { type: 'string', default: '13' }, photos: { type: 'string', default: '10' }, out: { type: 'string', default: 'test-artifacts/cli-study' }, 'lime-samples': { type: 'string', default: '1000' }, 'shap-evals': { type: 'string', default: '500' } } });
const out = path.resolve(root, opt.out!);
const log = logTo(out);
const images = path.join(out, 'images');
mkdirSync(images, { recursive: true });
for (const p of donePhotos(Number(opt.photos))) copyFileSync(path.join(shared, 'images', p), path.join(images, p));

const service = await startDoneWhenService(log);
let code = 1;
try {
  const results = path.join(out, 'study');
  const args = ['--import', 'tsx', 'client/cli/study.ts', '--name', 'done-when from the CLI', '--images', images, '--models', DONE_MODELS.join(','),
    '--methods', `GRAD_CAM,LIME:numSamples=${opt['lime-samples']}:numFeatures=5:label=LIME (5 features),PARTITION_SHAP:maxEvals=${opt['shap-evals']}`, '--seed', opt.seed!, '--out', results, '--url', `${service.url}/graphql`];
  log(`npm run study -- ${args.slice(3).join(' ')}`);
  const t0 = performance.now();
  const cli = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  cli.stdout.on('data', (b) => {
    process.stdout.write(b);
    tail += b;
  });
  // The progress bar redraws with \r: log the lines, not every redraw.
  cli.stderr.on('data', (b: Buffer) => {
    for (const line of b.toString().split('\n').slice(0, -1)) log(`cli: ${line.split('\r').at(-1)}`);
  });
  const exit = await new Promise<number>((r) => cli.once('exit', (c) => r(c ?? 1)));
  const wall = performance.now() - t0;
  log(`CLI exit ${exit} after ${(wall / 1000).toFixed(1)} s: ${tail.trim().split('\n').join(' | ')}`);
  if (exit === 0) {
    const written = JSON.parse(readFileSync(path.join(results, 'study-cells.json'), 'utf8'));
    // The raw maps and segments from the CLI's folder, by the URL each was listed under.
    const files = new Map<string, string>();
    for (const c of written.cells) for (const a of c.explanation?.artifacts ?? []) files.set(new URL(a.url).pathname + new URL(a.url).search, a.file);
    const fromFolder = async (url: string) => {
      const file = files.get(url);
      if (!file) throw new Error(`${url} is not in the CLI's folder`);
      return readFileSync(path.join(results, file));
    };
    const checked = await service.checkAgreement(written.id, readFileSync(path.join(results, 'report.zip')), fromFolder);
    for (const t of checked.tables) log(`IoU ${t.label} (${t.modelId}): mean ${t.iouMean?.toFixed(4)} over ${t.rows} photos, recomputed to 1e-9`);
    log(`${checked.tables.length} tables recomputed from ${checked.downloads} raw maps/segments read from ${results}`);
    const s = (await service.gql(`query($id: ID!) { study(id: $id) { startedAt finishedAt } }`, { id: written.id })).study;
    await service.logTimes(written.id, Date.parse(s.finishedAt) - Date.parse(s.startedAt));
    code = 0;
  }
} finally {
  await service.stop();
}
process.exit(code);
