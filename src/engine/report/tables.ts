// A study's tables, derived from its stored facts (predictions, agreement and faithfulness values):
// one derivation for the API and for the report, so both always show the same numbers.
import type { Agreement } from '../metrics/agreement.ts';
import type { Binarization } from '../metrics/binarize.ts';
import { summarize, type Summary } from '../metrics/stats.ts';
import type { ClassScore } from '../types.ts';

/** A class the user says an image shows: a WordNet synset (n01440764) and/or a label. */
export interface GroundTruth {
  synset: string | null;
  label: string | null;
  /** Given with the study, or read from an ImageNet-style file name (n02010272_1613.jpg). */
  source: 'INPUT' | 'FILE_NAME';
}

export interface PredictionFact {
  image: number;
  model: number;
  /** Top-k, most probable first. */
  classes: ClassScore[];
}

export interface PredictionRow extends PredictionFact {
  top1: ClassScore;
  /** Top-1 against the ground truth; null when the image has none. */
  correct: boolean | null;
  /** The models' top-1 classes for this image are not all the same. */
  disagrees: boolean;
}

/** Compared by synset when both sides have one, else by label (case-insensitive). */
function sameClass(a: { synset: string | null; label: string | null }, b: { synset: string | null; label: string | null }): boolean {
  if (a.synset && b.synset) return a.synset === b.synset;
  return !!a.label && !!b.label && a.label.toLowerCase() === b.label.toLowerCase();
}

export function predictionRows(facts: readonly PredictionFact[], groundTruth: readonly (GroundTruth | null)[]): PredictionRow[] {
  const byImage = new Map<number, ClassScore[]>();
  for (const f of facts) if (f.classes[0]) byImage.set(f.image, [...(byImage.get(f.image) ?? []), f.classes[0]]);
  return [...facts]
    .filter((f) => f.classes.length > 0)
    .sort((a, b) => a.image - b.image || a.model - b.model)
    .map((f) => {
      const top1 = f.classes[0];
      const gt = groundTruth[f.image] ?? null;
      const tops = byImage.get(f.image)!;
      return {
        ...f,
        top1,
        correct: gt ? sameClass(top1, gt) : null,
        disagrees: tops.some((t) => !sameClass(t, top1)),
      };
    });
}

/** One comparison of a study: method `a` of model `a` against method `b` of model `b`, on every image. */
export interface PairSpec {
  a: { model: number; method: number };
  b: { model: number; method: number };
}

export const AGREEMENT_METRICS = ['iou', 'dice', 'pearson', 'spearman', 'topKOverlap'] as const;
export type AgreementMetric = (typeof AGREEMENT_METRICS)[number];

export interface AgreementFact {
  pair: number;
  image: number;
  /** The classes compared (each explanation's first explained class). */
  classA: number;
  classB: number;
  value: Agreement;
}

export interface AgreementTable {
  pair: PairSpec;
  binarizationA: Binarization;
  binarizationB: Binarization;
  rows: AgreementFact[];
  summary: Record<AgreementMetric, Summary>;
}

export function agreementTables(
  pairs: readonly PairSpec[],
  facts: readonly AgreementFact[],
  binarizations: readonly Binarization[],
): AgreementTable[] {
  return pairs.map((pair, p) => {
    const rows = facts.filter((f) => f.pair === p).sort((x, y) => x.image - y.image);
    const summary = Object.fromEntries(AGREEMENT_METRICS.map((m) => [m, summarize(rows.map((r) => r.value[m]))])) as Record<AgreementMetric, Summary>;
    return { pair, binarizationA: binarizations[pair.a.method], binarizationB: binarizations[pair.b.method], rows, summary };
  });
}

export interface FaithfulnessFact {
  image: number;
  model: number;
  method: number;
  classIndex: number;
  deletionAuc: number;
  insertionAuc: number;
  fractions: number[];
  deletion: number[];
  insertion: number[];
}

export interface FaithfulnessSummary {
  model: number;
  method: number;
  deletionAuc: Summary;
  insertionAuc: Summary;
}

/** Facts grouped by (model, method), in model then method order. */
function byModelMethod<T extends { model: number; method: number }>(facts: readonly T[]): { model: number; method: number; rows: T[] }[] {
  const groups = new Map<string, { model: number; method: number; rows: T[] }>();
  for (const f of facts) {
    const k = `${f.model}:${f.method}`;
    if (!groups.has(k)) groups.set(k, { model: f.model, method: f.method, rows: [] });
    groups.get(k)!.rows.push(f);
  }
  return [...groups.values()].sort((a, b) => a.model - b.model || a.method - b.method);
}

export function faithfulnessSummaries(facts: readonly FaithfulnessFact[]): FaithfulnessSummary[] {
  return byModelMethod(facts).map(({ model, method, rows }) => ({
    model,
    method,
    deletionAuc: summarize(rows.map((r) => r.deletionAuc)),
    insertionAuc: summarize(rows.map((r) => r.insertionAuc)),
  }));
}

export interface RandomizationFact {
  image: number;
  model: number;
  method: number;
  layers: number;
  spearman: number | null;
}

export function randomizationSummaries(facts: readonly RandomizationFact[]): { model: number; method: number; spearman: Summary }[] {
  return byModelMethod(facts).map(({ model, method, rows }) => ({ model, method, spearman: summarize(rows.map((f) => f.spearman)) }));
}
