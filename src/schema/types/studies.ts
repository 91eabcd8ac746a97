// Studies: images × models × methods in one request, each cell an ordinary explanation, with
// aggregated progress. (Predictions, comparisons and reports of a study extend these types.)
import type { StudyMethod } from '../../generated/sqlite/client.js';
import * as studies from '../../resolvers/studies.js';
import { STUDY_LIMITS } from '../../services/studies.js';
import { cellStateOf, studyProgress, type StudyProgress } from '../../services/study-progress.js';
import { findStudy, studyCells, studyImages, studyMethods, studyModels, type StudyCellView, type StudyImageView } from '../../services/study-queries.js';
import { STATUSES, isTerminal } from '../../services/statuses.js';
import { builder } from '../builder.js';
import { ExplanationMethodEnum } from './enums.js';
import { STUDY_ERRORS } from './errors.js';
import { EvaluationInput } from './evaluation.js';
import { byIdQuery, inputMutation } from './fields.js';
import { ParametersInput, TargetInput } from './explanation-inputs.js';
import { lifecycleMutations } from './lifecycle.js';
import { rowSubscription } from './live.js';
import { ExplanationRef, ImageRef, imageAndModelFields, ModelRef, StudyRef } from './nodes.js';

export const StudyStateEnum = builder.enumType('StudyState', {
  description: 'QUEUED until a cell starts; FAILED or CANCELLED when every cell has finished and one of them did so',
  values: STATUSES,
});
export const StudyCellStateEnum = builder.enumType('StudyCellState', {
  description: "The cell's explanation's status, or PENDING while the cell waits for room in the study's window",
  values: ['PENDING', ...STATUSES] as const,
});

const GroundTruthRef = builder.objectRef<{ synset: string | null; label: string | null }>('GroundTruth').implement({
  description: 'The class an image shows, as the study was told',
  fields: (t) => ({
    synset: t.exposeString('synset', { nullable: true, description: 'WordNet id, e.g. n02010272' }),
    label: t.exposeString('label', { nullable: true }),
  }),
});

const StudyImageRef = builder.objectRef<StudyImageView>('StudyImage').implement({
  fields: (t) => ({
    image: t.field({ type: ImageRef, resolve: (i) => i.image }),
    position: t.exposeInt('position', { description: 'Row of the study (0-based)' }),
    groundTruth: t.field({ type: GroundTruthRef, nullable: true, resolve: (i) => i.groundTruth }),
  }),
});

const StudyMethodRef = builder.objectRef<StudyMethod>('StudyMethod').implement({
  description: 'One method with its parameters; the same method may appear under several keys',
  fields: (t) => ({
    key: t.exposeString('key', { description: 'Unique within the study; cells name their method by it' }),
    method: t.field({ type: ExplanationMethodEnum, resolve: (m) => m.method as never }),
    label: t.exposeString('label', { description: 'Column caption in tables and figures' }),
    target: t.field({ type: 'JSON', nullable: true, description: 'As given: { topK } or { classIndices }, null for the default', resolve: (m) => (m.parameters as { target?: unknown }).target ?? null }),
    parameters: t.field({ type: 'JSON', description: 'The method blocks as given (ExplanationParametersInput); each cell shows the normalised ones', resolve: (m) => (m.parameters as { parameters?: unknown }).parameters ?? {} }),
    evaluation: t.field({ type: 'JSON', nullable: true, description: 'As given (EvaluationInput), null for none', resolve: (m) => (m.parameters as { evaluation?: unknown }).evaluation ?? null }),
    position: t.exposeInt('position'),
  }),
});

const StudyCellRef = builder.objectRef<StudyCellView>('StudyCell').implement({
  description: 'One image × model × method; an ordinary explanation, shared with any identical request',
  fields: (t) => ({
    ...imageAndModelFields(t),
    methodKey: t.exposeString('methodKey'),
    state: t.field({ type: StudyCellStateEnum, resolve: (c) => cellStateOf(c) }),
    weight: t.exposeFloat('weight', { description: 'Expected cost (model evaluations), the weight of the cell in the progress' }),
    position: t.exposeInt('position', { description: 'Queue order within the study' }),
    explanation: t.field({ type: ExplanationRef, nullable: true, description: 'Null while PENDING', resolve: (c) => c.explanation }),
  }),
});

const StudyProgressRef = builder.objectRef<StudyProgress>('StudyProgress').implement({
  fields: (t) => ({
    cellsDone: t.exposeInt('cellsDone', { description: 'Cells whose work is finished: succeeded or failed (cancelled cells are not done)' }),
    cellsFailed: t.exposeInt('cellsFailed'),
    cellsCancelled: t.exposeInt('cellsCancelled', { description: 'Cells whose run was cancelled: in the total, none of their work done, not in the ETA' }),
    cellsTotal: t.exposeInt('cellsTotal'),
    fraction: t.exposeFloat('fraction', { description: "0..1, each cell weighted by its expected cost, running cells by their own progress" }),
    etaSeconds: t.exposeFloat('etaSeconds', { nullable: true, description: 'From the rate of the work this study ran; null until there is one, 0 when finished' }),
  }),
});

