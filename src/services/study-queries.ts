// The read side of studies: rows by id, pages, and what a Study node's fields show, each one query.
import type { App } from '../app.js';
import type { Explanation, Image, Model, Study, StudyCell, StudyMethod } from '../generated/sqlite/client.js';
import type { PageQuery } from './queries.js';

export const findStudy = (app: App, id: string): Promise<Study | null> => app.prisma.study.findUnique({ where: { id } });
export const pageStudies = (app: App, q: PageQuery): Promise<Study[]> => app.prisma.study.findMany(q);

/** The study an explanation was filed under, loaded in batches. */
export async function studyOf(app: App, e: { studyId: string | null }): Promise<Study | null> {
  return e.studyId ? ((await app.loaders.studies(e.studyId)) ?? null) : null;
}

export interface StudyImageView {
  image: Image;
  position: number;
  groundTruth: { synset: string | null; label: string | null } | null;
}

export async function studyImages(app: App, studyId: string): Promise<StudyImageView[]> {
  const rows = await app.prisma.studyImage.findMany({ where: { studyId }, orderBy: { position: 'asc' }, include: { image: true } });
  return rows.map((r) => ({ image: r.image, position: r.position, groundTruth: (r.groundTruth as StudyImageView['groundTruth']) ?? null }));
}

export async function studyModels(app: App, studyId: string): Promise<Model[]> {
  const rows = await app.prisma.studyModel.findMany({ where: { studyId }, orderBy: { position: 'asc' }, include: { model: true } });
  return rows.map((r) => r.model);
}

export const studyMethods = (app: App, studyId: string): Promise<StudyMethod[]> =>
  app.prisma.studyMethod.findMany({ where: { studyId }, orderBy: { position: 'asc' } });

export type StudyCellView = StudyCell & { explanation: Explanation | null };

/** The cells in queue order (image, model, method), with their explanations. */
export const studyCells = (app: App, studyId: string): Promise<StudyCellView[]> =>
  app.prisma.studyCell.findMany({ where: { studyId }, orderBy: { position: 'asc' }, include: { explanation: true } });
