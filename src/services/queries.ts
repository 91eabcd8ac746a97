// The read side: rows by id, pages of rows (keyset queries built by resolvers/pagination.ts) and
// the rows a node's fields point to, loaded in batches so a page costs one query per kind.
import type { App } from '../app.js';
import type { Artifact, Explanation, Faithfulness, Image, Model, Prediction } from '../generated/sqlite/client.js';
import { findImage, findModel } from './rows.js';

/** One page of a connection: filter and cursor conditions, order, and how many rows. */
export interface PageQuery {
  where: object;
  orderBy: object[];
  take: number;
}

export const pageImages = (app: App, q: PageQuery): Promise<Image[]> => app.prisma.image.findMany(q);
export const pageModels = (app: App, q: PageQuery): Promise<Model[]> => app.prisma.model.findMany(q);
export const pagePredictions = (app: App, q: PageQuery): Promise<Prediction[]> => app.prisma.prediction.findMany(q);
export const pageExplanations = (app: App, q: PageQuery): Promise<Explanation[]> => app.prisma.explanation.findMany(q);

export const findPrediction = (app: App, id: string): Promise<Prediction | null> => app.prisma.prediction.findUnique({ where: { id } });
export const findExplanation = (app: App, id: string): Promise<Explanation | null> => app.prisma.explanation.findUnique({ where: { id } });

/** The newest model of that name (and version, when given). */
export function findModelByName(app: App, name: string, version?: string | null): Promise<Model | null> {
  return app.prisma.model.findFirst({ where: { name, ...(version ? { version } : {}) }, orderBy: { createdAt: 'desc' } });
}

/** The image or model a prediction or explanation refers to (rows are never deleted). */
export async function imageOf(app: App, row: { imageId: string }): Promise<Image> {
  const image = await findImage(app, row.imageId);
  if (!image) throw new Error(`image ${row.imageId} is missing`);
  return image;
}

export async function modelOf(app: App, row: { modelId: string }): Promise<Model> {
  const model = await findModel(app, row.modelId);
  if (!model) throw new Error(`model ${row.modelId} is missing`);
  return model;
}

export async function artifactsOf(app: App, e: { id: string }): Promise<Artifact[]> {
  return (await app.loaders.artifacts(e.id)) ?? [];
}

/** Deletion/insertion curves per explained class, in the order the classes were explained. */
export async function faithfulnessOf(app: App, e: { id: string; targetClasses: unknown }): Promise<Faithfulness[]> {
  const rows = (await app.loaders.faithfulness(e.id)) ?? [];
  const order = (e.targetClasses as number[]) ?? [];
  return [...rows].sort((a, b) => order.indexOf(a.classIndex) - order.indexOf(b.classIndex));
}