builder.node(StudyRef, {
  id: { resolve: (s) => s.id },
  loadOne: (id, ctx) => findStudy(ctx.app, id),
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    seed: t.exposeInt('seed', { nullable: true, description: 'Seeds every cell; null means each method’s default (0)' }),
    state: t.field({ type: StudyStateEnum, resolve: (s) => s.state as never }),
    priority: t.exposeInt('priority'),
    createdBy: t.exposeString('createdBy', {
      nullable: true,
      description: 'An API key id (compare Viewer.id), "local" in open mode; null for studies migrated from free-text names (admins only)',
    }),
    images: t.field({ type: [StudyImageRef], resolve: (s, _a, ctx) => studyImages(ctx.app, s.id) }),
    models: t.field({ type: [ModelRef], resolve: (s, _a, ctx) => studyModels(ctx.app, s.id) }),
    methods: t.field({ type: [StudyMethodRef], resolve: (s, _a, ctx) => studyMethods(ctx.app, s.id) }),
    cells: t.field({ type: [StudyCellRef], description: 'In queue order: by image, then model, then method', resolve: (s, _a, ctx) => studyCells(ctx.app, s.id) }),
    progress: t.field({ type: StudyProgressRef, resolve: (s, _a, ctx) => studyProgress(ctx.app, s) }),
    explanations: t.connection({ type: ExplanationRef, description: 'Every explanation filed under the study', resolve: studies.studyExplanations }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
  }),
});

const StudyMethodInput = builder.inputType('StudyMethodInput', {
  fields: (t) => ({
    method: t.field({ type: ExplanationMethodEnum, required: true }),
    key: t.string({ description: 'Unique within the study (default: the method name, "lime", then "lime-2")' }),
    label: t.string({ description: 'Column caption (default: the key)' }),
    target: t.field({ type: TargetInput }),
    parameters: t.field({ type: ParametersInput }),
    evaluation: t.field({ type: EvaluationInput, description: 'Faithfulness curves and the randomization check of every cell of this method' }),
  }),
});

const GroundTruthInput = builder.inputType('GroundTruthInput', {
  fields: (t) => ({
    image: t.globalID({ for: ImageRef, required: true }),
    synset: t.string({ description: 'WordNet id, e.g. n02010272' }),
    label: t.string(),
  }),
});

const CreateStudyInput = builder.inputType('CreateStudyInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    description: t.string(),
    seed: t.int({ description: 'Seeds every cell; the same seed reproduces every result bit for bit' }),
    priority: t.int({ defaultValue: 0, description: 'Of every cell; higher runs first' }),
    images: t.globalIDList({ for: ImageRef, required: true, description: `Rows, in order (at most ${STUDY_LIMITS.images})` }),
    models: t.globalIDList({ for: ModelRef, required: true, description: `At most ${STUDY_LIMITS.models}` }),
    methods: t.field({ type: [StudyMethodInput], required: true, description: `At most ${STUDY_LIMITS.methods}; at most ${STUDY_LIMITS.cells} cells in all` }),
    groundTruth: t.field({ type: [GroundTruthInput] }),
  }),
});

const StudyFilter = builder.inputType('StudyFilter', {
  fields: (t) => ({
    state: t.field({ type: [StudyStateEnum] }),
    createdBy: t.string({ description: 'An API key id, or "local"' }),
  }),
});

builder.queryFields((t) => ({
  study: byIdQuery(t, StudyRef, findStudy),
  studies: t.connection({
    type: StudyRef,
    description: 'Newest first',
    args: { filter: t.arg({ type: StudyFilter }) },
    resolve: studies.studies,
  }),
}));

builder.mutationFields((t) => ({
  createStudy: inputMutation(t, {
    type: StudyRef,
    description: 'Creates the study and its cells and queues them (identical explanations are reused); a bad image, model or method refuses it whole',
    errors: STUDY_ERRORS,
    input: CreateStudyInput,
    resolve: studies.createStudy,
  }),
  ...lifecycleMutations(t, 'Study', StudyRef, studies.lifecycle, {
    cancel: 'Stops queuing cells and cancels the queued or running explanations of the study. Its creator or an admin only',
    retry: 'Queues the failed, cancelled and never-run cells of a FAILED or CANCELLED study. Its creator or an admin only',
    remove: 'Deletes a finished study and its cells, returning its id; the explanations stay. Its creator or an admin only',
  }),
}));

builder.subscriptionFields((t) => ({
  studyUpdated: rowSubscription(t, 'study', {
    type: StudyRef,
    description: 'The current state, then the latest state after every change of a cell, until the study finishes',
    load: findStudy,
    // The event only says that something changed; a deleted study ends the stream.
    changed: (_event, app, id) => findStudy(app, id),
    isFinal: (s) => isTerminal(s.state),
  }),
}));
