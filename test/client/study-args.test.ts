// `npm run study` argument parsing, without a service.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../client/cli/args.ts';
import { parseMethodList, parseMethodSpec, parseModelList, parseStudyCommand, splitTopLevel } from '../../client/cli/study-args.ts';
import { DEFAULTS, SEGMENTATION_DEFAULTS } from '../../src/engine/method-defaults.ts';

test('method specs: names as npm run explain, parameters after colons, the family by default', () => {
  assert.deepEqual(parseMethodSpec('GRAD_CAM'), { method: 'GRAD_CAM', parameters: {} });
  assert.deepEqual(parseMethodSpec('lime:numFeatures=5'), { method: 'LIME', parameters: { lime: { numFeatures: 5 } } });
  assert.deepEqual(parseMethodSpec('LIME:numFeatures=10:lime.numSamples=500:segmentation.algorithm=SLIC:label=LIME, 10 features'), {
    method: 'LIME',
    parameters: { lime: { numFeatures: 10, numSamples: 500, segmentation: { algorithm: 'SLIC' } } },
    label: 'LIME, 10 features',
  });
  assert.deepEqual(parseMethodSpec('partition-shap:masker={"kind":"BLUR","kernel":64}'), { method: 'PARTITION_SHAP', parameters: { partitionShap: { masker: { kind: 'BLUR', kernel: 64 } } } });
  assert.deepEqual(parseMethodSpec('grad-cam++:targetLayer=layer4'), { method: 'GRAD_CAM_PLUS_PLUS', parameters: { cam: { targetLayer: 'layer4' } } });
  assert.deepEqual(parseMethodSpec('grad-cam:faithfulness=true:targetLayer=features'), { method: 'GRAD_CAM', parameters: { cam: { targetLayer: 'features' } }, evaluation: { faithfulness: {} } });
  assert.deepEqual(parseMethodSpec('LIME:faithfulness.steps=10:faithfulness.fill=BLACK:numFeatures=5'), {
    method: 'LIME',
    parameters: { lime: { numFeatures: 5 } },
    evaluation: { faithfulness: { steps: 10, fill: 'BLACK' } },
  });
  assert.throws(() => parseMethodSpec('LIME:faithfulness=yes'), /takes true/);
  // The classes each method explains: top-k, one index, or indices in brackets (a bare comma ends the method).
  assert.deepEqual(parseMethodSpec('grad-cam:target=top2'), { method: 'GRAD_CAM', parameters: {}, target: { topK: 2 } });
  assert.deepEqual(parseMethodSpec('LIME:target=3:numFeatures=5'), { method: 'LIME', parameters: { lime: { numFeatures: 5 } }, target: { classIndices: [3] } });
  assert.deepEqual(parseMethodList(['GRAD_CAM:target=[3,7],LIME']).map((m) => m.target ?? null), [{ classIndices: [3, 7] }, null]);
  for (const bad of ['GRAD_CAM:target=', 'GRAD_CAM:target=top', 'GRAD_CAM:target=[a]', 'GRAD_CAM:target=top2:target=3']) assert.throws(() => parseMethodSpec(bad), UsageError, bad);
  assert.throws(() => parseMethodSpec('GRAD_CAM:target=x'), /--methods "GRAD_CAM:target=x": target= takes top2/);
  for (const bad of ['', 'shapley', 'LIME:numFeatures', 'LIME:label=a:label=b', 'LIME:label=']) assert.throws(() => parseMethodSpec(bad), UsageError, bad);
});

