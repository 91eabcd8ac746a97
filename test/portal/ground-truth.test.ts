// The study form's ground-truth field (client/portal/src/ground-truth.ts): a class index, a synset or
// a label, read against the chosen models' class lists.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readGroundTruth, type LabelSet } from '../../client/portal/src/ground-truth.ts';

const imagenet: LabelSet = { model: 'mobilenetv2', labels: [{ index: 0, label: 'tench', synset: 'n01440764' }, { index: 1, label: 'goldfish', synset: 'n01443537' }, { index: 2, label: 'bittern', synset: 'n02010272' }] };
const longer: LabelSet = { model: 'resnet50', labels: [{ index: 0, label: 'tench, Tinca tinca', synset: 'n01440764' }, { index: 1, label: 'goldfish', synset: 'n01443537' }, { index: 2, label: 'great white shark', synset: 'n01484850' }, { index: 3, label: 'bittern', synset: 'n02010272' }] };
const shapes: LabelSet = { model: 'demo-shapes', labels: [{ index: 0, label: 'background', synset: null }, { index: 1, label: 'red', synset: null }] };

test('empty: no ground truth (the service may still read a synset from the file name)', () => {
  assert.deepEqual(readGroundTruth('  ', [imagenet]), { ok: true, truth: null });
});

test('a class index takes the class of every chosen model, which must agree', () => {
  assert.deepEqual(readGroundTruth('2', [imagenet]), { ok: true, truth: { synset: 'n02010272', label: 'bittern' } });
  assert.deepEqual(readGroundTruth(' 1 ', [imagenet, longer]), { ok: true, truth: { synset: 'n01443537', label: 'goldfish' } });
  // Same synset, other label spelling: still one class (compared by synset, as the service does).
  assert.deepEqual(readGroundTruth('0', [imagenet, longer]), { ok: true, truth: { synset: 'n01440764', label: 'tench' } });
  assert.deepEqual(readGroundTruth('1', [shapes]), { ok: true, truth: { synset: null, label: 'red' } });
  const other = readGroundTruth('2', [imagenet, longer]);
  assert.ok(!other.ok && /class 2 is n02010272 bittern in mobilenetv2 but n01484850 great white shark in resnet50/.test(other.error), JSON.stringify(other));
  const missing = readGroundTruth('3', [imagenet]);
  assert.ok(!missing.ok && /class 3 is not a class of mobilenetv2 \(it has 3\)/.test(missing.error));
  assert.ok(!readGroundTruth('1', []).ok, 'an index needs a model');
});

test('a synset, with the label a model gives it', () => {
  assert.deepEqual(readGroundTruth('N02010272', [imagenet]), { ok: true, truth: { synset: 'n02010272', label: 'bittern' } });
  assert.deepEqual(readGroundTruth('n09999999', [imagenet]), { ok: true, truth: { synset: 'n09999999', label: null } });
  assert.deepEqual(readGroundTruth('n02010272', []), { ok: true, truth: { synset: 'n02010272', label: null } });
});

test('a label, with the synset of a model that knows it (case-insensitive); unknown labels stay labels', () => {
  assert.deepEqual(readGroundTruth('Bittern', [imagenet, longer]), { ok: true, truth: { synset: 'n02010272', label: 'bittern' } });
  assert.deepEqual(readGroundTruth('red', [shapes]), { ok: true, truth: { synset: null, label: 'red' } });
  assert.deepEqual(readGroundTruth('golf cart', [imagenet]), { ok: true, truth: { synset: null, label: 'golf cart' } });
  assert.ok(!readGroundTruth('x'.repeat(201), [imagenet]).ok);
});
