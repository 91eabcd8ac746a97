import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError } from '../../src/engine/errors.ts';
import { checkLabelCount, defaultLabels, labelsFromMetadata, parseLabels } from '../../src/engine/labels.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const classIndex = path.resolve(repoRoot, '../shared/models/imagenet_class_index.json');

const isCode = (code: string) => (e: unknown) => e instanceof EngineError && e.code === code;

test('imagenet_class_index.json format', () => {
  const labels = parseLabels('{"0": ["n01440764", "tench"], "1": ["n01443537", "goldfish"]}');
  assert.deepEqual(labels, [
    { index: 0, label: 'tench', synset: 'n01440764' },
    { index: 1, label: 'goldfish', synset: 'n01443537' },
  ]);
});

test('the real imagenet_class_index.json', { skip: fs.existsSync(classIndex) ? false : `needs ${classIndex}, which is absent` }, () => {
  const labels = parseLabels(fs.readFileSync(classIndex, 'utf8'), 'imagenet_class_index.json');
  assert.equal(labels.length, 1000);
  assert.deepEqual(labels[999], { index: 999, label: 'toilet_tissue', synset: 'n15075141' });
});

test('JSON array of strings and of objects', () => {
  assert.deepEqual(parseLabels('["cat", "dog"]'), [
    { index: 0, label: 'cat', synset: null },
    { index: 1, label: 'dog', synset: null },
  ]);
  assert.deepEqual(parseLabels('[{"index":1,"label":"dog"},{"index":0,"label":"cat","synset":"n02121808"}]'), [
    { index: 0, label: 'cat', synset: 'n02121808' },
    { index: 1, label: 'dog', synset: null },
  ]);
  assert.deepEqual(parseLabels('[{"label":"a"},{"label":"b"}]').map((l) => l.index), [0, 1]);
});

test('plain text, with synset prefixes, CRLF and trailing blank lines', () => {
  const labels = parseLabels('\uFEFFn01440764 tench, Tinca tinca\r\nn01443537 goldfish, Carassius auratus\r\n\r\n\n');
  assert.deepEqual(labels, [
    { index: 0, label: 'tench, Tinca tinca', synset: 'n01440764' },
    { index: 1, label: 'goldfish, Carassius auratus', synset: 'n01443537' },
  ]);
  assert.deepEqual(parseLabels('cat\ndog\n').map((l) => l.label), ['cat', 'dog']);
});

test('malformed label files are INVALID_LABELS', () => {
  for (const bad of ['', '  \n\n', '{"0": ["n1", "a"], ', '{"0": "a", "2": "b"}', '[1, 2]', 'cat\n\ndog', '[{"index":0,"label":"a"},{"label":"b"}]', '[{"index":0,"label":"a"},{"index":0,"label":"b"}]']) {
    assert.throws(() => parseLabels(bad, 'labels.txt'), isCode('INVALID_LABELS'), JSON.stringify(bad));
  }
  assert.throws(() => parseLabels('42', 'labels.json'), isCode('INVALID_LABELS'));
  assert.throws(() => parseLabels('not json', 'labels.json'), (e: unknown) => isCode('INVALID_LABELS')(e) && /labels\.json/.test((e as Error).message));
});

test('labels from ONNX metadata', () => {
  assert.equal(labelsFromMetadata({}), null);
  assert.deepEqual(labelsFromMetadata({ 'xai.labels': '[{"index":0,"label":"cat","synset":null}]', labels: 'x,y' }), [
    { index: 0, label: 'cat', synset: null },
  ]);
  assert.deepEqual(labelsFromMetadata({ labels: 'cat, dog,bird' })?.map((l) => l.label), ['cat', 'dog', 'bird']);
  assert.deepEqual(labelsFromMetadata({ classes: 'tench, Tinca tinca\ngoldfish' })?.map((l) => l.label), ['tench, Tinca tinca', 'goldfish']);
  assert.deepEqual(labelsFromMetadata({ classes: '["a","b"]' })?.length, 2);
  assert.throws(() => labelsFromMetadata({ 'xai.labels': 'nope' }), isCode('INVALID_LABELS'));
});

test('label count mismatch and default labels', () => {
  assert.throws(() => checkLabelCount(defaultLabels(999), 1000), (e: unknown) =>
    isCode('LABELS_MISMATCH')(e) && (e as Error).message === 'the model has 1000 outputs but 999 labels were given');
  checkLabelCount(defaultLabels(3), 3);
  assert.deepEqual(defaultLabels(2), [
    { index: 0, label: 'class 0', synset: null },
    { index: 1, label: 'class 1', synset: null },
  ]);
});
