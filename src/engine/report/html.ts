// report.html: one self-contained file (styles inline, figure grids as data URIs, curves as inline
// SVG) that opens offline. Numbers are shown to 4 digits; the CSV and JSON files keep full precision.
import type { ReportInput } from './types.ts';
import { stabilityHtml, type StabilityFact } from './stability.ts';
import { escapeXml } from './figures.ts';
import { AGREEMENT_METRICS, type AgreementTable, type FaithfulnessFact, type FaithfulnessSummary, type PredictionRow, type RandomizationFact } from './tables.ts';
import type { Summary } from '../metrics/stats.ts';
import type { ClassScore } from '../types.ts';

export interface HtmlParts {
  input: ReportInput;
  predictions: PredictionRow[];
  topK: number;
  figures: { view: string; name: string; png: Buffer; rows: [number, number] }[];
  agreement: { name: string; table: AgreementTable }[];
  faithfulness: FaithfulnessFact[];
  faithfulnessSummary: FaithfulnessSummary[];
  randomization: RandomizationFact[];
  randomizationSummary: { model: number; method: number; spearman: Summary }[];
  stability: StabilityFact[];
  files: string[];
}

const esc = escapeXml;
const num = (v: number | null | undefined, digits = 4) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits));
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const cls = (c: ClassScore) => `${c.synset ? `${esc(c.synset)} ` : ''}${esc(c.label)}`;
const yesNo = (v: boolean | null) => (v === null ? '–' : v ? 'yes' : 'no');

const METRIC_NAMES: Record<(typeof AGREEMENT_METRICS)[number], string> = {
  iou: 'IoU',
  dice: 'Dice',
  pearson: 'Pearson r',
  spearman: 'Spearman ρ',
  topKOverlap: 'top-k overlap',
};

const STYLE = `body{font-family:system-ui,sans-serif;color:#1b1b1f;margin:2rem;max-width:80rem;line-height:1.4}
table{border-collapse:collapse;margin:0.5rem 0 1.5rem;font-size:0.9rem}th,td{border:1px solid #d4d4da;padding:0.2rem 0.5rem;text-align:left}
th{background:#f0f0f4}td.n{text-align:right;font-variant-numeric:tabular-nums}tr.summary td{background:#f6f6f8;font-weight:600}
.flag{color:#a4161a;font-weight:600}img.grid{max-width:100%;border:1px solid #d4d4da}pre{background:#f6f6f8;padding:0.5rem;overflow:auto;font-size:0.8rem}
figure{margin:0 0 1.5rem}figcaption{font-size:0.85rem;color:#55565e}.curves{display:flex;flex-wrap:wrap;gap:1rem}`;

function summaryRows(cols: number, values: (s: 'mean' | 'median' | 'sd') => string[]): string {
  return (['mean', 'median', 'sd'] as const).map((s) => `<tr class="summary"><td colspan="${cols}">${s}</td>${values(s).map((v) => `<td class="n">${v}</td>`).join('')}</tr>`).join('');
}

function binarizationText(b: ReportInput['methods'][number]['binarization']): string {
  if (b.kind === 'LIME_FEATURES') return `LIME superpixels: the ${b.numFeatures} first positive features of local_exp (get_image_and_mask, positive_only)`;
  if (b.kind === 'THRESHOLD') return `min–max scaled map ≥ ${b.value}`;
  return `top ${b.percent}% of pixels (round(p·N/100), ties by lower pixel index)`;
}