test('method lists: commas outside JSON, repeatable, the same method twice only with different parameters', () => {
  assert.deepEqual(splitTopLevel('a,b={"x":[1,2],"y":"c,d"},c', ','), ['a', 'b={"x":[1,2],"y":"c,d"}', 'c']);
  const specs = parseMethodList(['GRAD_CAM,LIME:numFeatures=5,LIME:numFeatures=10', 'PARTITION_SHAP:masker={"kind":"BLUR","kernel":64}']);
  assert.deepEqual(
    specs.map((s) => [s.method, JSON.stringify(s.parameters)]),
    [
      ['GRAD_CAM', '{}'],
      ['LIME', '{"lime":{"numFeatures":5}}'],
      ['LIME', '{"lime":{"numFeatures":10}}'],
      ['PARTITION_SHAP', '{"partitionShap":{"masker":{"kind":"BLUR","kernel":64}}}'],
    ],
  );
  assert.throws(() => parseMethodList(['LIME:numFeatures=5,lime:lime.numFeatures=5']), /lists method 1 \(LIME\) twice/);
  assert.throws(() => parseMethodList(['LIME:numSamples=5:numFeatures=3,LIME:numFeatures=3:numSamples=5']), UsageError, 'key order does not make it different');
  assert.throws(() => parseMethodList(['GRAD_CAM:label=x,LIME:label=x']), /label "x" is used twice/);
  // A default written out is the same request to the service (its request key), so the same method
  // here; the defaults are the service's own (engine/method-defaults.ts), nested ones too.
  assert.throws(() => parseMethodList([`LIME,LIME:numSamples=${DEFAULTS.lime.numSamples}`]), /lists method 1 \(LIME\) twice with the same parameters/);
  assert.throws(() => parseMethodList(['PARTITION_SHAP:masker={"kind":"BLUR"},PARTITION_SHAP']), /twice with the same parameters/, 'the blur kernel filled in');
  assert.throws(() => parseMethodList([`LIME:segmentation={"algorithm":"SLIC"},LIME:segmentation={"algorithm":"SLIC","nSegments":${SEGMENTATION_DEFAULTS.SLIC.nSegments}}`]), /twice/);
  assert.equal(parseMethodList([`LIME,LIME:numSamples=${DEFAULTS.lime.numSamples + 1}`]).length, 2);
  assert.equal(parseMethodList(['GRAD_CAM:target=top2,GRAD_CAM']).length, 2, 'another target is another method');
  assert.throws(() => parseMethodList(['GRAD_CAM:target=top2,GRAD_CAM:target=top2:label=again']), /twice with the same parameters/);
  assert.throws(() => parseMethodList([',']), /at least one/);
});

test('model lists: NAME or NAME:VERSION, comma-separated or repeated, no duplicates', () => {
  assert.deepEqual(parseModelList(['mobilenetv2,resnet50:2', 'vgg16']), [{ name: 'mobilenetv2' }, { name: 'resnet50', version: '2' }, { name: 'vgg16' }]);
  assert.throws(() => parseModelList(['a,a']), /lists a twice/);
  assert.throws(() => parseModelList(['a:1:2']), UsageError);
  assert.throws(() => parseModelList([' , ']), UsageError);
});

test('the study command: required options, defaults from the environment, usage errors', () => {
  const c = parseStudyCommand(
    ['--name', 'seed photos', '--description', 'ten photos', '--images', 'photos', '--models', 'mobilenetv2,resnet50', '--methods', 'GRAD_CAM,LIME:numFeatures=5', '--methods', 'partition-shap', '--seed', '7', '--out', 'report'],
    { XAI_URL: 'http://h:1/graphql', XAI_API_KEY: 'k' },
  );
  assert.equal(c.kind, 'study');
  if (c.kind !== 'study') return;
  assert.deepEqual(c.common, { url: 'http://h:1/graphql', apiKey: 'k' });
  assert.equal(c.name, 'seed photos');
  assert.equal(c.description, 'ten photos');
  assert.equal(c.images, 'photos');
  assert.deepEqual(c.models.map((m) => m.name), ['mobilenetv2', 'resnet50']);
  assert.deepEqual(c.methods.map((m) => m.method), ['GRAD_CAM', 'LIME', 'PARTITION_SHAP']);
  assert.equal(c.seed, 7);
  assert.equal(c.out, 'report');
  assert.equal(c.cancelOnInterrupt, true);

  const d = parseStudyCommand(['-n', 's', '-i', 'd', '-m', 'a', '--methods', 'lime', '--no-cancel-on-interrupt', '--url', 'http://x', '--api-key', 'z']);
  assert.ok(d.kind === 'study' && !d.cancelOnInterrupt && d.common.url === 'http://x' && d.common.apiKey === 'z' && d.seed === undefined && d.out === undefined);
  const e = parseStudyCommand(['-n', 's', '-i', 'd', '-m', 'a', '--methods', 'lime']);
  assert.ok(e.kind === 'study' && e.common.url === 'http://127.0.0.1:4000/graphql' && e.common.apiKey === undefined);
  assert.equal(parseStudyCommand(['--help']).kind, 'help');

  const ok = ['--name', 's', '--images', 'd', '--models', 'a', '--methods', 'lime'];
  const without = (flag: string) => ok.filter((_, i) => ok[i] !== flag && ok[i - 1] !== flag);
  for (const flag of ['--name', '--images', '--models', '--methods']) assert.throws(() => parseStudyCommand(without(flag)), new RegExp(`${flag} .*required`), flag);
  for (const bad of [[...ok, 'extra'], [...ok, '--bogus'], [...ok, '--seed', 'x'], ['--name', ' ', ...ok.slice(2)], [...ok.slice(0, -1), 'nope']]) {
    assert.throws(() => parseStudyCommand(bad), UsageError, bad.join(' '));
  }
});
