// Prediction: load rows, run the cached session, persist the top-k.
import type { App } from '../app.js';
import { findImage, findModel } from './rows.js';
import { predict } from '../engine/predict.js';
import { preprocess } from '../engine/preprocess.js';
import { specKey } from '../engine/tensor-cache.js';
import type { ClassLabel, OutputKind } from '../engine/types.js';
import { fromEngineError, InvalidArgumentError, NotFoundError } from '../errors.js';
import { sessionOf, specOf } from './models.js';

export async function runPrediction(app: App, imageId: string, modelId: string, topK: number) {
  const [image, model] = await Promise.all([
    findImage(app, imageId),
    findModel(app, modelId),
  ]);
  if (!image) throw new NotFoundError('Image', imageId);
  if (!model) throw new NotFoundError('Model', modelId);
  const max = Math.min(model.numClasses, app.config.limits.maxTopK);
  if (!Number.isInteger(topK) || topK < 1 || topK > max) {
    throw new InvalidArgumentError('input.topK', `topK must be between 1 and ${max}, got ${topK}`);
  }
  const started = performance.now();
  const session = await sessionOf(app, model);
  const spec = specOf(model);
  const { maxImagePixels } = app.config.limits;
  const input = app.tensors.get(`${image.sha256}|${specKey(spec)}`, async () =>
    preprocess(await app.blobs.read(image.storageKey), spec, { maxPixels: maxImagePixels }),
  );
  const out = await predict(session, spec, [await input.catch((e) => fromEngineError(e, 'input.image'))], {
    topK,
    labels: model.labels as unknown as ClassLabel[],
    outputKind: model.outputKind as OutputKind,
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
