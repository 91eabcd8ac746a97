// Sampling that stops once the top-k set is stable: evaluate a first block of samples, fit, read the
// top-k stability from the fit's uncertainty, and go on until it reaches the confidence asked for
// or the sample budget is spent. The next check is placed at the expected stopping point (the
// spread shrinks as 1/√n), at most 1.5× the samples so far, so few checks are made and a wrong
// extrapolation costs little.
import { expectedSamples, type WeightDistribution } from './uncertainty.ts';
import type { AdaptiveRecord, StabilityCheck, StopReason } from './uncertainty-records.ts';

export type { AdaptiveRecord, StabilityCheck, StopReason } from './uncertainty-records.ts';

export interface AdaptiveOptions {
  /** Samples before the first check, the budget, and the step granularity (the batch size). */
  first: number;
  max: number;
  granularity: number;
  confidence: number;
  topK: number;
  /** Evaluates samples up to `upTo`; `progress` is what the progress reports should show. */
  evaluate: (upTo: number, progress: { expected: number; stability: number | null }) => Promise<void>;
  /** Fits on the first n samples and returns each explained class's weight distribution. */
  assess: (n: number) => WeightDistribution[];
  onCheck?: (check: StabilityCheck) => void;
}

const roundUp = (x: number, g: number) => Math.ceil(x / g) * g;

export async function sampleUntilStable(o: AdaptiveOptions): Promise<{ record: AdaptiveRecord; dists: WeightDistribution[] }> {
  const checks: StabilityCheck[] = [];
  let bookkeepingMs = 0;
  let target = Math.min(o.max, roundUp(o.first, o.granularity));
  let expected = o.max;
  let stability: number | null = null;
  for (;;) {
    await o.evaluate(target, { expected, stability });
    const n = target;
    const t0 = performance.now();
    const dists = o.assess(n);
    stability = Math.min(...dists.map((d) => d.stability()));
    expected = stability >= o.confidence ? n : expectedSamples(dists, n, o.max, o.confidence);
    bookkeepingMs += performance.now() - t0;
    const check = { samples: n, stability, expectedSamples: expected };
    checks.push(check);
    o.onCheck?.(check);
    const stopReason: StopReason | null = stability >= o.confidence ? 'STABLE' : n >= o.max ? 'MAX_SAMPLES' : null;
    if (stopReason) {
      const record = { confidence: o.confidence, topK: o.topK, samplesUsed: n, maxSamples: o.max, stopReason, checks, bookkeepingMs };
      return { record, dists };
    }
    const next = Math.min(Math.max(expected, n + o.granularity), Math.floor(1.5 * n));
    target = Math.min(o.max, roundUp(Math.max(next, n + 1), o.granularity));
  }
}
