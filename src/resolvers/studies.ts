// Study mutations and lists: GraphQL arguments to service requests.
import type { Context } from '../context.js';
import type { Method } from '../engine/methods.js';
import { cancelStudy as cancel, createStudy as create, deleteStudy as remove, retryStudy as retry } from '../services/studies.js';
import { pageExplanations } from '../services/queries.js';
import { pageStudies } from '../services/study-queries.js';
import { toEngineParameters, type ParametersArg, type TargetArg } from './explanations.js';
import { lifecycleResolvers, withRetryAfter } from './lifecycle.js';
import { keysetConnection, type PageArgs } from './pagination.js';

type Id = { id: string };

interface CreateStudyArgs {
  input: {
    name: string;
    description?: string | null;
    seed?: number | null;
    priority?: number | null;
    images: Id[];
    models: Id[];
    methods: { key?: string | null; label?: string | null; method: Method; target?: TargetArg; parameters?: ParametersArg; evaluation?: { faithfulness?: object | null; randomization?: object | null } | null }[];
    groundTruth?: { image: Id; synset?: string | null; label?: string | null }[] | null;
  };
}

export function createStudy(_root: unknown, { input }: CreateStudyArgs, ctx: Context) {
  return withRetryAfter(ctx, () =>
    create(ctx.app, {
      name: input.name,
      description: input.description ?? null,
      seed: input.seed ?? null,
      priority: input.priority ?? 0,
      imageIds: input.images.map((i) => i.id),
      modelIds: input.models.map((m) => m.id),
      methods: input.methods.map((m) => ({
        key: m.key ?? null,
        label: m.label ?? null,
        method: m.method,
        target: m.target ?? null,
        parameters: toEngineParameters(m.parameters),
        evaluation: m.evaluation ?? null,
      })),
      groundTruth: (input.groundTruth ?? []).map((g) => ({ imageId: g.image.id, synset: g.synset ?? null, label: g.label ?? null })),
      principal: ctx.principal,
    }),
  );
}

/** cancelStudy, retryStudy, deleteStudy. */
export const lifecycle = lifecycleResolvers('Study', { cancel, retry, remove });

interface StudyFilter {
  state?: string[] | null;
  createdBy?: string | null;
}

export function studies(_r: unknown, args: PageArgs & { filter?: StudyFilter | null }, ctx: Context) {
  const f = args.filter;
  const where: Record<string, unknown> = {};
  if (f?.state?.length) where.state = { in: f.state };
  if (f?.createdBy) where.createdBy = f.createdBy;
  return keysetConnection(args, where, (q) => pageStudies(ctx.app, q));
}

/** Study.explanations: every explanation filed under the study (its cells' and extra runs). */
export function studyExplanations(study: { id: string }, args: PageArgs, ctx: Context) {
  return keysetConnection(args, { studyId: study.id }, (q) => pageExplanations(ctx.app, q));
}
