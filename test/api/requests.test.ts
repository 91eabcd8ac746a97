// Issue 14, cases 7 and 9: explanation targets are taken literally (no silent top-1 for topK: 0 or
// classIndices: [], no silent choice when both are given), and every refused model path gets one and
// the same error, so registerModel cannot tell which files exist outside the models directory.
import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildDemoModel } from '../../src/engine/demo/index.js';
import { startTestService, type TestService } from '../support/service.js';
import { REGISTER_MODEL, REQUEST_EXPLANATION } from './operations.js';

describe('explanation targets', () => {
  let svc: TestService;
  let base: { image: string; model: string; method: string };
  before(async () => {
    svc = await startTestService();
    const r = (await svc.gql(`{ images(first: 1) { edges { node { id } } } models { edges { node { id } } } }`)).data;
    base = { image: r.images.edges[0].node.id, model: r.models.edges[0].node.id, method: 'GRAD_CAM' };
  });
  after(async () => svc?.close());

  const request = async (target: object) => (await svc.gql(REQUEST_EXPLANATION, { input: { ...base, target } })).data.requestExplanation;

  test('topK: 0, topK: -1 and classIndices: [] are refused, naming the field', async () => {
    const before = await svc.app.prisma.explanation.count();
    for (const [target, field] of [
      [{ topK: 0 }, 'input.target.topK'],
      [{ topK: -1 }, 'input.target.topK'],
      [{ classIndices: [] }, 'input.target.classIndices'],
    ] as const) {
      const r = await request(target);
      assert.equal(r.__typename, 'InvalidArgumentError', `${JSON.stringify(target)}: ${JSON.stringify(r)}`);
      assert.equal(r.field, field);
    }
    assert.equal(await svc.app.prisma.explanation.count(), before, 'nothing was queued');
  });

  test('giving both topK and classIndices is refused', async () => {
    const r = await request({ topK: 2, classIndices: [1] });
    assert.equal(r.__typename, 'InvalidArgumentError');
    assert.equal(r.field, 'input.target');
  });

  test('valid targets are kept as given; no target means the method default', async () => {
    assert.deepEqual((await request({ topK: 2 })).data.parameters.target, { kind: 'TOP', k: 2 });
    assert.deepEqual((await request({ classIndices: [3, 1] })).data.parameters.target, { kind: 'CLASSES', classes: [3, 1] });
    assert.deepEqual((await request({})).data.parameters.target, { kind: 'TOP', k: 1 });
  });
});

describe('model paths', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService({ seed: false });
    const dir = svc.app.config.modelsDir;
    await mkdir(path.join(dir, 'subdir'), { recursive: true });
    await writeFile(path.join(dir, 'demo.onnx'), buildDemoModel().onnx);
    await symlink('/etc/passwd', path.join(dir, 'escape.onnx'));
  });
  after(async () => svc?.close());

  test('missing, outside, directory and escaping paths all get the same PATH_NOT_ALLOWED', async () => {
    const paths = ['../../../etc/nonexistent', '../../../etc/passwd', '/etc/passwd', '/etc/nonexistent', 'missing.onnx', 'subdir', 'escape.onnx'];
    const messages = new Set<string>();
    for (const p of paths) {
      for (const input of [{ path: p }, { path: 'demo.onnx', labelsPath: p }]) {
        const r = (await svc.gql(REGISTER_MODEL, { input: { name: 'x', ...input } })).data.registerModel;
        assert.equal(r.code, 'PATH_NOT_ALLOWED', `${JSON.stringify(input)}: ${JSON.stringify(r)}`);
        messages.add(r.message.replace(JSON.stringify(p), '<path>'));
      }
    }
    assert.equal(messages.size, 2, `one message per field, whatever the path: ${[...messages].join(' | ')}`);
    assert.equal(await svc.app.prisma.model.count(), 0);
    const ok = (await svc.gql(REGISTER_MODEL, { input: { name: 'demo', path: 'demo.onnx' } })).data.registerModel;
    assert.equal(ok.data?.numClasses, 5, JSON.stringify(ok));
  });
});
