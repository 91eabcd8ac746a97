// Faithfulness and sanity metrics of explanations: what a request may ask for, and what it stored.
import type { Faithfulness } from '../../generated/sqlite/client.js';
import { FAITHFULNESS_DEFAULTS, FAITHFULNESS_FILLS } from '../../engine/metrics/faithfulness.js';
import type { RandomizationResult } from '../../engine/metrics/randomization.js';
import { EXPLANATION_ORDERS } from '../../resolvers/queries.js';
import { faithfulnessOf } from '../../services/queries.js';
import { builder } from '../builder.js';
import { describedEnum } from './fields.js';
import { ExplanationRef } from './nodes.js';

export const FaithfulnessFillEnum = describedEnum('FaithfulnessFill', {
  BLUR: 'A Gaussian-blurred copy of the model input (σ = blurSigma pixels)',
  MEAN: "The model input's mean color",
  BLACK: 'Black',
} satisfies Record<(typeof FAITHFULNESS_FILLS)[number], string>, 'What deleted pixels become, and what insertion starts from');

export const ExplanationOrderEnum = builder.enumType('ExplanationOrder', {
  description: 'Orders of the explanations list; ordered by a metric, explanations without it are left out (ties newest first when descending)',
  values: Object.keys(EXPLANATION_ORDERS) as (keyof typeof EXPLANATION_ORDERS)[],
});

const FaithfulnessInput = builder.inputType('FaithfulnessInput', {
  description: 'Deletion and insertion curves (most relevant pixels first) for every explained class',
  fields: (t) => ({
    steps: t.int({ description: `Curve steps N: N + 1 points per curve, 2(N + 1) forward passes per class (default ${FAITHFULNESS_DEFAULTS.steps})` }),
    fill: t.field({ type: FaithfulnessFillEnum, description: `Default ${FAITHFULNESS_DEFAULTS.fill}` }),
    blurSigma: t.float({ description: `Gaussian σ in pixels for fill BLUR (default ${FAITHFULNESS_DEFAULTS.blurSigma})` }),
    batchSize: t.int({ description: `Images per inference batch (default ${FAITHFULNESS_DEFAULTS.batchSize})` }),
  }),
});

const RandomizationInput = builder.inputType('RandomizationInput', {
  description: 'The model-parameter randomization sanity check: the same method on a copy of the model whose top weighted layers are redrawn',
  fields: (t) => ({
    layers: t.int({ description: 'How many weighted layers (Conv, Gemm, MatMul), counted from the output, are redrawn (default 1)' }),
    seed: t.int({ description: 'Seed of the random weights (default 0)' }),
  }),
});

export const EvaluationInput = builder.inputType('EvaluationInput', {
  description: 'Metrics computed in the same run as the maps; part of the request (an identical request with the same evaluation is reused)',
  fields: (t) => ({
    faithfulness: t.field({ type: FaithfulnessInput }),
    randomization: t.field({ type: RandomizationInput }),
  }),
});

const FaithfulnessCurveRef = builder.objectRef<Faithfulness>('FaithfulnessCurve').implement({
  description: 'Deletion and insertion curves of one explained class: its probability as the most relevant pixels are removed (deletion) or restored into the fill (insertion); areas by the trapezoid rule over the fraction of pixels',
  fields: (t) => ({
    classIndex: t.exposeInt('classIndex'),
    steps: t.exposeInt('steps'),
    fill: t.field({ type: FaithfulnessFillEnum, resolve: (f) => f.fill as never }),
    blurSigma: t.exposeFloat('blurSigma'),
    fractions: t.floatList({ description: 'Fraction of the pixels changed at each step, 0 … 1', resolve: (f) => f.fractions as number[] }),
    deletion: t.floatList({ description: 'Probability of the class at each deletion step', resolve: (f) => f.deletion as number[] }),
    insertion: t.floatList({ description: 'Probability of the class at each insertion step', resolve: (f) => f.insertion as number[] }),
    deletionAuc: t.exposeFloat('deletionAuc', { description: 'Lower means the map points at what the model uses' }),
    insertionAuc: t.exposeFloat('insertionAuc', { description: 'Higher means the map points at what the model uses' }),
  }),
});

const ClassCorrelationRef = builder.objectRef<RandomizationResult['perClass'][number]>('ClassCorrelation').implement({
  fields: (t) => ({
    classIndex: t.exposeInt('classIndex'),
    spearman: t.exposeFloat('spearman', { nullable: true, description: 'Null when either map is constant' }),
  }),
});

const RandomizationCheckRef = builder.objectRef<RandomizationResult>('RandomizationCheck').implement({
  description: 'Rank correlation between the explanation on the trained model and on a copy with randomized top layers: a map that barely changes does not depend on what the model learned',
  fields: (t) => ({
    layers: t.exposeInt('layers'),
    seed: t.exposeInt('seed'),
    randomizedWeights: t.stringList({ description: 'The weight tensors that were redrawn, top first', resolve: (r) => r.randomized }),
    perClass: t.field({ type: [ClassCorrelationRef], resolve: (r) => r.perClass }),
    spearman: t.exposeFloat('spearman', { nullable: true, description: 'Mean over the classes' }),
  }),
});

builder.objectFields(ExplanationRef, (t) => ({
  faithfulness: t.field({
    type: [FaithfulnessCurveRef],
    description: 'Deletion and insertion curves per explained class (empty unless evaluation.faithfulness was asked for)',
    resolve: (e, _a, ctx) => faithfulnessOf(ctx.app, e),
  }),
  deletionAuc: t.exposeFloat('deletionAuc', { nullable: true, description: "The first explained class's deletion AUC (Query.explanations can order by it)" }),
  insertionAuc: t.exposeFloat('insertionAuc', { nullable: true, description: "The first explained class's insertion AUC" }),
  randomization: t.field({
    type: RandomizationCheckRef,
    nullable: true,
    resolve: (e) => (e.randomization as unknown as RandomizationResult | null) ?? null,
  }),
}));
