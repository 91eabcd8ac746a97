// The CLI end to end, as a child process against a real service: files saved (PNGs decode), exit codes
// and messages for an unknown model, a corrupt image and bad usage, Ctrl-C cancelling the job.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { WebSocket } from 'ws';
import { startTestService, type TestService } from '../support/service.js';
import { tmpDir } from '../support/tmp.js';
import { createXaiClient } from '../../client/sdk/index.ts';
import { demoImage, drainWorker, runCli } from './helpers.ts';

describe('npm run explain (client/cli/explain.ts) against a real service', () => {
  let svc: TestService;
  let work: string;
  let redSquare: string;
  const url = () => `${svc.url}/graphql`;

  before(async () => {
    svc = await startTestService({ jobs: true, env: { XAI_JOB_CONCURRENCY: '1' } });
    work = tmpDir('xai-cli-');
    redSquare = path.join(work, 'red-square.png');
    writeFileSync(redSquare, (await demoImage('red-square')).png);
  });
  after(async () => svc?.close());

  test('LIME end to end: progress lines, top predictions, caption, every artifact saved (PNGs decode)', async () => {
    // A study to file the run under (one cheap cell of its own).
    const ids = (await svc.gql(`{ images(filter: { format: "png" }) { edges { node { id } } } modelByName(name: "demo-shapes") { id } }`)).data;
    const created = await svc.gql(`mutation($input: CreateStudyInput!) { createStudy(input: $input) { ... on CreateStudySuccess { data { id } } } }`, {
      input: { name: 'cli run', images: [ids.images.edges[0].node.id], models: [ids.modelByName.id], methods: [{ method: 'EIGEN_CAM' }] },
    });
    const study = created.data.createStudy.data.id;
    // Relative paths and the default output directory resolve against the working directory.
    const run = runCli(['red-square.png', '--model', 'demo-shapes', '--method', 'lime', '--param', 'lime.numSamples=300', '--seed', '4', '--study', study, '--url', url()], { cwd: work });
    const r = await run.exit;
    assert.equal(r.code, 0, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);

    // Not a TTY: one line per ~10 %, no carriage returns.
    assert.doesNotMatch(r.stderr, /\r/);
    const lines = r.stderr.split('\n').filter((l) => /^(RUNNING|QUEUED|SUCCEEDED)/.test(l));
    assert.ok(lines.length >= 3 && lines.length <= 16, lines.join('\n'));
    assert.match(lines.at(-1)!, /^SUCCEEDED .*100%/);
    assert.ok(lines.some((l) => /ETA/.test(l)));

    assert.match(r.stdout, /Top 5 predictions \(demo-shapes:1/);
    assert.match(r.stdout, /^ +1\. red +\d+\.\d+%/m);
    assert.match(r.stdout, /Caption: lime on red/);

    const id = /explanation (\S+) \(LIME/.exec(r.stderr)![1];
    const local = Buffer.from(id, 'base64').toString().split(':')[1];
    const dir = path.join(work, 'xai-results', local);
    assert.ok(existsSync(dir), `${dir} exists`);
    const files = readdirSync(dir).sort();
    const e = (await svc.gql(`query($id: ID!) { explanation(id: $id) { status study { id name } artifacts { name mediaType byteSize } } }`, { id })).data.explanation;
    assert.equal(e.status, 'SUCCEEDED');
    assert.deepEqual(e.study, { id: study, name: 'cli run' });
    assert.deepEqual(files, [...e.artifacts.map((a: any) => a.name), 'explanation.json'].sort());
    const pngs = e.artifacts.filter((a: any) => a.mediaType === 'image/png');
    assert.ok(pngs.length >= 2);
    for (const a of e.artifacts) assert.equal(readFileSync(path.join(dir, a.name)).byteLength, a.byteSize, a.name);
    for (const a of pngs) {
      const meta = await sharp(path.join(dir, a.name)).metadata();
      assert.equal(meta.format, 'png', a.name);
      assert.ok(meta.width! > 0 && meta.height! > 0);
      await sharp(path.join(dir, a.name)).raw().toBuffer(); // decodes completely
    }
    const meta = JSON.parse(readFileSync(path.join(dir, 'explanation.json'), 'utf8'));
    assert.equal(meta.status, 'SUCCEEDED');
    assert.equal(meta.prediction.top1.label, 'red');
  });

  test('--out, --target and a gradient method; predict and models subcommands', async () => {
    const out = path.join(work, 'gradcam');
    const r = await runCli([redSquare, '--model', 'demo-shapes', '--method', 'grad-cam', '--target', '1,2', '--out', out, '--url', url()]).exit;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Explained classes: 1, 2/);
    assert.ok(readdirSync(out).includes('heatmap-2.png'));

    const p = await runCli(['predict', redSquare, '--model', 'demo-shapes', '--top-k', '2', '--url', url()]).exit;
    assert.equal(p.code, 0, p.stderr);
    assert.match(p.stdout, /Top 2 predictions/);
    assert.match(p.stdout, /1\. red/);

    const m = await runCli(['models', '--url', url()]).exit;
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /^NAME +VERSION +CLASSES/m);
    assert.match(m.stdout, /^demo-shapes +1 +5 +224×224 +resize 224, crop, bilinear +builtin/m);
  });

  test('an unknown model: exit code 2 and a clear message', async () => {
    const r = await runCli([redSquare, '--model', 'resnet-9000', '--method', 'lime', '--url', url()]).exit;
    assert.equal(r.code, 2);
    assert.match(r.stderr, /NOT_FOUND: no model named "resnet-9000"; registered: demo-shapes:1/);
  });

  test('a corrupt image: exit code 2 and the service message', async () => {
    const corrupt = path.join(work, 'corrupt.jpg');
    writeFileSync(corrupt, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(300, 7)]));
    const r = await runCli([corrupt, '--model', 'demo-shapes', '--method', 'lime', '--url', url()]).exit;
    assert.equal(r.code, 2);
    assert.match(r.stderr, /INVALID_IMAGE: /);
    assert.doesNotMatch(r.stderr, /at \w+ \(/, 'no stack trace');
  });

  test('bad usage: exit code 2 with the usage text', async () => {
    // (Argument parsing itself is unit-tested in cli-args.test.ts.)
    for (const args of [[redSquare, '--model', 'demo-shapes', '--method', 'nope'], [path.join(work, 'missing.png'), '--model', 'demo-shapes', '--method', 'lime', '--url', url()]]) {
      const r = await runCli(args).exit;
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /xai explain: /);
    }
    const bad = await runCli([redSquare, '--model', 'demo-shapes', '--method', 'lime', '--param', 'numSamples=-5', '--url', url()]).exit;
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /INVALID_ARGUMENT: lime\.numSamples/);
  });

  test('Ctrl-C (SIGINT) cancels the job: exit code 1, the explanation is CANCELLED', async () => {
    const run = runCli([redSquare, '--model', 'demo-shapes', '--method', 'kernel-shap', '--param', 'nsamples=20000', '--param', 'batchSize=10', '--force', '--url', url()]);
    await run.waitFor(/RUNNING .* [1-9]\d*\/\d+/);
    run.child.kill('SIGINT');
    const r = await run.exit;
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cancelling the job/);
    assert.match(r.stderr, /was cancelled/);
    const id = /explanation (\S+) \(KERNEL_SHAP/.exec(r.stderr)![1];
    const e = (await svc.gql(`query($id: ID!) { explanation(id: $id) { status } }`, { id })).data.explanation;
    assert.equal(e.status, 'CANCELLED');

    const xai = createXaiClient({ url: url(), WebSocket });
    const model = (await xai.modelByName('demo-shapes'))!;
    const image = (await xai.images({ first: 1, filter: { format: 'png' } })).edges[0].node;
    await drainWorker(xai, image.id, model.id);
    await xai.dispose();
  });
});
