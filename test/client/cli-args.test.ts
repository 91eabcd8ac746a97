// The CLI's argument parsing and progress rendering, without a service.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommand, parseMethod, parseParams, parseTarget, UsageError } from '../../client/cli/args.ts';
import { localId } from '../../client/cli/common.ts';
import { bar, createProgress, formatEta } from '../../client/cli/progress.ts';

test('methods: any case, dashes, ++', () => {
  assert.equal(parseMethod('lime'), 'LIME');
  assert.equal(parseMethod('grad-cam++'), 'GRAD_CAM_PLUS_PLUS');
  assert.equal(parseMethod('GradCAM'), 'GRAD_CAM');
  assert.equal(parseMethod('kernel_shap'), 'KERNEL_SHAP');
  assert.equal(parseMethod('integrated-gradients'), 'INTEGRATED_GRADIENTS');
  assert.throws(() => parseMethod('shapley'), UsageError);
});

test('--param: families, nesting, JSON values, the method family by default', () => {
  assert.deepEqual(parseParams(['lime.numSamples=500', 'lime.segmentation.algorithm=SLIC', 'lime.segmentation.nSegments=50', 'adaptive=true'], 'LIME'), {
    lime: { numSamples: 500, segmentation: { algorithm: 'SLIC', nSegments: 50 }, adaptive: true },
  });
  assert.deepEqual(parseParams(['masker={"kind":"BLUR","kernel":64}'], 'PARTITION_SHAP'), { partitionShap: { masker: { kind: 'BLUR', kernel: 64 } } });
  assert.deepEqual(parseParams(['targetLayer=conv2'], 'GRAD_CAM_PLUS_PLUS'), { cam: { targetLayer: 'conv2' } });
  assert.deepEqual(parseParams(['steps=64'], 'INTEGRATED_GRADIENTS'), { gradient: { steps: 64 } });
  assert.throws(() => parseParams(['numSamples'], 'LIME'), UsageError);
  assert.throws(() => parseParams(['lime=3'], 'LIME'), UsageError);
});

test('--target: indices or topK', () => {
  assert.deepEqual(parseTarget('3'), { classIndices: [3] });
  assert.deepEqual(parseTarget('3, 7'), { classIndices: [3, 7] });
  assert.deepEqual(parseTarget('top2'), { topK: 2 });
  assert.throws(() => parseTarget('cat'), UsageError);
});

test('commands, defaults and usage errors', () => {
  const c = parseCommand(['img.png', '--model', 'resnet50:2', '--method', 'lime', '-p', 'numSamples=500', '--target', '3'], { XAI_URL: 'http://h:1/graphql', XAI_API_KEY: 'k' });
  assert.equal(c.kind, 'explain');
  if (c.kind !== 'explain') return;
  assert.deepEqual(c.common, { url: 'http://h:1/graphql', apiKey: 'k' });
  assert.equal(c.model, 'resnet50');
  assert.equal(c.version, '2');
  assert.deepEqual(c.parameters, { lime: { numSamples: 500 } });
  assert.deepEqual(c.target, { classIndices: [3] });
  assert.equal(c.cancelOnInterrupt, true);
  assert.equal(c.out, undefined);

  const d = parseCommand(['img.png', '--model', 'm', '--method', 'saliency', '--cancel-on-interrupt=false', '--url', 'http://x', '--api-key', 'z']);
  assert.ok(d.kind === 'explain' && d.cancelOnInterrupt === false && d.common.url === 'http://x' && d.common.apiKey === 'z');
  const e = parseCommand(['img.png', '--model', 'm', '--method', 'saliency', '--no-cancel-on-interrupt']);
  assert.ok(e.kind === 'explain' && e.cancelOnInterrupt === false);
  const f = parseCommand(['img.png', '--model', 'm', '--method', 'lime']);
  assert.equal(f.kind === 'explain' && f.common.url, 'http://127.0.0.1:4000/graphql');

  assert.deepEqual(parseCommand(['models']).kind, 'models');
  const p = parseCommand(['predict', 'a.jpg', '--model', 'm', '--top-k', '3']);
  assert.ok(p.kind === 'predict' && p.image === 'a.jpg' && p.topK === 3);
  assert.equal(parseCommand(['--help']).kind, 'help');

  for (const bad of [[], ['img.png', '--model', 'm'], ['img.png', '--method', 'lime'], ['a', 'b', '--model', 'm', '--method', 'lime'], ['--bogus'], ['img.png', '--model', 'm', '--method', 'lime', '--seed', 'x'], ['predict', '--model', 'm']]) {
    assert.throws(() => parseCommand(bad), UsageError, bad.join(' '));
  }
});

test('progress: redraw in place on a TTY, one line per 10 % otherwise', () => {
  const steps = Array.from({ length: 41 }, (_, i) => ({ status: 'RUNNING', progress: i / 40, stage: 'sample', samplesDone: i * 10, samplesTotal: 400, etaSeconds: 40 - i }));
  const final = { status: 'SUCCEEDED', progress: 1, stage: 'done' };

  let tty = '';
  const t = createProgress({ write: (s: string) => (tty += s), isTTY: true, columns: 100 });
  for (const s of steps) t.update(s);
  t.update(final);
  t.done();
  assert.equal(tty.split('\r\x1b[2K').length - 1, 42);
  assert.equal(tty.split('\n').length, 2, 'a single line, ended once');
  assert.match(tty, /RUNNING +sample +\[█+.*\] +50% +200\/400 +ETA 20s/);

  let log = '';
  const l = createProgress({ write: (s: string) => (log += s), isTTY: false });
  for (const s of steps) l.update(s);
  l.update(final);
  const lines = log.trimEnd().split('\n');
  assert.equal(lines.length, 12, log); // 0 %, 10 % … 100 %, then SUCCEEDED
  assert.doesNotMatch(log, /\r/);
  assert.match(lines.at(-1)!, /^SUCCEEDED/);

  assert.equal(formatEta(5), '5s');
  assert.equal(formatEta(65), '1m05s');
  assert.equal(formatEta(3720), '1h02m');
  assert.equal(formatEta(null), '--');
  assert.equal(bar(0.5, 10), '█████░░░░░');
  assert.equal([...bar(1, 10)].length, 10);
});

test('output directories use the database id inside the Relay id', () => {
  assert.equal(localId(Buffer.from('Explanation:cmwsb123').toString('base64')), 'cmwsb123');
  assert.equal(localId('not/base64+=='), 'not_base64___');
});
