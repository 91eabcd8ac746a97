// Read side: lists are Relay connections, newest first, with simple filters.
import * as queries from '../../resolvers/queries.js';
import { findExplanation, findModelByName, findPrediction } from '../../services/queries.js';
import { findImage, findModel } from '../../services/rows.js';
import { builder } from '../builder.js';
import { byIdQuery } from './fields.js';
import { identityOf } from '../../auth.js';
import { ExplanationMethodEnum, ExplanationStatusEnum, RoleEnum } from './enums.js';
import { ExplanationOrderEnum } from './evaluation.js';
import { ExplanationRef, ImageRef, ModelRef, PredictionRef, StudyRef } from './nodes.js';

const ViewerRef = builder.objectRef<{ id: string; role: string; name: string; open: boolean }>('Viewer').implement({
  fields: (t) => ({
    id: t.exposeString('id', { description: 'The API key id ("local" in open mode), as recorded in Explanation.createdBy' }),
    role: t.field({ type: RoleEnum, resolve: (v) => v.role as never }),
    name: t.exposeString('name'),
    open: t.exposeBoolean('open', { description: 'True when the service runs without authentication (localhost only)' }),
  }),
});

const ImageFilter = builder.inputType('ImageFilter', {
  fields: (t) => ({ sha256: t.string(), format: t.string() }),
});
const ModelFilter = builder.inputType('ModelFilter', {
  fields: (t) => ({ name: t.string(), builtin: t.boolean() }),
});
const PredictionFilter = builder.inputType('PredictionFilter', {
  fields: (t) => ({ image: t.globalID({ for: ImageRef }), model: t.globalID({ for: ModelRef }) }),
});
const ExplanationFilter = builder.inputType('ExplanationFilter', {
  fields: (t) => ({
    image: t.globalID({ for: ImageRef }),
    model: t.globalID({ for: ModelRef }),
    method: t.field({ type: ExplanationMethodEnum }),
    status: t.field({ type: [ExplanationStatusEnum] }),
    study: t.globalID({ for: StudyRef }),
  }),
});

builder.queryFields((t) => ({
  viewer: t.field({
    type: ViewerRef,
    resolve: (_r, _a, ctx) => ({ id: identityOf(ctx.principal), role: ctx.principal.role, name: ctx.principal.name, open: ctx.principal.keyId === null }),
  }),
  image: byIdQuery(t, ImageRef, findImage),
  model: byIdQuery(t, ModelRef, findModel),
  prediction: byIdQuery(t, PredictionRef, findPrediction),
  explanation: byIdQuery(t, ExplanationRef, findExplanation),
  images: t.connection({
    type: ImageRef,
    args: { filter: t.arg({ type: ImageFilter }) },
    resolve: queries.images,
  }),
  models: t.connection({
    type: ModelRef,
    args: { filter: t.arg({ type: ModelFilter }) },
    resolve: queries.models,
  }),
  modelByName: t.field({
    type: ModelRef,
    nullable: true,
    args: { name: t.arg.string({ required: true }), version: t.arg.string() },
    resolve: (_r, { name, version }, ctx) => findModelByName(ctx.app, name, version),
  }),
  predictions: t.connection({
    type: PredictionRef,
    args: { filter: t.arg({ type: PredictionFilter }) },
    resolve: queries.predictions,
  }),
  explanations: t.connection({
    type: ExplanationRef,
    args: { filter: t.arg({ type: ExplanationFilter }), orderBy: t.arg({ type: ExplanationOrderEnum, defaultValue: 'NEWEST' }) },
    resolve: queries.explanations,
  }),
}));
