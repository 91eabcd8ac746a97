// Lists: GraphQL filters to database conditions, paged by keysetConnection.
import type { Context } from '../context.js';
import { pageExplanations, pageImages, pageModels, pagePredictions } from '../services/queries.js';
import { keysetConnection, type PageArgs, type SortKey } from './pagination.js';

type Id = { id: string } | null | undefined;

/** Drops null/undefined so Prisma never sees `field: null` as "IS NULL". */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
}

export function images(_r: unknown, args: PageArgs & { filter?: { sha256?: string | null; format?: string | null } | null }, ctx: Context) {
  return keysetConnection(args, defined({ ...args.filter }), (q) => pageImages(ctx.app, q));
}

export function models(_r: unknown, args: PageArgs & { filter?: { name?: string | null; builtin?: boolean | null } | null }, ctx: Context) {
  return keysetConnection(args, defined({ ...args.filter }), (q) => pageModels(ctx.app, q));
}

export function predictions(_r: unknown, args: PageArgs & { filter?: { image?: Id; model?: Id } | null }, ctx: Context) {
  return keysetConnection(args, defined({ imageId: args.filter?.image?.id, modelId: args.filter?.model?.id }), (q) => pagePredictions(ctx.app, q));
}

interface ExplanationFilter {
  image?: Id;
  model?: Id;
  method?: string | null;
  status?: string[] | null;
  study?: Id;
}

/** Orders of the explanations list; by a metric, explanations without it are left out. */
export const EXPLANATION_ORDERS = {
  NEWEST: null,
  DELETION_AUC_ASC: { field: 'deletionAuc', direction: 'asc' },
  DELETION_AUC_DESC: { field: 'deletionAuc', direction: 'desc' },
  INSERTION_AUC_ASC: { field: 'insertionAuc', direction: 'asc' },
  INSERTION_AUC_DESC: { field: 'insertionAuc', direction: 'desc' },
  RANDOMIZATION_SPEARMAN_ASC: { field: 'randomizationSpearman', direction: 'asc' },
  RANDOMIZATION_SPEARMAN_DESC: { field: 'randomizationSpearman', direction: 'desc' },
} as const satisfies Record<string, SortKey | null>;
export type ExplanationOrder = keyof typeof EXPLANATION_ORDERS;

export function explanations(_r: unknown, args: PageArgs & { filter?: ExplanationFilter | null; orderBy?: ExplanationOrder | null }, ctx: Context) {
  const f = args.filter;
  const where = defined({
    imageId: f?.image?.id,
    modelId: f?.model?.id,
    method: f?.method,
    status: f?.status?.length ? { in: f.status } : undefined,
    studyId: f?.study?.id,
  });
  return keysetConnection(args, where, (q) => pageExplanations(ctx.app, q), EXPLANATION_ORDERS[args.orderBy ?? 'NEWEST']);
}

/** Image.predictions and Image.explanations: the image's rows, optionally of one model. */
export function imagePredictions(image: { id: string }, args: PageArgs & { model?: Id }, ctx: Context) {
  return keysetConnection(args, defined({ imageId: image.id, modelId: args.model?.id }), (q) => pagePredictions(ctx.app, q));
}

export function imageExplanations(image: { id: string }, args: PageArgs & { model?: Id }, ctx: Context) {
  return keysetConnection(args, defined({ imageId: image.id, modelId: args.model?.id }), (q) => pageExplanations(ctx.app, q));
}
