// Study results: GraphQL arguments to service calls, service results to what the types show.
import type { Context } from '../context.js';
import type { Binarization } from '../engine/metrics/binarize.js';
import { loadStudyFacts } from '../services/study-facts.js';
import { studyComparisons } from '../services/study-comparisons.js';
import { studyPredictions, type StudyPredictionRow } from '../services/study-predictions.js';
import { buildStudyReport, studyReport } from '../services/study-report.js';

type Id = { id: string };
type Study = { id: string; state: string; finishedAt: Date | null };

export async function predictions(study: Study, args: { topK?: number | null }, ctx: Context): Promise<StudyPredictionRow[]> {
  return studyPredictions(ctx.app, await loadStudyFacts(ctx.app, study.id), args.topK ?? undefined);
}

interface BinarizationArg {
  kind: Binarization['kind'];
  numFeatures?: number | null;
  value?: number | null;
  percent?: number | null;
}

/** Input fields to the engine's binarization, its defaults for what is omitted. */
function binarizationOf(b: BinarizationArg): Binarization {
  if (b.kind === 'LIME_FEATURES') return { kind: b.kind, numFeatures: b.numFeatures ?? 5 };
  if (b.kind === 'THRESHOLD') return { kind: b.kind, value: b.value ?? 0.5 };
  return { kind: b.kind, percent: b.percent ?? 10 };
}

interface ComparisonArgs {
  pairs?: { a: { model: Id; methodKey: string }; b: { model: Id; methodKey: string } }[] | null;
  binarizations?: { methodKey: string; binarization: BinarizationArg }[] | null;
  topPercent?: number | null;
}

export async function comparisons(study: Study, args: ComparisonArgs, ctx: Context) {
  const facts = await loadStudyFacts(ctx.app, study.id);
  const tables = await studyComparisons(ctx.app, facts, {
    pairs: args.pairs?.map((p) => ({ a: { modelId: p.a.model.id, methodKey: p.a.methodKey }, b: { modelId: p.b.model.id, methodKey: p.b.methodKey } })) ?? null,
    binarizations: (args.binarizations ?? []).map((b) => ({ methodKey: b.methodKey, binarization: binarizationOf(b.binarization) })),
    topPercent: args.topPercent ?? 10,
  });
  const column = (c: { model: number; method: number }, binarization: Binarization) => ({
    modelId: facts.models[c.model].id,
    methodKey: facts.methods[c.method].key,
    label: facts.methods[c.method].label,
    binarization,
  });
  return tables.map((t) => ({
    a: column(t.pair.a, t.binarizationA),
    b: column(t.pair.b, t.binarizationB),
    topPercent: t.topPercent,
    rows: t.rows.map((r, i) => ({ ...r, imageId: facts.images[r.image].image.id, explanationA: t.explanations[i].a, explanationB: t.explanations[i].b })),
    summary: t.summary,
  }));
}

export function report(study: Study, _args: unknown, ctx: Context) {
  return studyReport(ctx.app, study);
}

export function buildReport(_root: unknown, args: { id: Id }, ctx: Context) {
  return buildStudyReport(ctx.app, args.id.id);
}