/** Deletion and insertion curves of one (model, method): every image thin, their mean bold. */
function curvesSvg(title: string, rows: FaithfulnessFact[]): string {
  const W = 260;
  const H = 150;
  const pad = 28;
  const x = (f: number) => (pad + f * (W - pad - 8)).toFixed(1);
  const y = (p: number) => (H - pad - p * (H - pad - 8)).toFixed(1);
  const line = (fr: number[], ps: number[], color: string, width: number) =>
    `<polyline fill="none" stroke="${color}" stroke-width="${width}" points="${fr.map((f, i) => `${x(f)},${y(ps[i])}`).join(' ')}"/>`;
  const mean = (key: 'deletion' | 'insertion') => rows[0][key].map((_, i) => rows.reduce((s, r) => s + r[key][i], 0) / rows.length);
  const fr = rows[0].fractions;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${esc(title)}: deletion (red) and insertion (blue) curves">
<rect x="${pad}" y="8" width="${W - pad - 8}" height="${H - pad - 8}" fill="none" stroke="#b9b9c4"/>
${rows.map((r) => line(r.fractions, r.deletion, '#e8a3a5', 0.8) + line(r.fractions, r.insertion, '#a3b8e8', 0.8)).join('')}
${line(fr, mean('deletion'), '#a4161a', 2)}${line(fr, mean('insertion'), '#1f3f8f', 2)}
<text x="${pad}" y="${H - 8}" font-size="10">0</text><text x="${W - 20}" y="${H - 8}" font-size="10">1</text><text x="4" y="14" font-size="10">p=1</text>
<text x="${W / 2}" y="${H - 8}" font-size="10" text-anchor="middle">fraction of pixels changed</text></svg>`;
}

export function renderHtml(p: HtmlParts): string {
  const { input } = p;
  const s = input.study;
  const out: string[] = [];
  out.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(s.name)} — xai-lab study report</title><style>${STYLE}</style></head><body>`);
  out.push(`<h1>${esc(s.name)}</h1>`);
  if (s.description) out.push(`<p>${esc(s.description)}</p>`);
  out.push(
    `<p>${input.images.length} images × ${input.models.length} models × ${input.methods.length} methods = ${input.cells.length} explanations; seed ${s.seed}. ` +
      `Models: ${input.models.map((m) => `${esc(m.name)}:${esc(m.version)}`).join(', ')}. Methods: ${input.methods.map((m) => esc(m.label)).join(', ')}.</p>`,
  );

  out.push(`<h2>Predictions</h2><table><thead><tr><th>image</th><th>model</th><th>top-1</th><th>p</th><th>top-${p.topK}</th><th>ground truth</th><th>correct</th><th>models disagree</th></tr></thead><tbody>`);
  for (const r of p.predictions) {
    const gt = input.images[r.image].groundTruth;
    out.push(
      `<tr><td>${esc(input.images[r.image].name)}</td><td>${esc(input.models[r.model].name)}</td><td>${cls(r.top1)}</td><td class="n">${pct(r.top1.probability)}</td>` +
        `<td>${r.classes.map((c) => `${cls(c)} ${pct(c.probability)}`).join('; ')}</td><td>${gt ? esc(gt.synset ?? gt.label ?? '') + (gt.source === 'FILE_NAME' ? ' (file name)' : '') : '–'}</td>` +
        `<td${r.correct === false ? ' class="flag"' : ''}>${yesNo(r.correct)}</td><td${r.disagrees ? ' class="flag"' : ''}>${yesNo(r.disagrees)}</td></tr>`,
    );
  }
  out.push('</tbody></table>');

  out.push('<h2>Figures</h2><p>Rows are images, columns model × method; captions as the explanations name their class.</p>');
  for (const f of p.figures) {
    const what = f.view === 'default' ? 'LIME: positive superpixels' : 'LIME: positive and negative superpixels';
    out.push(
      `<figure><img class="grid" alt="Figure grid, images ${f.rows[0] + 1}–${f.rows[1]} (${what})" src="data:image/png;base64,${f.png.toString('base64')}"><figcaption>${esc(f.name)}: images ${f.rows[0] + 1}–${f.rows[1]}; ${what}.</figcaption></figure>`,
    );
  }

  if (p.agreement.length) {
    out.push('<h2>Agreement</h2>');
    for (const { name, table } of p.agreement) {
      out.push(`<h3>${esc(name)}</h3><p>Binarization: A = ${esc(binarizationText(table.binarizationA))}; B = ${esc(binarizationText(table.binarizationB))}. Top-k overlap over the top ${table.rows[0]?.value.topPercent ?? '–'}% of pixels.</p>`);
      out.push(`<table><thead><tr><th>image</th><th>classes</th>${AGREEMENT_METRICS.map((m) => `<th>${METRIC_NAMES[m]}</th>`).join('')}</tr></thead><tbody>`);
      for (const r of table.rows) out.push(`<tr><td>${esc(input.images[r.image].name)}</td><td>${r.classA} / ${r.classB}</td>${AGREEMENT_METRICS.map((m) => `<td class="n">${num(r.value[m])}</td>`).join('')}</tr>`);
      out.push(summaryRows(2, (st) => AGREEMENT_METRICS.map((m) => num(table.summary[m][st]))));
      out.push('</tbody></table>');
    }
  }

  if (p.faithfulness.length) {
    out.push('<h2>Faithfulness</h2><p>Deletion and insertion AUC: pixels ranked by the map, most relevant first (lower deletion AUC and higher insertion AUC are better).</p>');
    out.push('<table><thead><tr><th>model</th><th>method</th><th>n</th><th>deletion AUC mean</th><th>median</th><th>sd</th><th>insertion AUC mean</th><th>median</th><th>sd</th></tr></thead><tbody>');
    for (const f of p.faithfulnessSummary) {
      out.push(
        `<tr><td>${esc(input.models[f.model].name)}</td><td>${esc(input.methods[f.method].label)}</td><td class="n">${f.deletionAuc.n}</td>` +
          [f.deletionAuc, f.insertionAuc].map((x) => `<td class="n">${num(x.mean)}</td><td class="n">${num(x.median)}</td><td class="n">${num(x.sd)}</td>`).join('') +
          '</tr>',
      );
    }
    out.push('</tbody></table><div class="curves">');
    for (const f of p.faithfulnessSummary) {
      const rows = p.faithfulness.filter((r) => r.model === f.model && r.method === f.method);
      const title = `${input.models[f.model].name} · ${input.methods[f.method].label}`;
      out.push(`<figure>${curvesSvg(title, rows)}<figcaption>${esc(title)}: deletion (red), insertion (blue)</figcaption></figure>`);
    }
    out.push('</div><table><thead><tr><th>image</th><th>model</th><th>method</th><th>class</th><th>deletion AUC</th><th>insertion AUC</th></tr></thead><tbody>');
    for (const f of p.faithfulness) {
      out.push(`<tr><td>${esc(input.images[f.image].name)}</td><td>${esc(input.models[f.model].name)}</td><td>${esc(input.methods[f.method].label)}</td><td class="n">${f.classIndex}</td><td class="n">${num(f.deletionAuc)}</td><td class="n">${num(f.insertionAuc)}</td></tr>`);
    }
    out.push('</tbody></table>');
  }

  if (p.randomization.length) {
    out.push('<h2>Model-parameter randomization</h2><p>Spearman ρ between each map and the same method on a copy of the model with randomized top layers (high ρ: the map ignores what the model learned).</p>');
    out.push('<table><thead><tr><th>model</th><th>method</th><th>n</th><th>ρ mean</th><th>median</th><th>sd</th></tr></thead><tbody>');
    for (const r of p.randomizationSummary) {
      out.push(`<tr><td>${esc(input.models[r.model].name)}</td><td>${esc(input.methods[r.method].label)}</td><td class="n">${r.spearman.n}</td><td class="n">${num(r.spearman.mean)}</td><td class="n">${num(r.spearman.median)}</td><td class="n">${num(r.spearman.sd)}</td></tr>`);
    }
    out.push('</tbody></table>');
  }

  out.push(stabilityHtml(input, p.stability));
  out.push(`<h2>Parameters and seeds</h2><pre>${esc(JSON.stringify({ seed: s.seed, parameters: input.parameters }, null, 2))}</pre>`);
  out.push(`<h2>Files</h2><ul>${p.files.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>`);
  out.push('</body></html>\n');
  return out.join('\n');
}
