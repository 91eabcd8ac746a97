// Images and models by id, through the App's batched, cached loaders (db/loaders.ts).
import type { App } from '../app.js';
import type { Image, Model } from '../generated/sqlite/client.js';

export function findImage(app: App, id: string): Promise<Image | null> {
  return app.loaders.images.get(id);
}

export function findModel(app: App, id: string): Promise<Model | null> {
  return app.loaders.models.get(id);
}
