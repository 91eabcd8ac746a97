// How sure each LIME / Kernel SHAP cell of a study is: its top-k stability, effective sample size
// and, for adaptive runs, the samples used and why sampling stopped. Read from the stored result
// (summary.uncertainty and summary.adaptive, src/engine/perturb), shown in the tile captions, a
// table (CSV and JSON) and a section of report.html.
import type { AdaptiveRecord, StopReason } from '../perturb/adaptive.ts';
import type { Uncertainty } from '../perturb/uncertainty.ts';
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
  };
}

/** What the tile caption adds: "top-5 stability 82%". */
export const stabilityCaption = (f: StabilityFact) => `top-${f.topK} stability ${Math.round(100 * f.stability)}%`;

const names = (input: Names, f: StabilityFact) => [input.images[f.image].name, input.models[f.model].name, input.methods[f.method].label];

export function stabilityTables(input: Names, facts: readonly StabilityFact[]): { name: string; text: string }[] {
  const header = ['image', 'model', 'method', 'top_k', 'stability', 'effective_sample_size', 'samples_used', 'confidence', 'stop_reason'];
  const rows = facts.map((f) => [...names(input, f), f.topK, f.stability, f.effectiveSampleSize, f.samplesUsed, f.confidence, f.stopReason]);
  const json = facts.map((f) => {
    const [image, model, method] = names(input, f);
    return { ...f, image, model, method };
  });
  return [
    { name: 'tables/stability.csv', text: toCsv(header, rows) },
    { name: 'tables/stability.json', text: `${JSON.stringify(json, null, 2)}\n` },
  ];
}

const STOPPED: Record<StopReason, string> = { STABLE: 'stable', NO_EXPECTED_GAIN: 'no expected gain', MAX_SAMPLES: 'budget spent' };

export function stabilityHtml(input: Names, facts: readonly StabilityFact[]): string {
  if (!facts.length) return '';
  const esc = escapeXml;
  const out = [
    '<h2>Stability</h2><p>For LIME and Kernel SHAP: the probability that the reported top-k segments are the top-k set (from the spread of the weights over random sampling), the effective sample size of the kernel weights, and for adaptive runs the samples used and why sampling stopped.</p>',
    '<table><thead><tr><th>image</th><th>model</th><th>method</th><th>top-k stability</th><th>effective samples</th><th>samples used</th><th>stopped</th></tr></thead><tbody>',
  ];
  for (const f of facts) {
    const [image, model, method] = names(input, f).map(esc);
    const stopped = f.stopReason ? `${STOPPED[f.stopReason]} (confidence ${f.confidence})` : 'plain run';
    out.push(`<tr><td>${image}</td><td>${model}</td><td>${method}</td><td class="n">top-${f.topK}: ${(100 * f.stability).toFixed(1)}%</td><td class="n">${f.effectiveSampleSize.toFixed(0)}</td><td class="n">${f.samplesUsed}</td><td>${stopped}</td></tr>`);
  }
  out.push('</tbody></table>');
  return out.join('\n');
}
