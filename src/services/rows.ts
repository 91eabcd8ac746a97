// Image and model rows through the App's in-memory cache (see db/rows.ts).
import type { App } from '../app.js';
import type { Image, Model } from '../generated/sqlite/client.js';

export function findImage(app: App, id: string): Promise<Image | null> {
  return app.rows.images.get(id, (i) => app.prisma.image.findUnique({ where: { id: i } }));
}

export function findModel(app: App, id: string): Promise<Model | null> {
  return app.rows.models.get(id, (i) => app.prisma.model.findUnique({ where: { id: i } }));
}
