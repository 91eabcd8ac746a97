// Fixtures every engine test family uses: the demo model as a ModelHandle, the shared MobileNetV2
// files as handles (ImageNet labels), and requests with normalised parameters.
import fs from 'node:fs';
import path from 'node:path';
import { buildDemoModel } from '../../src/engine/demo/index.ts';
import { engineContext, type EngineContext } from '../../src/engine/explain/context.ts';
import type { ExplainRequest, ModelHandle } from '../../src/engine/explain/types.ts';
import { normalizeParameters, type Method } from '../../src/engine/methods.ts';
import { inferInputSpec } from '../../src/engine/presets.ts';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeSession, loadSession, SessionCache, type SessionOptions } from '../../src/engine/session.ts';
import { referencePhotos, type ReferencePhoto } from '../support/reference.ts';
import { sharedDir } from '../support/shared.ts';
import { tmpDir } from '../support/tmp.ts';
import { TORCHVISION_INPUT_SIZE, TORCHVISION_MODELS, TORCHVISION_SKIP, torchvisionModel, type TorchvisionModel } from '../support/torchvision.ts';

export const shared = sharedDir;
export const floatModelPath = path.join(shared, 'models/mobilenetv2-float.onnx');
export const int8ModelPath = path.join(shared, 'models/mobilenetv2-12-int8.onnx');
export const photoPath = path.join(shared, 'images/bittern.jpg');

let demoHandle: ModelHandle | null = null;
export function demoModel(): ModelHandle {
  if (demoHandle) return demoHandle;
  const demo = buildDemoModel();
  const file = path.join(tmpDir('xai-engine-'), 'demo.onnx');
  fs.writeFileSync(file, demo.onnx);
  demoHandle = { key: 'demo-engine', path: file, spec: demo.spec, numClasses: demo.labels.length, labels: demo.labels, outputKind: 'LOGITS', quantized: false };
  return demoHandle;
}

let imagenet: { index: number; label: string; synset: string }[] | null = null;
/** An ImageNet classifier file (the shared MobileNetV2 exports) as a handle. */
export async function fileModel(file: string, quantized: boolean, key = `file:${path.basename(file)}`): Promise<ModelHandle> {
  const s = await loadSession(file);
  const { spec } = inferInputSpec(describeSession(s));
  await s.release();
  imagenet ??= Object.entries(JSON.parse(fs.readFileSync(path.join(shared, 'models/imagenet_class_index.json'), 'utf8')) as Record<string, [string, string]>).map(
    ([i, [synset, label]]) => ({ index: Number(i), label, synset }),
  );
  return { key, path: file, spec, numClasses: 1000, labels: imagenet, outputKind: 'LOGITS', quantized };
}

/** A session cache for the test file, closed when its tests are done. */
export function fileSessions(options: Partial<SessionOptions> = {}): SessionCache {
  const sessions = new SessionCache(options);
  after(() => sessions.close());
  return sessions;
}

/** The seven reference photos with the output `file`, and MobileNetV2 (the model the reference ran). */
export async function referenceCase(file: string): Promise<{ photos: ReferencePhoto<{ files: string[] }>[]; model: ModelHandle }> {
  const photos = referencePhotos((info) => info.files.includes(file));
  assert.equal(photos.length, 7, `photos with ${file}`);
  return { photos, model: await fileModel(floatModelPath, false) };
}

/**
 * One test per torchvision export (skipped when it is absent): `body` runs on an engine context of
 * its own, closed and with its decoded model released afterwards (the exports are large), with the
 * export as a handle, the bittern photo and the export's input size.
 */
export function eachTorchvisionModel(
  what: string,
  body: (run: { ctx: EngineContext; name: TorchvisionModel; model: ModelHandle; photo: Buffer; size: number }) => Promise<void>,
): void {
  for (const name of TORCHVISION_MODELS) {
    const file = torchvisionModel(name);
    test(`torchvision ${name}: ${what}`, { skip: !file && TORCHVISION_SKIP }, async () => {
      const ctx = engineContext();
      try {
        await body({ ctx, name, model: await fileModel(file!, false, `tv:${name}`), photo: fs.readFileSync(photoPath), size: TORCHVISION_INPUT_SIZE[name] });
      } finally {
        await ctx.sessions.close();
        ctx.models.releaseDecoded();
      }
    });
  }
}

export function request(model: ModelHandle, image: Buffer, method: Method, raw: Record<string, unknown>, seed = 1): ExplainRequest {
  return { model, image, method, params: normalizeParameters(method, raw as never, model.numClasses), seed };
}
