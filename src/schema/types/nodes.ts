// Relay node types over the persisted entities. Field resolvers only map rows; rows are loaded by
// the services (in batches, so a page of nodes costs one query per kind, not one per node).
import type { Artifact, Explanation, Image, Model, Prediction, Study } from '../../generated/sqlite/client.js';
import { METHODS, runsOnQuantized } from '../../engine/methods.js';
import { synsetFromFileName } from '../../engine/file-name-synset.js';
import type { ClassLabel, ClassScore } from '../../engine/types.js';
import { artifactUrl, imageUrl } from '../../http/urls.js';
import { imageExplanations, imagePredictions } from '../../resolvers/queries.js';
import { modelLayers, type Layer } from '../../services/layers.js';
import { artifactsOf, findExplanation, findPrediction, imageOf, modelOf } from '../../services/queries.js';
import { findImage, findModel } from '../../services/rows.js';
import { studyOf } from '../../services/study-queries.js';
import { modelInputOf, type ModelInputView } from '../../services/model-inputs.js';
import { builder } from '../builder.js';
import type { Types } from './fields.js';
import { ColorProfilePolicyEnum, ExplanationMethodEnum, ExplanationStatusEnum, InterpolationEnum, OrientationPolicyEnum, ResizeModeEnum } from './enums.js';

export const ImageRef = builder.objectRef<Image>('Image');
export const ModelRef = builder.objectRef<Model>('Model');
export const PredictionRef = builder.objectRef<Prediction>('Prediction');
export const ExplanationRef = builder.objectRef<Explanation>('Explanation');
export const ArtifactRef = builder.objectRef<Artifact>('Artifact');
/** Implemented in studies.ts. */
export const StudyRef = builder.objectRef<Study>('Study');

/** The image and the model a row was made from: predictions, explanations, study cells and study rows. */
export const imageAndModelFields = <Row extends { imageId: string; modelId: string }>(t: PothosSchemaTypes.ObjectFieldBuilder<Types, Row>) => ({
  image: t.field({ type: ImageRef, resolve: (r, _a, ctx) => imageOf(ctx.app, r) }),
  model: t.field({ type: ModelRef, resolve: (r, _a, ctx) => modelOf(ctx.app, r) }),
});

const ClassLabelRef = builder.objectRef<ClassLabel>('ClassLabel').implement({
  fields: (t) => ({
    index: t.exposeInt('index'),
    label: t.exposeString('label'),
    synset: t.exposeString('synset', { nullable: true }),
  }),
});

export const ClassScoreRef = builder.objectRef<ClassScore>('ClassScore').implement({
  fields: (t) => ({
    index: t.exposeInt('index'),
    label: t.exposeString('label'),
    synset: t.exposeString('synset', { nullable: true }),
    probability: t.exposeFloat('probability'),
    logit: t.exposeFloat('logit', { nullable: true, description: 'Null when the model outputs probabilities' }),
  }),
});

const ModelInputViewRef = builder.objectRef<ModelInputView>('ModelInputView').implement({
  description: "The image as one model sees it: the exact pixels its preprocessing makes, and where they lie in the decoded original",
  fields: (t) => ({
    url: t.string({ description: 'PNG of the model input (width × height), in the orientation the model reads', resolve: (v, _a, ctx) => artifactUrl(ctx.app.config.files, v) }),
    width: t.exposeInt('width'),
    height: t.exposeInt('height'),
    originalWidth: t.exposeInt('originalWidth', { description: 'The decoded original: the stored pixels, or after the EXIF orientation if the model applies it' }),
    originalHeight: t.exposeInt('originalHeight'),
    cropLeft: t.exposeFloat('cropLeft', { description: 'The input rectangle in original pixels (the whole image for STRETCH)' }),
    cropTop: t.exposeFloat('cropTop'),
    cropWidth: t.exposeFloat('cropWidth'),
    cropHeight: t.exposeFloat('cropHeight'),
  }),
});

