// `npm run study` end to end, as a child process against a real service: a folder of images × a model
// × methods (LIME twice with different features) as one study, progress lines, the folder it writes
// (study-cells.json and every cell's artifacts, PNGs decoding), exit codes for bad usage and API errors,
// and Ctrl-C: by default it cancels the study on the server (exit 1); with --no-cancel-on-interrupt the
// CLI leaves (exit 130) and the study runs on.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { readZip } from '../../client/cli/unzip.ts';
import { startTestService, type TestService } from '../support/service.js';
import { tmpDir } from '../support/tmp.js';
import { WebSocket } from 'ws';
import { createXaiClient } from '../../client/sdk/index.ts';
import { waitUntil } from '../jobs/support.ts';
import { demoImage, drainWorker, runCli } from './helpers.ts';

describe('npm run study (client/cli/study.ts) against a real service', () => {
  let svc: TestService;
  let work: string;
  const url = () => `${svc.url}/graphql`;
  const study = (args: string[], cwd = work) => runCli(['--url', url(), ...args], { cwd, script: 'study' });
  const studyState = async (id: string) => (await svc.gql(`query($id: ID!) { study(id: $id) { state progress { cellsDone cellsCancelled cellsTotal } cells { state explanation { status } } } }`, { id })).data.study;
  /** The progress bar's first line of a running study (stderr is not a TTY: a line per state change). */
  const RUNNING_LINE = /^RUNNING +cells +\[/m;

  before(async () => {
    svc = await startTestService({ jobs: true });
    work = tmpDir('xai-study-cli-');
    mkdirSync(path.join(work, 'photos'));
    for (const name of ['red-square', 'blue-triangle']) writeFileSync(path.join(work, 'photos', `${name}.png`), (await demoImage(name)).png);
    writeFileSync(path.join(work, 'photos', 'notes.txt'), 'not an image');
  });
  after(async () => svc?.close());

  test('a folder × a model × three methods: progress, the study finishes, its results are written', async () => {
    const r = await study(['--name', 'cli shapes', '--description', 'from the CLI', '--images', 'photos', '--models', 'demo-shapes', '--methods', 'grad-cam:faithfulness.steps=10,LIME:numSamples=150:numFeatures=3:label=LIME 3,LIME:numSamples=150:numFeatures=5', '--seed', '3', '--out', 'report']).exit;
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    const id = /^study (\S+) \(cli shapes\): 2 images × 1 model × 3 methods = 6 cells/m.exec(r.stderr)?.[1];
    assert.ok(id, r.stderr);

    // Not a TTY: a line per 10 % and per state change, the last one the finished study.
    assert.doesNotMatch(r.stderr, /\r/);
    const lines = r.stderr.split('\n').filter((l) => /^(QUEUED|RUNNING|SUCCEEDED)/.test(l));
    assert.ok(lines.length >= 2 && lines.length <= 16, lines.join('\n'));
    assert.match(lines.at(-1)!, /^SUCCEEDED .*100% +6\/6/);
    assert.match(r.stdout, /Study cli shapes: SUCCEEDED, 6\/6 cells done/);

    const api = (await svc.gql(`query($id: ID!) { study(id: $id) { name description seed state methods { key method label parameters } cells { methodKey state image { originalName } explanation { id method faithfulness { steps } artifacts { name byteSize mediaType } } } } }`, { id })).data.study;
    assert.equal(api.state, 'SUCCEEDED');
    assert.equal(api.description, 'from the CLI');
    assert.equal(api.seed, 3);
    assert.deepEqual(api.methods.map((m: any) => [m.method, m.parameters.lime?.numFeatures ?? null]), [['GRAD_CAM', null], ['LIME', 3], ['LIME', 5]]);
    assert.equal(api.methods[1].label, 'LIME 3');
    for (const c of api.cells) assert.deepEqual(c.explanation.faithfulness.map((f: any) => f.steps), c.explanation.method === 'GRAD_CAM' ? [10] : [], `curves of ${c.methodKey}`);

    const dir = path.join(work, 'report');
    const saved = JSON.parse(readFileSync(path.join(dir, 'study-cells.json'), 'utf8'));
    assert.equal(saved.id, id);
    assert.deepEqual(saved.images.map((i: any) => [i.folder, i.image.originalName]), [['1-blue-triangle.png', 'blue-triangle.png'], ['2-red-square.png', 'red-square.png']]);
    assert.equal(saved.cells.length, 6);
    let pngs = 0;
    for (const cell of api.cells) {
      const mine = saved.cells.find((c: any) => c.explanation?.id === cell.explanation.id);
      assert.ok(mine, `cell ${cell.methodKey} of ${cell.image.originalName} in study-cells.json`);
      assert.equal(mine.state, 'SUCCEEDED');
      assert.deepEqual(mine.explanation.artifacts.map((a: any) => a.name).sort(), cell.explanation.artifacts.map((a: any) => a.name).sort());
      for (const a of mine.explanation.artifacts) {
        const file = path.join(dir, a.file);
        assert.ok(file.startsWith(path.join(dir, 'cells')) && existsSync(file), a.file);
        assert.equal(readFileSync(file).byteLength, a.byteSize, a.file);
        if (a.mediaType === 'image/png') {
          await sharp(file).raw().toBuffer(); // decodes completely
          pngs++;
        }
      }
    }
    assert.ok(pngs >= 6, `${pngs} PNGs`);

    // The report archive, saved and unpacked.
    const report = (await svc.gql(`query($id: ID!) { study(id: $id) { report { sha256 byteSize } } }`, { id })).data.study.report;
    const zip = readFileSync(path.join(dir, 'report.zip'));
    assert.equal(zip.byteLength, report.byteSize);
    assert.equal(createHash('sha256').update(zip).digest('hex'), report.sha256);
    for (const e of readZip(zip)) assert.deepEqual(readFileSync(path.join(dir, ...e.name.split('/'))), e.bytes, e.name);
    assert.ok(existsSync(path.join(dir, 'report.html')));
    assert.match(r.stdout, /Report: .*report\.html/);
  });

  test('Ctrl-C once the progress bar runs: the study is cancelled on the server, exit code 1', async () => {
    const run = study(['--name', 'interrupted', '--images', 'photos', '--models', 'demo-shapes', '--methods', 'LIME:numSamples=20000:batchSize=10', '--out', 'interrupted']);
    await run.waitFor(RUNNING_LINE);
    run.child.kill('SIGINT');
    const r = await run.exit;
    assert.equal(r.code, 1, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.match(r.stderr, /interrupted: cancelling the study \(Ctrl-C again to quit without waiting\)/);
    const id = /^study (\S+) \(interrupted\)/m.exec(r.stderr)![1];
    // Why it exits 1, with the cancelled cells counted: on the last progress line, in the summary and in the message.
    assert.match(r.stderr, /^CANCELLED +2 cancelled +\[/m);
    assert.match(r.stdout, /^Study interrupted: CANCELLED, 0\/2 cells done, 2 cancelled$/m);
    assert.match(r.stderr, new RegExp(`^study ${id.replace(/[=+/]/g, '\\$&')} was cancelled \\(Ctrl-C\\): 2 of 2 cells cancelled, 0 done \\(retryStudy, or Retry study in the portal, runs them\\)$`, 'm'));
    const s = await studyState(id);
    assert.equal(s.state, 'CANCELLED');
    assert.deepEqual(s.progress, { cellsDone: 0, cellsCancelled: 2, cellsTotal: 2 });
    assert.deepEqual(s.cells.map((c: any) => [c.state, c.explanation?.status ?? null]), [['CANCELLED', 'CANCELLED'], ['CANCELLED', 'CANCELLED']]);

    const xai = createXaiClient({ url: url(), WebSocket });
    const model = (await xai.modelByName('demo-shapes'))!;
    const image = (await xai.images({ first: 1, filter: { format: 'png' } })).edges[0].node;
    await drainWorker(xai, image.id, model.id);
    await xai.dispose();
  });

  test('Ctrl-C with --no-cancel-on-interrupt: the CLI exits 130 and the study runs on to the end', async () => {
    const run = study(['--name', 'detached', '--images', 'photos', '--models', 'demo-shapes', '--methods', 'LIME:numSamples=1200:batchSize=10', '--no-cancel-on-interrupt', '--out', 'detached']);
    await run.waitFor(RUNNING_LINE);
    run.child.kill('SIGINT');
    const r = await run.exit;
    assert.equal(r.code, 130, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    const id = /^study (\S+) \(detached\)/m.exec(r.stderr)![1];
    assert.match(r.stderr, new RegExp(`interrupted: study ${id.replace(/[=+/]/g, '\\$&')} keeps running on the server`));
    const done = await waitUntil(async () => {
      const s = await studyState(id);
      return s.state !== 'RUNNING' && s.state !== 'QUEUED' && s;
    }, 240_000, 200);
    assert.equal(done.state, 'SUCCEEDED');
    assert.ok(done.cells.every((c: any) => c.state === 'SUCCEEDED'));
  });

  test('ground truth from ImageNet-style file names, by the service\'s rule, sent only where the stored name differs; a per-method target', async () => {
    const dir = path.join(work, 'truth');
    mkdirSync(dir);
    // Pictures no earlier test uploaded (uploads are content-addressed), and the red square's bytes,
    // stored already as red-square.png, under a synset name: the service cannot read that one itself.
    const disc = (fill: string) => sharp(Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="#888"/><circle cx="32" cy="32" r="20" fill="${fill}"/></svg>`)).png().toBuffer();
    writeFileSync(path.join(dir, 'n02010272_1613.png'), await disc('#2a8'));
    writeFileSync(path.join(dir, 'sim_n01642257_3703.png'), await disc('#a28'));
    writeFileSync(path.join(dir, 'plain.png'), await disc('#82a'));
    // (`sim_` in front: a name the CLI's own earlier pattern, anchored at the start, did not read.)
    writeFileSync(path.join(dir, 'sim_n01530575_7.png'), (await demoImage('red-square')).png);
    const r = await study(['--name', 'truth', '--images', 'truth', '--models', 'demo-shapes', '--methods', 'grad-cam:target=top2', '--out', 'truth-out']).exit;
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    assert.match(r.stderr, /4 images × 1 model × 1 method = 4 cells; ground truth from file names for 3/);
    const id = /^study (\S+) \(truth\)/m.exec(r.stderr)![1];
    const api = (await svc.gql(`query($id: ID!) { study(id: $id) { images { position image { id originalName } groundTruth { synset } } predictions { image { id } groundTruth { synset source } } methods { target } cells { explanation { targetClasses } } } }`, { id })).data.study;
    // The method's target as given on the command line: every cell explains the two most probable classes.
    assert.deepEqual(api.methods.map((m: any) => m.target), [{ topK: 2 }]);
    assert.deepEqual(api.cells.map((c: any) => c.explanation.targetClasses.length), [2, 2, 2, 2]);
    const truthOf = new Map(api.predictions.map((p: any) => [p.image.id, p.groundTruth]));
    // Rows in file-name order; what the study was given, then what its predictions table uses.
    assert.deepEqual(
      [...api.images].sort((a: any, b: any) => a.position - b.position).map((i: any) => [i.image.originalName, i.groundTruth?.synset ?? null, truthOf.get(i.image.id)]),
      [
        ['n02010272_1613.png', null, { synset: 'n02010272', source: 'FILE_NAME' }],
        ['plain.png', null, null],
        ['red-square.png', 'n01530575', { synset: 'n01530575', source: 'INPUT' }],
        ['sim_n01642257_3703.png', null, { synset: 'n01642257', source: 'FILE_NAME' }],
      ],
    );
  });

  test('bad usage, a missing folder, an empty folder, an unknown model, a corrupt image and refused parameters: exit code 2 with a clear message', async () => {
    const ok = ['--name', 'x', '--images', 'photos', '--models', 'demo-shapes', '--methods', 'grad-cam'];
    const cases: [string[], RegExp][] = [
      [ok.slice(2), /xai study: --name NAME is required/],
      [[...ok.slice(0, -1), 'shapley'], /unknown method "shapley"/],
      [['--name', 'x', '--images', 'nowhere', '--models', 'demo-shapes', '--methods', 'grad-cam'], /cannot read the folder .*nowhere: ENOENT/],
      [['--name', 'x', '--images', '.', '--models', 'demo-shapes', '--methods', 'grad-cam'], /no images .* in /],
      [['--name', 'x', '--images', 'photos', '--models', 'resnet-9000', '--methods', 'grad-cam'], /xai study: NOT_FOUND: no model named "resnet-9000"/],
      // The file the service refuses is named, and nothing is created.
      [['--name', 'x', '--images', 'corrupt', '--models', 'demo-shapes', '--methods', 'grad-cam'], /^xai study: INVALID_IMAGE: broken\.jpg: /m],
      // Parameters the API refuses: its typed error, before anything runs.
      [['--name', 'x', '--images', 'photos', '--models', 'demo-shapes', '--methods', 'LIME:numFeatures=0'], /^xai study: INVALID_ARGUMENT: lime\.numFeatures must be an integer between 1 and 100000, got 0$/m],
    ];
    mkdirSync(path.join(work, 'corrupt'), { recursive: true });
    writeFileSync(path.join(work, 'corrupt', 'a-fine.png'), (await demoImage('red-square')).png);
    writeFileSync(path.join(work, 'corrupt', 'broken.jpg'), 'not a JPEG at all');
    mkdirSync(path.join(work, 'empty'), { recursive: true });
    for (const [args, pattern] of cases) {
      const r = await study(args, args.includes('.') ? path.join(work, 'empty') : work).exit;
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /at \w+ \(/, 'no stack trace');
    }
  });
});
