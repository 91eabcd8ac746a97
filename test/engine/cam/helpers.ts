// Fixtures for the CAM and input-gradient tests: the demo model as a ModelHandle, the shared
// MobileNetV2 files and torchvision exports, requests, and localization measures.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDemoModel, drawDemoImage, type DemoBox } from '../../../src/engine/demo/index.ts';
import type { Attribution, ExplainRequest, ModelHandle } from '../../../src/engine/explain/types.ts';
import { normalizeParameters, type Method } from '../../../src/engine/methods.ts';
import { inferInputSpec } from '../../../src/engine/presets.ts';
import { describeSession, loadSession } from '../../../src/engine/session.ts';
import { tmpDir } from '../../support/tmp.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const shared = path.resolve(repoRoot, '../shared');
export const floatModelPath = path.join(shared, 'models/mobilenetv2-float.onnx');
export const int8ModelPath = path.join(shared, 'models/mobilenetv2-12-int8.onnx');
export const photoPath = path.join(shared, 'images/bittern.jpg');

let demoHandle: ModelHandle | null = null;
export function demoModel(): ModelHandle {
  if (demoHandle) return demoHandle;
  const demo = buildDemoModel();
  const file = path.join(tmpDir('xai-cam-'), 'demo.onnx');
  fs.writeFileSync(file, demo.onnx);
  demoHandle = { key: 'demo-cam', path: file, spec: demo.spec, numClasses: demo.labels.length, labels: demo.labels, outputKind: 'LOGITS', quantized: false };
  return demoHandle;
}

let imagenet: { index: number; label: string; synset: string }[] | null = null;
export async function fileModel(file: string, quantized: boolean, key = `file:${path.basename(file)}`): Promise<ModelHandle> {
  const s = await loadSession(file);
  const { spec } = inferInputSpec(describeSession(s));
  await s.release();
  imagenet ??= Object.entries(JSON.parse(fs.readFileSync(path.join(shared, 'models/imagenet_class_index.json'), 'utf8')) as Record<string, [string, string]>).map(
    ([i, [synset, label]]) => ({ index: Number(i), label, synset }),
  );
  return { key, path: file, spec, numClasses: 1000, labels: imagenet, outputKind: 'LOGITS', quantized };
}

/** Red square top-left, blue disc bottom-right (class 1 = red, 3 = blue). */
export async function twoShapes(): Promise<{ png: Buffer; red: DemoBox; blue: DemoBox }> {
  const { png, boxes } = await drawDemoImage({
    seed: 11,
    shapes: [
      { color: 'red', kind: 'square', x: 20, y: 28, size: 72 },
      { color: 'blue', kind: 'disc', x: 124, y: 120, size: 80 },
    ],
  });
  return { png, red: boxes[0], blue: boxes[1] };
}

export function request(model: ModelHandle, image: Buffer, method: Method, raw: Record<string, unknown>, seed = 1): ExplainRequest {
  return { model, image, method, params: normalizeParameters(method, raw as never, model.numClasses), seed };
}

export function peak(a: Attribution): { x: number; y: number; value: number } {
  let best = 0;
  for (let i = 1; i < a.map.length; i++) if (a.map[i] > a.map[best]) best = i;
  return { x: best % a.width, y: Math.floor(best / a.width), value: a.map[best] };
}

export function inBox(p: { x: number; y: number }, b: DemoBox, margin = 0): boolean {
  return p.x >= b.x0 - margin && p.x < b.x1 + margin && p.y >= b.y0 - margin && p.y < b.y1 + margin;
}

/** Share of Σ|map| (or Σ max(map,0) when positive) inside the box, grown by `margin` pixels. */
export function massInBox(a: Attribution, b: DemoBox, margin = 0, kind: 'abs' | 'positive' = 'abs'): number {
  let inside = 0;
  let all = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const v = a.map[y * a.width + x];
      const m = kind === 'abs' ? Math.abs(v) : Math.max(v, 0);
      all += m;
      if (inBox({ x, y }, b, margin)) inside += m;
    }
  }
  return all > 0 ? inside / all : 0;
}
