// A study's results: the predictions table, the comparison (agreement) tables and the report archive.
import type { StudyReport } from '../../generated/sqlite/client.js';
import type { Binarization } from '../../engine/metrics/binarize.js';
import type { Summary } from '../../engine/metrics/stats.js';
import type { GroundTruth } from '../../engine/report/tables.js';
import { artifactUrl } from '../../http/urls.js';
import * as results from '../../resolvers/study-results.js';
import type { ComparisonTable } from '../../services/study-comparisons.js';
import { STUDY_TOP_K, type StudyPredictionRow } from '../../services/study-predictions.js';
import { findExplanation } from '../../services/queries.js';
import { findImage, findModel } from '../../services/rows.js';
import { builder } from '../builder.js';
import { describedEnum } from './fields.js';
import { PREDICT_ERRORS } from './errors.js';
import { ClassScoreRef, ExplanationRef, ImageRef, imageAndModelFields, ModelRef, StudyRef } from './nodes.js';

const BinarizationKindEnum = describedEnum('BinarizationKind', {
  LIME_FEATURES: "lime's get_image_and_mask(positive_only=True, num_features=k): the k first positive superpixels by |weight| (ties by segment id); LIME and Kernel SHAP maps only",
  THRESHOLD: 'Min–max scale the map ((x − min) / (max − min); a constant map is all 0), keep pixels ≥ value',
  TOP_PERCENT: 'The round(p·N/100) largest pixels (at least one), ties at the cut by lower pixel index (row-major)',
});

type BinarizationView = { kind: Binarization['kind']; numFeatures: number | null; value: number | null; percent: number | null };
const view = (b: Binarization): BinarizationView => ({
  kind: b.kind,
  numFeatures: b.kind === 'LIME_FEATURES' ? b.numFeatures : null,
  value: b.kind === 'THRESHOLD' ? b.value : null,
  percent: b.kind === 'TOP_PERCENT' ? b.percent : null,
});

const BinarizationRef = builder.objectRef<BinarizationView>('Binarization').implement({
  description: 'How a map became a mask, stored with every value made from it',
  fields: (t) => ({
    kind: t.field({ type: BinarizationKindEnum, resolve: (b) => b.kind }),
    numFeatures: t.exposeInt('numFeatures', { nullable: true, description: 'LIME_FEATURES: k' }),
    value: t.exposeFloat('value', { nullable: true, description: 'THRESHOLD: the cut after min–max scaling (0..1)' }),
    percent: t.exposeFloat('percent', { nullable: true, description: 'TOP_PERCENT: p' }),
  }),
});

export const BinarizationInput = builder.inputType('BinarizationInput', {
  fields: (t) => ({
    kind: t.field({ type: BinarizationKindEnum, required: true }),
    numFeatures: t.int({ description: 'LIME_FEATURES: k (default 5)' }),
    value: t.float({ description: 'THRESHOLD: 0..1 (default 0.5)' }),
    percent: t.float({ description: 'TOP_PERCENT: (0, 100] (default 10)' }),
  }),
});

const GroundTruthSourceEnum = builder.enumType('GroundTruthSource', {
  values: { INPUT: { description: 'Given with the study' }, FILE_NAME: { description: 'An ImageNet-style synset in the file name (n02010272_1613.jpg)' } } as const,
});

const ReferenceClassRef = builder.objectRef<GroundTruth>('ReferenceClass').implement({
  description: 'The class an image is known to show',
  fields: (t) => ({
    synset: t.exposeString('synset', { nullable: true }),
    label: t.exposeString('label', { nullable: true }),
    source: t.field({ type: GroundTruthSourceEnum, resolve: (g) => g.source }),
  }),
});

const StudyPredictionRef = builder.objectRef<StudyPredictionRow>('StudyPrediction').implement({
  description: 'One image through one model: its top-k classes, flagged against the other models and the ground truth',
  fields: (t) => ({
    ...imageAndModelFields(t),
    classes: t.field({ type: [ClassScoreRef], description: 'Most probable first', resolve: (r) => r.classes }),
    top1: t.field({ type: ClassScoreRef, resolve: (r) => r.top1 }),
    groundTruth: t.field({ type: ReferenceClassRef, nullable: true, resolve: (r) => r.groundTruth }),
    correct: t.boolean({ nullable: true, description: 'Top-1 against the ground truth (by synset when both have one, else by label); null without one', resolve: (r) => r.correct }),
    modelsDisagree: t.boolean({ description: "The study's models do not all give this image the same top-1 class", resolve: (r) => r.disagrees }),
  }),
});

const SummaryRef = builder.objectRef<Summary>('MetricSummary').implement({
  description: 'Over the rows with a value',
  fields: (t) => ({
    n: t.exposeInt('n'),
    mean: t.exposeFloat('mean', { nullable: true }),
    median: t.exposeFloat('median', { nullable: true }),
    sd: t.exposeFloat('sd', { nullable: true, description: 'Sample standard deviation (n − 1); null below two values' }),
  }),
});