builder.node(ImageRef, {
  id: { resolve: (i) => i.id },
  loadOne: (id, ctx) => findImage(ctx.app, id),
  fields: (t) => ({
    sha256: t.exposeString('sha256'),
    width: t.exposeInt('width', { description: 'As displayed: after the EXIF orientation (a model may read the stored pixels, see ModelInput.orientation)' }),
    height: t.exposeInt('height', { description: 'As displayed: after the EXIF orientation' }),
    format: t.exposeString('format'),
    originalName: t.exposeString('originalName', { nullable: true }),
    fileNameSynset: t.string({
      nullable: true,
      description: 'The ImageNet-style synset in the original file name (n02010272_1613.jpg), which a study takes as the ground truth when it is given none',
      resolve: (i) => synsetFromFileName(i.originalName),
    }),
    byteSize: t.exposeInt('byteSize'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    url: t.string({ description: 'The original upload, served with immutable caching; with API keys a signed link that expires', resolve: (i, _a, ctx) => imageUrl(ctx.app.config.files, i) }),
    modelInput: t.field({
      type: ModelInputViewRef,
      nullable: true,
      description: 'What this model reads from the image (null if there is no such model); rendered once, then cached',
      args: { model: t.arg.globalID({ for: ModelRef, required: true }) },
      resolve: (img, args, ctx) => modelInputOf(ctx.app, img, args.model.id),
    }),
    predictions: t.connection({
      type: PredictionRef,
      args: { model: t.arg.globalID({ for: ModelRef }) },
      resolve: imagePredictions,
    }),
    explanations: t.connection({
      type: ExplanationRef,
      args: { model: t.arg.globalID({ for: ModelRef }) },
      resolve: imageExplanations,
    }),
  }),
});

const ModelInputRef = builder.objectRef<Model>('ModelInput').implement({
  description: 'How images are turned into the model input tensor',
  fields: (t) => ({
    name: t.exposeString('inputName'),
    layout: t.exposeString('layout'),
    channelOrder: t.exposeString('channelOrder'),
    width: t.exposeInt('inputWidth'),
    height: t.exposeInt('inputHeight'),
    colorProfile: t.field({ type: ColorProfilePolicyEnum, resolve: (m) => m.colorProfile as never }),
    orientation: t.field({ type: OrientationPolicyEnum, resolve: (m) => m.orientation as never }),
    resizeMode: t.field({ type: ResizeModeEnum, resolve: (m) => m.resizeMode as never }),
    resizeShorter: t.exposeInt('resizeShorter', { nullable: true, description: 'CENTER_CROP: the shorter side after resizing; null for STRETCH' }),
    interpolation: t.field({ type: InterpolationEnum, resolve: (m) => m.interpolation as never }),
    scale: t.exposeFloat('scale'),
    mean: t.floatList({ resolve: (m) => m.mean as number[] }),
    std: t.floatList({ resolve: (m) => m.std as number[] }),
  }),
});

const LayerRef = builder.objectRef<Layer>('Layer').implement({
  description: 'A 4-D activation that CAM methods can target',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Pass as parameters.cam.targetLayer' }),
    opType: t.exposeString('opType'),
    nodeName: t.exposeString('nodeName'),
    shape: t.stringList({ description: 'Dimensions; symbolic ones by name, unknown ones as "?"', resolve: (l) => l.shape.map((d) => (d === null ? '?' : String(d))) }),
    isDefault: t.exposeBoolean('isDefault', { description: 'The last spatial activation before the classifier head' }),
  }),
});

