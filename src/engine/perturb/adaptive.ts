// Sampling that stops once the top-k answer has settled: evaluate a first block of samples, fit,
// read the fit's uncertainty, and go on until the rule is met or the sample budget is spent.
// STABILITY stops when the top-k set's stability reaches the confidence asked for. EXPECTED_GAIN
// stops when spending the rest of the budget is expected to add fewer than ε features to the top-k's
// overlap with the large-sample top-k: near-ties that no affordable budget resolves never become
// "stable", but continuing does not help them either. The next check is placed at the expected
// stopping point (the spread shrinks as 1/√n), at most `growth` × the samples so far (DEFAULT_GROWTH
// unless the caller sets it, as LIME does per mask design), so few checks are made and a wrong
// extrapolation costs little.
import { expectedSamples, type WeightDistribution } from './uncertainty.ts';
import type { AdaptiveRecord, StabilityCheck, StopReason, StoppingRule } from './uncertainty-records.ts';

export type { AdaptiveRecord, StabilityCheck, StopReason, StoppingRule } from './uncertainty-records.ts';

export interface AdaptiveOptions {
  /** Samples before the first check, the budget, and the step granularity (the batch size). */
  first: number;
  max: number;
  granularity: number;
  confidence: number;
  topK: number;
  rule: StoppingRule;
  /** The next check is at most this many times the samples so far. */
  growth?: number;
  /** Evaluates samples up to `upTo`; `progress` is what the progress reports should show. */
  evaluate: (upTo: number, progress: { expected: number; stability: number | null }) => Promise<void>;
  /** Fits on the first n samples and returns each explained class's weight distribution. */
  assess: (n: number) => WeightDistribution[];
  onCheck?: (check: StabilityCheck) => void;
}

export const DEFAULT_GROWTH = 1.5;
/** The rule a request's parameters ask for. */
export function stoppingRuleOf(p: { stoppingRule: StoppingRule['kind']; gainTolerance: number }): StoppingRule {
  return p.stoppingRule === 'EXPECTED_GAIN' ? { kind: 'EXPECTED_GAIN', epsilon: p.gainTolerance } : { kind: 'STABILITY' };
}

const roundUp = (x: number, g: number) => Math.ceil(x / g) * g;

/** Largest expected gain over the classes from going on from n to max samples. */
export function expectedGain(dists: readonly WeightDistribution[], n: number, max: number): number {
  const t = Math.sqrt(max / n);
  return Math.max(0, ...dists.map((d) => {
    const e = d.expectedOverlap(t);
    return e.later - e.now;
  }));
}

export async function sampleUntilStable(o: AdaptiveOptions): Promise<{ record: AdaptiveRecord; dists: WeightDistribution[] }> {
  const checks: StabilityCheck[] = [];
  let bookkeepingMs = 0;
  let target = Math.min(o.max, roundUp(o.first, o.granularity));
  let expected = o.max;
  let stability: number | null = null;
  for (;;) {
    // The run goes on at least to the next check, so the expected total is never short of it.
    await o.evaluate(target, { expected: Math.max(expected, target), stability });
    const n = target;
    const t0 = performance.now();
    const dists = o.assess(n);
    stability = Math.min(...dists.map((d) => d.stability()));
    const gain = n < o.max ? expectedGain(dists, n, o.max) : 0;
    const stable = stability >= o.confidence;
    const settled = o.rule.kind === 'EXPECTED_GAIN' && n < o.max && gain < o.rule.epsilon;
    if (stable || settled) expected = n;
    else if (o.rule.kind === 'EXPECTED_GAIN') {
      // The gain to the budget shrinks about as 1/√n: ε is expected at n·(gain/ε)².
      expected = Math.min(o.max, Math.ceil(n * (gain / o.rule.epsilon) ** 2));
    } else expected = expectedSamples(dists, n, o.max, o.confidence);
    bookkeepingMs += performance.now() - t0;
    const check = { samples: n, stability, expectedGain: gain, expectedSamples: expected };
    checks.push(check);
    o.onCheck?.(check);
    const stopReason: StopReason | null = stable ? 'STABLE' : settled ? 'NO_EXPECTED_GAIN' : n >= o.max ? 'MAX_SAMPLES' : null;
    if (stopReason) {
      const record: AdaptiveRecord = {
        rule: o.rule.kind,
        gainTolerance: o.rule.kind === 'EXPECTED_GAIN' ? o.rule.epsilon : null,
        confidence: o.confidence,
        topK: o.topK,
        samplesUsed: n,
        maxSamples: o.max,
        stopReason,
        checks,
        bookkeepingMs,
      };
      return { record, dists };
    }
    const next = Math.min(Math.max(expected, n + o.granularity), Math.floor((o.growth ?? DEFAULT_GROWTH) * n));
    target = Math.min(o.max, roundUp(Math.max(next, n + 1), o.granularity));
  }
}
