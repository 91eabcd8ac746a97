// How sure each LIME / Kernel SHAP cell of a study is: its top-k stability, effective sample size,
// each segment's weight with its 95% interval and, for adaptive runs, the stopping rule, the samples
// used and why sampling stopped. Read from the stored result (summary.uncertainty and
// summary.adaptive, src/engine/perturb), shown in the tile captions, tables (CSV and JSON; the
// intervals in their own CSV) and a section of report.html.
import type { AdaptiveRecord, StopReason, StoppingRule } from '../perturb/adaptive.ts';
import type { ClassUncertainty, Uncertainty } from '../perturb/uncertainty.ts';
import { toCsv } from './csv.ts';
import { escapeXml } from './figures.ts';

/** The study's names, by index (a ReportInput). */
interface Names {
  images: { name: string }[];
  models: { name: string }[];
  methods: { label: string }[];
}

export interface StabilityFact {
  image: number;
  model: number;
  method: number;
  topK: number;
  stability: number;
  effectiveSampleSize: number;
  samplesUsed: number;
  /** Adaptive runs only. */
  confidence: number | null;
  stopReason: AdaptiveRecord['stopReason'] | null;
  rule: StoppingRule['kind'] | null;
  /** EXPECTED_GAIN's ε. */
  gainTolerance: number | null;
  /** Per explained class: the weights with their sd and 95% interval, and the top-k set. */
  classes: ClassUncertainty[];
}

/** The fact for one cell from its stored result, null when the result carries no uncertainty. */
export function stabilityFact(cell: { image: number; model: number; method: number }, result: unknown): StabilityFact | null {
  const r = result as { uncertainty?: Uncertainty; adaptive?: AdaptiveRecord; samplesUsed?: number } | null;
  const u = r?.uncertainty;
  if (!u || typeof u.stability !== 'number') return null;
  return {
    image: cell.image,
    model: cell.model,
    method: cell.method,
    topK: u.topK,
    stability: u.stability,
    effectiveSampleSize: u.effectiveSampleSize,
    samplesUsed: Number(r.samplesUsed ?? r.adaptive?.samplesUsed ?? 0),
    confidence: r.adaptive?.confidence ?? null,
    stopReason: r.adaptive?.stopReason ?? null,
    // Adaptive results from before the rule was a choice have no rule: they stopped on the stability.
    rule: r.adaptive ? (r.adaptive.rule ?? 'STABILITY') : null,
    gainTolerance: r.adaptive?.gainTolerance ?? null,
    classes: Array.isArray(u.classes) ? u.classes : [],
  };
}

/** What the tile caption adds: "top-5 stability 82%". */
export const stabilityCaption = (f: StabilityFact) => `top-${f.topK} stability ${Math.round(100 * f.stability)}%`;

const names = (input: Names, f: Pick<StabilityFact, 'image' | 'model' | 'method'>) => [input.images[f.image].name, input.models[f.model].name, input.methods[f.method].label];

export function stabilityTables(input: Names, facts: readonly StabilityFact[]): { name: string; text: string }[] {
  const header = ['image', 'model', 'method', 'top_k', 'stability', 'effective_sample_size', 'samples_used', 'confidence', 'stop_reason', 'stopping_rule', 'gain_tolerance'];
  const rows = facts.map((f) => [...names(input, f), f.topK, f.stability, f.effectiveSampleSize, f.samplesUsed, f.confidence, f.stopReason, f.rule, f.gainTolerance]);
  const json = facts.map(({ classes: _, ...f }) => {
    const [image, model, method] = names(input, f);
    return { ...f, image, model, method };
  });
  const intervalHeader = ['image', 'model', 'method', 'class_index', 'segment', 'weight', 'sd', 'lower_95', 'upper_95', 'in_top_k'];
  const intervals = facts.flatMap((f) =>
    f.classes.flatMap((c) => c.weights.map((w, j) => [...names(input, f), c.classIndex, j, w, c.sd[j], c.lower[j], c.upper[j], c.topSet.includes(j) ? 1 : 0])),
  );
  return [
    { name: 'tables/stability.csv', text: toCsv(header, rows) },
    { name: 'tables/stability.json', text: `${JSON.stringify(json, null, 2)}\n` },
    ...(intervals.length ? [{ name: 'tables/weight-intervals.csv', text: toCsv(intervalHeader, intervals) }] : []),
  ];
}

const STOPPED: Record<StopReason, string> = { STABLE: 'stable', NO_EXPECTED_GAIN: 'no expected gain', MAX_SAMPLES: 'budget spent' };

export function stabilityHtml(input: Names, facts: readonly StabilityFact[]): string {
  if (!facts.length) return '';
  const esc = escapeXml;
  const out = [
    `<h2>Stability</h2><p>For LIME and Kernel SHAP: the probability that the reported top-k segments are the top-k set (from the spread of the weights over random sampling), the effective sample size of the kernel weights, and for adaptive runs the samples used and why sampling stopped.${facts.some((f) => f.classes.length) ? ' Each segment\'s weight with its 95% interval is in tables/weight-intervals.csv.' : ''}</p>`,
    '<table><thead><tr><th>image</th><th>model</th><th>method</th><th>top-k stability</th><th>effective samples</th><th>samples used</th><th>stopped</th></tr></thead><tbody>',
  ];
  for (const f of facts) {
    const [image, model, method] = names(input, f).map(esc);
    const rule = f.rule === 'EXPECTED_GAIN' ? `expected gain < ${f.gainTolerance}, confidence ${f.confidence}` : `confidence ${f.confidence}`;
    const stopped = f.stopReason ? `${STOPPED[f.stopReason]} (${rule})` : 'plain run';
    out.push(`<tr><td>${image}</td><td>${model}</td><td>${method}</td><td class="n">top-${f.topK}: ${(100 * f.stability).toFixed(1)}%</td><td class="n">${f.effectiveSampleSize.toFixed(0)}</td><td class="n">${f.samplesUsed}</td><td>${esc(stopped)}</td></tr>`);
  }
  out.push('</tbody></table>');
  return out.join('\n');
}
