// readModelStructure: the model read from disk without initializer data must describe the same graph
// as decoding the whole file (nodes, inputs, outputs, metadata, initializer names/types/shapes).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { buildDemoModel } from '../../src/engine/demo/index.ts';
import { EngineError } from '../../src/engine/errors.ts';
import { summarizeModel } from '../../src/engine/onnx/inspect.ts';
import { decodeModel, type ModelProto } from '../../src/engine/onnx/proto.ts';
import { readModelStructure } from '../../src/engine/onnx/structure.ts';
import { paddedDemoModel } from '../support/models.ts';
import { sharedDir } from '../support/service.ts';
import { tmpDir } from '../support/tmp.ts';
import { torchvisionModel } from '../support/torchvision.ts';

function withoutData(m: ModelProto) {
  return {
    ...m,
    graph: {
      ...m.graph!,
      initializer: m.graph!.initializer.map((t) => ({ name: t.name, dims: t.dims, dataType: t.dataType })),
    },
  };
}

async function same(file: string) {
  const full = decodeModel(await readFile(file));
  const structure = await readModelStructure(file);
  assert.deepEqual(summarizeModel(structure), summarizeModel(full));
  assert.deepEqual(withoutData(structure), withoutData(full));
  for (const t of structure.graph!.initializer) {
    assert.equal(t.rawData, undefined, `${t.name} carries no data`);
    assert.equal(t.floatData, undefined);
  }
}

test('the demo model and a padded copy: same structure, no weights', async () => {
  const dir = tmpDir('xai-structure-');
  for (const [name, bytes] of [['demo.onnx', buildDemoModel().onnx], ['padded.onnx', paddedDemoModel(3_000_000)]] as const) {
    const file = path.join(dir, name);
    await writeFile(file, bytes);
    await same(file);
  }
});

test('shared and torchvision models: same structure as a full decode', async (t) => {
  const files = [
    path.join(sharedDir, 'models', 'mobilenetv2-float.onnx'),
    path.join(sharedDir, 'models', 'mobilenetv2-12-int8.onnx'),
    torchvisionModel('resnet50'),
  ].filter((f): f is string => !!f && existsSync(f));
  if (!files.length) return t.skip('neither ../shared/models nor the torchvision exports are present');
  for (const f of files) await same(f);
});

test('truncated and garbage files are INVALID_MODEL', async () => {
  const dir = tmpDir('xai-structure-');
  const demo = buildDemoModel().onnx;
  const cases = [demo.subarray(0, Math.floor(demo.length / 2)), Buffer.from('definitely not onnx'), new Uint8Array(0)];
  for (const [i, bytes] of cases.entries()) {
    const file = path.join(dir, `bad-${i}.onnx`);
    await writeFile(file, bytes);
    await assert.rejects(readModelStructure(file), (e: unknown) => e instanceof EngineError && e.code === 'INVALID_MODEL', `case ${i}`);
  }
});
