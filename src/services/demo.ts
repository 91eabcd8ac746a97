// First-start seeding: the built-in demo model (constructed in code, no downloaded weights) and
// demo images drawn for it, so a fresh install can be queried and explained right away.
import type { App } from '../app.js';
import { buildDemoModel, demoImageSet } from '../engine/demo/index.js';
import { ingestImage } from './images.js';
import { registerModel } from './models.js';

export const DEMO_MODEL_NAME = 'demo-shapes';

export async function seedDemo(app: App): Promise<void> {
  const existing = await app.prisma.model.findFirst({ where: { name: DEMO_MODEL_NAME, builtin: true } });
  if (!existing) {
    const demo = buildDemoModel();
    await registerModel(app, {
      source: { bytes: demo.onnx },
      name: DEMO_MODEL_NAME,
      version: '1',
      description: demo.description,
      labels: null, // the model carries its labels in its ONNX metadata
      preset: null,
      outputKind: 'LOGITS',
      builtin: true,
      spec: demo.spec,
    });
  }
  // Images are content-addressed, so re-seeding only adds what is missing.
  for (const img of await demoImageSet()) await ingestImage(app, img.png, `${img.name}.png`);
}
