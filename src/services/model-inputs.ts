// The model's view of an image: the exact pixels its preprocessing feeds it, as a stored PNG, and
// where they lie in the decoded original. Clients draw on this instead of redoing the geometry, so
// what they show has the orientation, crop and resampling the model actually saw.
import type { App } from '../app.js';
import { cropBoxInOriginal, toRgbRaw } from '../engine/preprocess.js';
import { encodePng } from '../engine/render/heatmap.js';
import { specKey } from '../engine/tensor-cache.js';
import { fromEngineError } from '../errors.js';
import type { Image, Model } from '../generated/sqlite/client.js';
import { specOf } from './models.js';
import { findModel } from './rows.js';

export interface ModelInputView {
  /** The stored PNG (served like every artifact). */
  storageKey: string;
  width: number;
  height: number;
  originalWidth: number;
  originalHeight: number;
  /** The input's rectangle in the decoded original's pixels. */
  cropLeft: number;
  cropTop: number;
  cropWidth: number;
  cropHeight: number;
}

/** Per app (each has its own store), rendered views by (image, preprocessing): they never change. */
const viewsByApp = new WeakMap<App, Map<string, Promise<ModelInputView>>>();
const MAX_VIEWS = 1000;

async function render(app: App, image: Image, model: Model): Promise<ModelInputView> {
  const { data, geometry: g } = await toRgbRaw(await app.blobs.read(image.storageKey), specOf(model), {
    maxPixels: app.config.limits.maxImagePixels,
  }).catch((e) => fromEngineError(e, 'image'));
  const blob = await app.blobs.put('artifacts', await encodePng({ data, width: g.width, height: g.height, channels: 3 }), '.png');
  const box = cropBoxInOriginal(g);
  return {
    storageKey: blob.key,
    width: g.width,
    height: g.height,
    originalWidth: g.originalWidth,
    originalHeight: g.originalHeight,
    cropLeft: box.left,
    cropTop: box.top,
    cropWidth: box.width,
    cropHeight: box.height,
  };
}

export function modelInputView(app: App, image: Image, model: Model): Promise<ModelInputView> {
  let views = viewsByApp.get(app);
  if (!views) viewsByApp.set(app, (views = new Map()));
  const key = `${image.sha256}|${specKey(specOf(model))}`;
  let view = views.get(key);
  if (!view) {
    view = render(app, image, model);
    views.set(key, view);
    view.catch(() => views.delete(key));
    // Oldest first out: Maps iterate in insertion order.
    if (views.size > MAX_VIEWS) views.delete(views.keys().next().value!);
  }
  return view;
}

/** The view of `image` for the model with this id, or null when there is no such model. */
export async function modelInputOf(app: App, image: Image, modelId: string): Promise<ModelInputView | null> {
  const model = await findModel(app, modelId);
  return model ? modelInputView(app, image, model) : null;
}