type Row = ComparisonTable['rows'][number] & { explanationA: string; explanationB: string; imageId: string };
const AgreementRowRef = builder.objectRef<Row>('AgreementRow').implement({
  fields: (t) => ({
    image: t.field({ type: ImageRef, resolve: async (r, _a, ctx) => (await findImage(ctx.app, r.imageId))! }),
    explanationA: t.field({ type: ExplanationRef, resolve: async (r, _a, ctx) => (await findExplanation(ctx.app, r.explanationA))! }),
    explanationB: t.field({ type: ExplanationRef, resolve: async (r, _a, ctx) => (await findExplanation(ctx.app, r.explanationB))! }),
    classA: t.exposeInt('classA', { description: "Explanation A's first explained class (the one compared)" }),
    classB: t.exposeInt('classB'),
    iou: t.float({ description: '|A ∩ B| / |A ∪ B| of the masks (two empty masks: 1)', resolve: (r) => r.value.iou }),
    dice: t.float({ description: '2|A ∩ B| / (|A| + |B|)', resolve: (r) => r.value.dice }),
    pearson: t.float({ nullable: true, description: 'Of the maps; null when one is constant', resolve: (r) => r.value.pearson }),
    spearman: t.float({ nullable: true, description: 'Pearson of average ranks', resolve: (r) => r.value.spearman }),
    topKOverlap: t.float({ description: 'Shared fraction of each map’s top topPercent % pixels', resolve: (r) => r.value.topKOverlap }),
  }),
});

const AgreementSummaryRef = builder.objectRef<ComparisonTable['summary']>('AgreementSummary').implement({
  fields: (t) => ({
    iou: t.field({ type: SummaryRef, resolve: (s) => s.iou }),
    dice: t.field({ type: SummaryRef, resolve: (s) => s.dice }),
    pearson: t.field({ type: SummaryRef, resolve: (s) => s.pearson }),
    spearman: t.field({ type: SummaryRef, resolve: (s) => s.spearman }),
    topKOverlap: t.field({ type: SummaryRef, resolve: (s) => s.topKOverlap }),
  }),
});

type Column = { modelId: string; methodKey: string; label: string; binarization: Binarization };
const StudyColumnRef = builder.objectRef<Column>('StudyColumn').implement({
  description: 'One model × method of a study',
  fields: (t) => ({
    model: t.field({ type: ModelRef, resolve: async (c, _a, ctx) => (await findModel(ctx.app, c.modelId))! }),
    methodKey: t.exposeString('methodKey'),
    label: t.exposeString('label'),
    binarization: t.field({ type: BinarizationRef, resolve: (c) => view(c.binarization) }),
  }),
});

export type ComparisonView = { a: Column; b: Column; topPercent: number; rows: Row[]; summary: ComparisonTable['summary'] };
const StudyComparisonRef = builder.objectRef<ComparisonView>('StudyComparison').implement({
  description: 'Agreement of two columns on every image where both cells succeeded, with mean, median and sd',
  fields: (t) => ({
    a: t.field({ type: StudyColumnRef, resolve: (c) => c.a }),
    b: t.field({ type: StudyColumnRef, resolve: (c) => c.b }),
    topPercent: t.exposeFloat('topPercent', { description: 'The k of topKOverlap, as a percentage of the pixels' }),
    rows: t.field({ type: [AgreementRowRef], description: 'In study image order', resolve: (c) => c.rows }),
    summary: t.field({ type: AgreementSummaryRef, resolve: (c) => c.summary }),
  }),
});

const StudyReportRef = builder.objectRef<StudyReport>('StudyReport').implement({
  description: 'The report archive (ZIP): report.html, figure grids, every table as CSV and JSON, study.json. Rebuilding a finished study gives the same bytes',
  fields: (t) => ({
    url: t.string({ description: 'Served like artifacts: with API keys a signed link that expires (or send the key)', resolve: (r, _a, ctx) => artifactUrl(ctx.app.config.files, r) }),
    sha256: t.exposeString('sha256'),
    byteSize: t.exposeInt('byteSize'),
  }),
});

const ColumnInput = builder.inputType('StudyColumnInput', {
  fields: (t) => ({ model: t.globalID({ for: ModelRef, required: true }), methodKey: t.string({ required: true }) }),
});
const PairInput = builder.inputType('StudyPairInput', {
  fields: (t) => ({ a: t.field({ type: ColumnInput, required: true }), b: t.field({ type: ColumnInput, required: true }) }),
});
const MethodBinarizationInput = builder.inputType('MethodBinarizationInput', {
  fields: (t) => ({ methodKey: t.string({ required: true }), binarization: t.field({ type: BinarizationInput, required: true }) }),
});

builder.objectFields(StudyRef, (t) => ({
  predictions: t.field({
    type: [StudyPredictionRef],
    description: 'Per image and model (study order): top-k with probabilities and synsets; stored predictions are reused, missing ones run once',
    args: { topK: t.arg.int({ defaultValue: STUDY_TOP_K.default, description: `1 to ${STUDY_TOP_K.max}` }) },
    resolve: results.predictions,
  }),
  comparisons: t.field({
    type: [StudyComparisonRef],
    description:
      "Agreement tables. Default: every pair of methods within each model; binarization LIME_FEATURES k = 5 for LIME and Kernel SHAP, THRESHOLD 0.5 for the others. Values are stored with their binarizations",
    args: {
      pairs: t.arg({ type: [PairInput] }),
      binarizations: t.arg({ type: [MethodBinarizationInput], description: 'Per method key, instead of the default' }),
      topPercent: t.arg.float({ defaultValue: 10 }),
    },
    resolve: results.comparisons,
  }),
  report: t.field({
    type: StudyReportRef,
    nullable: true,
    description: 'The report archive once every cell has finished (built on first request); null before',
    resolve: results.report,
  }),
}));

builder.mutationFields((t) => ({
  buildStudyReport: t.field({
    type: StudyReportRef,
    description: 'Builds the report of a finished study again (identical bytes when nothing changed)',
    // A missing study, one still running, or the store unavailable: the same errors as predict.
    errors: { types: PREDICT_ERRORS },
    args: { id: t.arg.globalID({ for: StudyRef, required: true }) },
    resolve: results.buildReport,
  }),
}));
