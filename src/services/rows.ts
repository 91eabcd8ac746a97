// Images and models never change after they are stored, so their rows can be cached in memory
// safely (also across API nodes): this takes two database round trips off every prediction.
import type { App } from '../app.js';
import type { Image, Model } from '../generated/sqlite/client.js';

const LIMIT = 2000;

export class RowCache<T> {
  private readonly rows = new Map<string, T>();

  async get(id: string, load: (id: string) => Promise<T | null>): Promise<T | null> {
    const hit = this.rows.get(id);
    if (hit) return hit;
    const row = await load(id);
    if (row) {
      if (this.rows.size >= LIMIT) this.rows.delete(this.rows.keys().next().value!);
      this.rows.set(id, row);
    }
    return row;
  }
}

export function findImage(app: App, id: string): Promise<Image | null> {
  return app.rows.images.get(id, (i) => app.prisma.image.findUnique({ where: { id: i } }));
}

export function findModel(app: App, id: string): Promise<Model | null> {
  return app.rows.models.get(id, (i) => app.prisma.model.findUnique({ where: { id: i } }));
}
