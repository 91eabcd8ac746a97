// What LIME and Kernel SHAP store in their result about how sure the fit is (result.uncertainty and
// result.adaptive). Types only and no imports, so the portal reads stored results with these very
// types (scripts/imports.ts: BROWSER_SAFE).

export interface ClassUncertainty {
  classIndex: number;
  /** Probability that the reported top-k set is the top-k set of the weights' distribution. */
  stability: number;
  /** The reported top-k set (segment indices by |weight|, ascending). */
  topSet: number[];
  /** Per segment: the weight, its standard deviation and 95% interval. */
  weights: number[];
  sd: number[];
  lower: number[];
  upper: number[];
}

export interface Uncertainty {
  estimator: 'HC3_SANDWICH';
  level: 0.95;
  topK: number;
  effectiveSampleSize: number;
  /** Minimum over the explained classes. */
  stability: number;
  classes: ClassUncertainty[];
}

export type StopReason = 'STABLE' | 'NO_EXPECTED_GAIN' | 'MAX_SAMPLES';
export type StoppingRule = { kind: 'STABILITY' } | { kind: 'EXPECTED_GAIN'; epsilon: number };

export interface StabilityCheck {
  samples: number;
  stability: number;
  /** Expected gain in top-k overlap from spending the whole budget (worst class); absent in older results. */
  expectedGain?: number;
  expectedSamples: number;
}

/** What an adaptive run records with its result. */
export interface AdaptiveRecord {
  /** Absent in results from before the rule was a choice (they are STABILITY). */
  rule?: StoppingRule['kind'];
  /** EXPECTED_GAIN's ε (features of the top-k); null for STABILITY. */
  gainTolerance?: number | null;
  confidence: number;
  topK: number;
  samplesUsed: number;
  maxSamples: number;
  stopReason: StopReason;
  checks: StabilityCheck[];
  /** Time spent fitting and assessing at the checks (not sampling). */
  bookkeepingMs: number;
}
