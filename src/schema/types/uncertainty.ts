// How sure a LIME or Kernel SHAP result is, and how an adaptive run stopped: typed views of what the
// engine stored with the result (src/engine/perturb/uncertainty.ts and adaptive.ts).
import type { AdaptiveRecord, StabilityCheck } from '../../engine/perturb/adaptive.js';
import type { ClassUncertainty, Uncertainty } from '../../engine/perturb/uncertainty.js';
import { builder } from '../builder.js';
import { describedEnum } from './fields.js';
import { StoppingRule } from './explanation-inputs.js';
import { ExplanationRef } from './nodes.js';

interface FeatureInterval {
  segment: number;
  weight: number;
  sd: number;
  lower: number;
  upper: number;
}

const FeatureIntervalRef = builder.objectRef<FeatureInterval>('FeatureInterval').implement({
  description: "A segment's weight with its standard deviation and 95% interval",
  fields: (t) => ({
    segment: t.exposeInt('segment'),
    weight: t.exposeFloat('weight'),
    sd: t.exposeFloat('sd'),
    lower: t.exposeFloat('lower'),
    upper: t.exposeFloat('upper'),
  }),
});

const ClassUncertaintyRef = builder.objectRef<ClassUncertainty>('ClassUncertainty').implement({
  fields: (t) => ({
    classIndex: t.exposeInt('classIndex'),
    stability: t.exposeFloat('stability', { description: 'Probability that topSet is the top-k set of this class' }),
    topSet: t.exposeIntList('topSet', { description: 'The reported top-k segments by |weight|, ascending' }),
    features: t.field({
      type: [FeatureIntervalRef],
      description: 'Every segment, in segment order',
      resolve: (c) => c.weights.map((weight, segment) => ({ segment, weight, sd: c.sd[segment], lower: c.lower[segment], upper: c.upper[segment] })),
    }),
  }),
});

const UncertaintyRef = builder.objectRef<Uncertainty>('ExplanationUncertainty').implement({
  description: 'The spread of the weights over random sampling (HC3 sandwich covariance) and the stability of the top-k set',
  fields: (t) => ({
    estimator: t.exposeString('estimator'),
    level: t.exposeFloat('level', { description: 'Confidence level of the intervals' }),
    topK: t.exposeInt('topK'),
    effectiveSampleSize: t.exposeFloat('effectiveSampleSize', { description: "Kish's (Σw)²/Σw² of the samples' kernel weights" }),
    stability: t.exposeFloat('stability', { description: 'Minimum over the explained classes' }),
    classes: t.field({ type: [ClassUncertaintyRef], resolve: (u) => u.classes }),
  }),
});

const StopReasonEnum = describedEnum('AdaptiveStopReason', {
  STABLE: 'The top-k stability reached the confidence asked for',
  NO_EXPECTED_GAIN: 'EXPECTED_GAIN: the rest of the budget was expected to add fewer than gainTolerance features to the top-k overlap',
  MAX_SAMPLES: 'The sample budget (numSamples / nsamples) was spent first',
});

const StabilityCheckRef = builder.objectRef<StabilityCheck>('StabilityCheck').implement({
  fields: (t) => ({
    samples: t.exposeInt('samples'),
    stability: t.exposeFloat('stability'),
    expectedSamples: t.exposeInt('expectedSamples', { description: 'Where the run then expected to stop' }),
    expectedGain: t.float({
      nullable: true,
      description: 'Features the rest of the budget was expected to add to the top-k overlap with the large-sample top-k (worst class)',
      resolve: (c) => c.expectedGain ?? null,
    }),
  }),
});

const AdaptiveRef = builder.objectRef<AdaptiveRecord>('AdaptiveSampling').implement({
  fields: (t) => ({
    rule: t.field({ type: StoppingRule, resolve: (a) => a.rule ?? 'STABILITY' }),
    gainTolerance: t.float({ nullable: true, resolve: (a) => a.gainTolerance ?? null }),
    confidence: t.exposeFloat('confidence'),
    topK: t.exposeInt('topK'),
    samplesUsed: t.exposeInt('samplesUsed'),
    maxSamples: t.exposeInt('maxSamples'),
    stopReason: t.field({ type: StopReasonEnum, resolve: (a) => a.stopReason }),
    checks: t.field({ type: [StabilityCheckRef], resolve: (a) => a.checks }),
  }),
});

const resultPart = <T>(e: { result: unknown }, key: string): T | null => {
  const r = e.result as Record<string, unknown> | null;
  return r && typeof r[key] === 'object' ? (r[key] as T) : null;
};

builder.objectFields(ExplanationRef, (t) => ({
  stability: t.exposeFloat('stability', {
    nullable: true,
    description: 'LIME / Kernel SHAP: probability that the top-k set is the top-k set; grows during adaptive sampling, final once done',
  }),
  uncertainty: t.field({ type: UncertaintyRef, nullable: true, resolve: (e) => resultPart<Uncertainty>(e, 'uncertainty') }),
  adaptiveSampling: t.field({
    type: AdaptiveRef,
    nullable: true,
    description: 'How many samples an adaptive run used and why it stopped',
    resolve: (e) => resultPart<AdaptiveRecord>(e, 'adaptive'),
  }),
}));
