// What a worker needs to run an explanation job, read from the database and the blob store.
import type { App } from '../app.js';
import type { ExplainRequest, ModelHandle } from '../engine/explain/types.js';
import type { Method, MethodParameters } from '../engine/methods.js';
import type { ClassLabel, OutputKind } from '../engine/types.js';
import type { Explanation } from '../generated/sqlite/client.js';
import { specOf } from './models.js';
import { findImage, findModel } from './rows.js';

export async function buildExplainRequest(app: App, e: Explanation): Promise<ExplainRequest> {
  const [image, model] = await Promise.all([findImage(app, e.imageId), findModel(app, e.modelId)]);
  if (!image || !model) throw new Error(`explanation ${e.id} refers to a missing image or model`);
  const handle: ModelHandle = {
    key: model.sha256,
    path: await app.blobs.localFile(model.fileKey),
    spec: specOf(model),
    numClasses: model.numClasses,
    labels: model.labels as unknown as ClassLabel[],
    outputKind: model.outputKind as OutputKind,
    quantized: model.quantized,
  };
  const params = e.parameters as unknown as MethodParameters;
  const baselineIds = params.gradient?.baselineImageIds ?? [];
  const baselines = await Promise.all(
    baselineIds.map(async (bid) => {
      const b = await findImage(app, bid);
      if (!b) throw new Error(`baseline image ${bid} no longer exists`);
      return app.blobs.read(b.storageKey);
    }),
  );
  return {
    model: handle,
    image: await app.blobs.read(image.storageKey),
    ...(baselines.length ? { baselineImages: baselines } : {}),
    method: e.method as Method,
    params,
    seed: e.seed,
    maxPixels: app.config.limits.maxImagePixels,
  };
}
