// What the portal shows of a LIME / Kernel SHAP result's uncertainty (result.uncertainty and
// result.adaptive, written by src/engine/perturb/uncertainty.ts and adaptive.ts): the stability
// next to the figure, and the largest weights with their 95% intervals as error bars. Pure, so
// unit-tested without a browser. The record types are the engine's own (a types-only module).
import type { AdaptiveRecord, ClassUncertainty, Uncertainty } from '../../../src/engine/perturb/uncertainty-records.ts';

export type { ClassUncertainty };
export type UncertaintySummary = Pick<Uncertainty, 'topK' | 'effectiveSampleSize' | 'stability' | 'classes'>;
export type AdaptiveSummary = Pick<AdaptiveRecord, 'confidence' | 'samplesUsed' | 'maxSamples' | 'stopReason'>;

const STOP_REASONS = ['STABLE', 'NO_EXPECTED_GAIN', 'MAX_SAMPLES'] as const;

const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number');

/** result.uncertainty when it is well formed, else null (older results have none). */
export function uncertaintyOf(result: unknown): UncertaintySummary | null {
  const u = (result as { uncertainty?: Partial<UncertaintySummary> } | null)?.uncertainty;
  if (!u || typeof u.stability !== 'number' || typeof u.topK !== 'number' || !Array.isArray(u.classes)) return null;
  const classes = u.classes.filter(
    (c) => typeof c?.classIndex === 'number' && typeof c.stability === 'number' && isNumbers(c.weights) && isNumbers(c.lower) && isNumbers(c.upper) && isNumbers(c.sd),
  );
  return { topK: u.topK, effectiveSampleSize: Number(u.effectiveSampleSize ?? 0), stability: u.stability, classes };
}

export function adaptiveOf(result: unknown): AdaptiveSummary | null {
  const a = (result as { adaptive?: Partial<AdaptiveSummary> } | null)?.adaptive;
  if (!a || typeof a.samplesUsed !== 'number' || typeof a.maxSamples !== 'number') return null;
  return { confidence: Number(a.confidence), samplesUsed: a.samplesUsed, maxSamples: a.maxSamples, stopReason: STOP_REASONS.find((r) => r === a.stopReason) ?? 'MAX_SAMPLES' };
}

const pct = (x: number) => `${Math.round(100 * x)}%`;

/** "top-5 stability 97% · 812 effective samples · stopped stable at 400 of 1000 samples". */
export function stabilityText(u: UncertaintySummary, c: ClassUncertainty | undefined, a: AdaptiveSummary | null): string {
  const parts = [`top-${u.topK} stability ${pct(c?.stability ?? u.stability)}`, `${Math.round(u.effectiveSampleSize)} effective samples`];
  if (a) {
    parts.push(
      a.stopReason === 'STABLE'
        ? `stopped stable (≥ ${pct(a.confidence)}) at ${a.samplesUsed} of ${a.maxSamples} samples`
        : a.stopReason === 'NO_EXPECTED_GAIN'
          ? `stopped at ${a.samplesUsed} of ${a.maxSamples} samples: more would hardly change the top set`
          : `not stable at ${pct(a.confidence)} within ${a.maxSamples} samples`,
    );
  }
  return parts.join(' · ');
}

export interface Bar {
  segment: number;
  weight: number;
  lower: number;
  upper: number;
  inTop: boolean;
}

/** The n segments with the largest |weight| (ties: lower index first), largest first. */
export function errorBars(c: ClassUncertainty, n: number): Bar[] {
  const top = new Set(c.topSet);
  return c.weights
    .map((weight, segment) => ({ segment, weight, lower: c.lower[segment], upper: c.upper[segment], inTop: top.has(segment) }))
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.segment - b.segment)
    .slice(0, n);
}

/** Maps weights to x pixels over [0, width] so that every bar and interval fits, 0 included. */
export function barScale(bars: readonly Bar[], width: number): (v: number) => number {
  let lo = 0;
  let hi = 0;
  for (const b of bars) {
    lo = Math.min(lo, b.lower, b.weight);
    hi = Math.max(hi, b.upper, b.weight);
  }
  const span = hi - lo || 1;
  return (v) => ((v - lo) / span) * width;
}