builder.node(ModelRef, {
  id: { resolve: (m) => m.id },
  loadOne: (id, ctx) => findModel(ctx.app, id),
  fields: (t) => ({
    name: t.exposeString('name'),
    version: t.exposeString('version'),
    description: t.exposeString('description', { nullable: true }),
    builtin: t.exposeBoolean('builtin'),
    quantized: t.exposeBoolean('quantized', { description: `Quantized models run only the methods without gradients: ${METHODS.filter(runsOnQuantized).join(', ')}` }),
    sha256: t.exposeString('sha256'),
    byteSize: t.float({ resolve: (m) => m.byteSize }),
    input: t.field({ type: ModelInputRef, resolve: (m) => m }),
    outputName: t.exposeString('outputName'),
    outputKind: t.exposeString('outputKind'),
    numClasses: t.exposeInt('numClasses'),
    layers: t.field({
      type: [LayerRef],
      description: 'Candidate target layers for CAM methods, in graph order',
      resolve: (m, _a, ctx) => modelLayers(ctx.app, m),
    }),
    labels: t.field({
      type: [ClassLabelRef],
      args: { offset: t.arg.int({ defaultValue: 0 }), limit: t.arg.int({ defaultValue: 1000 }) },
      resolve: (m, { offset, limit }) => (m.labels as unknown as ClassLabel[]).slice(Math.max(0, offset ?? 0), Math.max(0, offset ?? 0) + Math.max(0, limit ?? 1000)),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.node(PredictionRef, {
  id: { resolve: (p) => p.id },
  loadOne: (id, ctx) => findPrediction(ctx.app, id),
  fields: (t) => ({
    ...imageAndModelFields(t),
    topK: t.exposeInt('topK'),
    classes: t.field({ type: [ClassScoreRef], resolve: (p) => p.classes as unknown as ClassScore[] }),
    top1: t.field({ type: ClassScoreRef, resolve: (p) => (p.classes as unknown as ClassScore[])[0] }),
    latencyMs: t.exposeFloat('latencyMs', { description: 'Preprocessing plus inference time' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.objectType(ArtifactRef, {
  description: 'A binary result (heatmap, overlay, mask, raw float map) served over HTTP',
  fields: (t) => ({
    kind: t.exposeString('kind'),
    name: t.exposeString('name'),
    mediaType: t.exposeString('mediaType'),
    byteSize: t.exposeInt('byteSize'),
    width: t.exposeInt('width', { nullable: true }),
    height: t.exposeInt('height', { nullable: true }),
    shape: t.intList({ nullable: true, resolve: (a) => (a.shape as number[] | null) ?? null }),
    url: t.string({ description: 'Served with immutable caching; with API keys a signed link that expires', resolve: (a, _a, ctx) => artifactUrl(ctx.app.config.files, a) }),
  }),
});

const ExplanationErrorRef = builder.objectRef<{ code: string; message: string }>('ExplanationError').implement({
  fields: (t) => ({ code: t.exposeString('code'), message: t.exposeString('message') }),
});

builder.node(ExplanationRef, {
  id: { resolve: (e) => e.id },
  loadOne: (id, ctx) => findExplanation(ctx.app, id),
  fields: (t) => ({
    ...imageAndModelFields(t),
    method: t.field({ type: ExplanationMethodEnum, resolve: (e) => e.method as never }),
    parameters: t.field({ type: 'JSON', description: 'Normalised parameters, defaults filled in', resolve: (e) => e.parameters }),
    seed: t.exposeInt('seed', { nullable: true }),
    targetClasses: t.intList({ resolve: (e) => e.targetClasses as number[] }),
    status: t.field({ type: ExplanationStatusEnum, resolve: (e) => e.status as never }),
    priority: t.exposeInt('priority'),
    study: t.field({ type: StudyRef, nullable: true, description: 'The study it was requested for', resolve: (e, _a, ctx) => studyOf(ctx.app, e) }),
    createdBy: t.exposeString('createdBy', {
      nullable: true,
      description: 'Who requested it: an API key id (compare Viewer.id), "local" in open mode, null if recorded before owners were',
    }),
    progress: t.exposeFloat('progress'),
    stage: t.exposeString('stage', { nullable: true }),
    samplesDone: t.exposeInt('samplesDone', { nullable: true }),
    samplesTotal: t.exposeInt('samplesTotal', { nullable: true }),
    etaSeconds: t.exposeFloat('etaSeconds', { nullable: true }),
    attempts: t.exposeInt('attempts'),
    caption: t.exposeString('caption', { nullable: true }),
    result: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.result }),
    error: t.field({
      type: ExplanationErrorRef,
      nullable: true,
      resolve: (e) => (e.errorCode ? { code: e.errorCode, message: e.errorMessage ?? '' } : null),
    }),
    artifacts: t.field({ type: [ArtifactRef], resolve: (e, _a, ctx) => artifactsOf(ctx.app, e) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    durationMs: t.exposeFloat('durationMs', { nullable: true }),
  }),
});
