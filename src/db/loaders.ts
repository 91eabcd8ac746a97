// Rows by id for the read side, loaded in batches (one query per kind and tick, however many
// parents ask): images and models are also cached, being immutable; artifacts are not (a retried
// job replaces its artifacts).
import type { Artifact, Faithfulness, Image, Model, Study } from '../generated/sqlite/client.js';
import { batched, groupBy } from './batch.js';
import type { PrismaClient } from './index.js';
import { RowCache } from './rows.js';

export function createLoaders(prisma: PrismaClient) {
  return {
    images: new RowCache<Image>((ids) => prisma.image.findMany({ where: { id: { in: ids } } })),
    models: new RowCache<Model>((ids) => prisma.model.findMany({ where: { id: { in: ids } } })),
    /** An explanation's artifacts, by name. */
    artifacts: batched(async (ids: string[]) =>
      groupBy(ids, await prisma.artifact.findMany({ where: { explanationId: { in: ids } }, orderBy: { name: 'asc' } }), (a: Artifact) => a.explanationId),
    ),
    /** An explanation's faithfulness curves (one per explained class). */
    faithfulness: batched(async (ids: string[]) =>
      groupBy(ids, await prisma.faithfulness.findMany({ where: { explanationId: { in: ids } }, orderBy: { classIndex: 'asc' } }), (f: Faithfulness) => f.explanationId),
    ),
    /** Studies by id (not cached: their state changes). */
    studies: batched(async (ids: string[]) => new Map((await prisma.study.findMany({ where: { id: { in: ids } } })).map((s: Study) => [s.id, s]))),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
