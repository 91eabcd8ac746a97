// Prediction: load rows, run the cached session, persist the top-k.
import type { App } from '../app.js';
import { predict } from '../engine/predict.js';
import type { ClassLabel, OutputKind } from '../engine/types.js';
import { fromEngineError, InvalidArgumentError, NotFoundError } from '../errors.js';
import { sessionOf, specOf } from './models.js';

export async function runPrediction(app: App, imageId: string, modelId: string, topK: number) {
  const [image, model] = await Promise.all([
    app.prisma.image.findUnique({ where: { id: imageId } }),
    app.prisma.model.findUnique({ where: { id: modelId } }),
  ]);
  if (!image) throw new NotFoundError('Image', imageId);
  if (!model) throw new NotFoundError('Model', modelId);
  const max = Math.min(model.numClasses, app.config.limits.maxTopK);
  if (!Number.isInteger(topK) || topK < 1 || topK > max) {
    throw new InvalidArgumentError('input.topK', `topK must be between 1 and ${max}, got ${topK}`);
  }
  const started = performance.now();
  const session = await sessionOf(app, model);
  const bytes = await app.blobs.read(image.storageKey);
  const out = await predict(session, specOf(model), [bytes], {
    topK,
    labels: model.labels as unknown as ClassLabel[],
    outputKind: model.outputKind as OutputKind,
    maxPixels: app.config.limits.maxImagePixels,
  }).catch((e) => fromEngineError(e, 'input'));
  return app.prisma.prediction.create({
    data: {
      imageId,
      modelId,
      topK,
      classes: out.results[0] as object[],
      latencyMs: performance.now() - started,
    },
  });
}
