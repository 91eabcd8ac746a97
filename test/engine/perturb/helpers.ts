// Shared fixtures for the perturbation tests: the demo model as a ModelHandle, shared models, requests.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDemoModel, drawDemoImage, type DemoShape } from '../../../src/engine/demo/index.ts';
import type { ExplainRequest, ModelHandle } from '../../../src/engine/explain/types.ts';
import { parseLabels } from '../../../src/engine/labels.ts';
import type { Method, MethodParameters } from '../../../src/engine/methods.ts';
import { normalizeParameters } from '../../../src/engine/methods.ts';
import { inferInputSpec } from '../../../src/engine/presets.ts';
import { describeSession, loadSession } from '../../../src/engine/session.ts';
import { tmpDir } from '../../support/tmp.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const shared = path.resolve(repoRoot, '../shared');
export const floatModelPath = path.join(shared, 'models/mobilenetv2-float.onnx');
export const int8ModelPath = path.join(shared, 'models/mobilenetv2-12-int8.onnx');
export const imagesDir = path.join(shared, 'images');

let demoHandle: ModelHandle | null = null;
export function demoModel(): ModelHandle {
  if (demoHandle) return demoHandle;
  const demo = buildDemoModel();
  const file = path.join(tmpDir('xai-perturb-'), 'demo.onnx');
  fs.writeFileSync(file, demo.onnx);
  demoHandle = {
    key: 'demo-perturb',
    path: file,
    spec: demo.spec,
    numClasses: demo.labels.length,
    labels: demo.labels,
    outputKind: 'LOGITS',
    quantized: false,
  };
  return demoHandle;
}

export async function sharedModel(file: string, quantized: boolean): Promise<ModelHandle> {
  const s = await loadSession(file);
  const { spec } = inferInputSpec(describeSession(s));
  await s.release();
  const idx = JSON.parse(fs.readFileSync(path.join(shared, 'models/imagenet_class_index.json'), 'utf8')) as Record<string, [string, string]>;
  const labels = Object.entries(idx).map(([i, [synset, label]]) => ({ index: Number(i), label, synset }));
  void parseLabels;
  return { key: `shared:${path.basename(file)}`, path: file, spec, numClasses: 1000, labels, outputKind: 'LOGITS', quantized };
}

export async function redSquare(size = 64, x = 40, y = 40): Promise<Buffer> {
  const shapes: DemoShape[] = [{ color: 'red', kind: 'square', x, y, size }];
  return (await drawDemoImage({ seed: 7, shapes })).png;
}

export function request(model: ModelHandle, image: Buffer, method: Method, raw: Record<string, unknown>, seed = 1): ExplainRequest {
  const params: MethodParameters = normalizeParameters(method, raw as never, model.numClasses);
  return { model, image, method, params, seed };
}
