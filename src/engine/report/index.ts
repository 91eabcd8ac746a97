// A study's report as files: a self-contained report.html (figures inlined), the figure grid PNGs,
// every table as CSV and JSON, and study.json with the parameters and seeds; zipped
// deterministically. Nothing in the bytes depends on when or where it was generated: no clocks, no
// random ids, everything in study order.
import { toCsv, type Cell } from './csv.ts';
import { gridRenderer, type GridTile } from './figures.ts';
import { renderHtml } from './html.ts';
import { stabilityCaption, stabilityTables } from './stability.ts';
import {
  AGREEMENT_METRICS,
  agreementTables,
  faithfulnessSummaries,
  predictionRows,
  randomizationSummaries,
  type PairSpec,
} from './tables.ts';
import type { ReportInput } from './types.ts';
import type { TensorCache } from '../tensor-cache.ts';
import { zipArchiveParallel, type ArchiveFile } from './zip.ts';

export * from './tables.ts';
export { stabilityFact, type StabilityFact } from './stability.ts';
export type { ReportCell, ReportInput } from './types.ts';
export { zipArchive, zipArchiveParallel, unzipArchive, type ArchiveFile } from './zip.ts';
export { gridPng, gridRenderer, wrapText, type GridSpec, type GridTile } from './figures.ts';
export { toCsv } from './csv.ts';

/** Images per grid PNG: a 200-image study makes 20 pages rather than one enormous picture. */
export const ROWS_PER_GRID = 10;

const json = (v: unknown) => Buffer.from(`${JSON.stringify(v, null, 2)}\n`);
const text = (s: string) => Buffer.from(s);

export function cellLabel(input: ReportInput, model: number, method: number): string {
  return `${input.models[model].name} · ${input.methods[method].label}`;
}

export interface BuiltReport {
  files: ArchiveFile[];
  zip: Buffer;
}

/** `grids`: finished figure grids kept between builds (see gridRenderer). */
export async function buildReport(input: ReportInput, opts: { grids?: TensorCache<Buffer> } = {}): Promise<BuiltReport> {
  const files: ArchiveFile[] = [];
  const columns = input.models.flatMap((_, m) => input.methods.map((_, k) => ({ model: m, method: k })));
  const cellAt = new Map(input.cells.map((c) => [`${c.image}:${c.model}:${c.method}`, c]));
  const stability = [...(input.stability ?? [])].sort((a, b) => a.image - b.image || a.model - b.model || a.method - b.method);
  const stabilityAt = new Map(stability.map((f) => [`${f.image}:${f.model}:${f.method}`, f]));

  // Figure grids: one set per view; LIME cells have a second view, other cells repeat their figure.
  const views = ['default', ...(input.cells.some((c) => c.tiles['lime-both']) ? ['lime-both'] : [])];
  const byView: { view: string; name: string; png: Buffer; rows: [number, number] }[][] = views.map(() => []);
  for (let start = 0, page = 1; start < input.images.length; start += ROWS_PER_GRID, page++) {
    const rows = input.images.slice(start, start + ROWS_PER_GRID);
    const grid = gridRenderer(opts.grids); // a page's views share its labels and most of its figures
    const drawn = views.map((view) => {
      const tiles: GridTile[][] = rows.map((_, r) =>
        columns.map(({ model, method }) => {
          const c = cellAt.get(`${start + r}:${model}:${method}`);
          const png = c ? (c.tiles[view] ?? c.tiles.default ?? null) : null;
          const st = stabilityAt.get(`${start + r}:${model}:${method}`);
          const caption = [c?.caption?.split('; ')[0] ?? '', ...(st ? [stabilityCaption(st)] : [])].filter(Boolean).join(' · ');
          return { png, caption, placeholder: c && c.status !== 'SUCCEEDED' ? c.status : undefined };
        }),
      );
      return grid({ rowLabels: rows.map((i) => i.name), columnLabels: columns.map((c) => cellLabel(input, c.model, c.method)), tiles });
    });
    for (const [v, png] of (await Promise.all(drawn)).entries()) {
      const view = views[v];
      byView[v].push({ view, name: `figures/${view === 'default' ? 'grid' : `grid-${view}`}-${String(page).padStart(2, '0')}.png`, png, rows: [start, start + rows.length] });
    }
  }
  const figures = byView.flat();
  // PNGs are compressed already: stored as they are.
  for (const f of figures) files.push({ name: f.name, bytes: f.png, packing: 'store' });

  // Predictions.
  const predictions = predictionRows(
    input.predictions,
    input.images.map((i) => i.groundTruth),
  );
  const k = Math.max(0, ...predictions.map((p) => p.classes.length));
  files.push({
    name: 'tables/predictions.csv',
    bytes: text(
      toCsv(
        ['image', 'model', 'rank', 'index', 'synset', 'label', 'probability', 'ground_truth', 'correct', 'models_disagree'],
        predictions.flatMap((p) =>
          p.classes.map((c, r): Cell[] => [
            input.images[p.image].name,
            input.models[p.model].name,
            r + 1,
            c.index,
            c.synset,
            c.label,
            c.probability,
            input.images[p.image].groundTruth?.synset ?? input.images[p.image].groundTruth?.label ?? null,
            r === 0 ? p.correct : null,
            r === 0 ? p.disagrees : null,
          ]),
        ),
      ),
    ),
  });
  files.push({
    name: 'tables/predictions.json',
    bytes: json(
      predictions.map((p) => ({
        image: input.images[p.image].name,
        model: input.models[p.model].name,
        top1: p.top1,
        classes: p.classes,
        groundTruth: input.images[p.image].groundTruth,
        correct: p.correct,
        modelsDisagree: p.disagrees,
      })),
    ),
  });

  // Agreement.
  const agreement = agreementTables(input.pairs, input.agreement, input.methods.map((m) => m.binarization));
  const pairName = (p: PairSpec) => `${cellLabel(input, p.a.model, p.a.method)} vs ${cellLabel(input, p.b.model, p.b.method)}`;
  files.push({
    name: 'tables/agreement.csv',
    bytes: text(
      toCsv(
        ['comparison', 'image', 'class_a', 'class_b', ...AGREEMENT_METRICS, 'top_percent', 'binarization_a', 'binarization_b'],
        agreement.flatMap((t) => [
          ...t.rows.map((r): Cell[] => [
            pairName(t.pair),
            input.images[r.image].name,
            r.classA,
            r.classB,
            ...AGREEMENT_METRICS.map((m) => r.value[m]),
            r.value.topPercent,
            JSON.stringify(t.binarizationA),
            JSON.stringify(t.binarizationB),
          ]),
          ...(['mean', 'median', 'sd'] as const).map((s): Cell[] => [pairName(t.pair), `(${s})`, null, null, ...AGREEMENT_METRICS.map((m) => t.summary[m][s]), null, null, null]),
        ]),
      ),
    ),
  });
  files.push({
    name: 'tables/agreement.json',
    bytes: json(
      agreement.map((t) => ({
        comparison: pairName(t.pair),
        a: { model: input.models[t.pair.a.model].name, method: input.methods[t.pair.a.method].label, binarization: t.binarizationA },
        b: { model: input.models[t.pair.b.model].name, method: input.methods[t.pair.b.method].label, binarization: t.binarizationB },
        rows: t.rows.map((r) => ({ image: input.images[r.image].name, classA: r.classA, classB: r.classB, ...r.value })),
        summary: t.summary,
      })),
    ),
  });

  // Faithfulness and randomization.
  const faith = [...input.faithfulness].sort((a, b) => a.image - b.image || a.model - b.model || a.method - b.method || a.classIndex - b.classIndex);
  const faithSummary = faithfulnessSummaries(faith);
  if (faith.length) {
    files.push({
      name: 'tables/faithfulness.csv',
      bytes: text(
        toCsv(
          ['image', 'model', 'method', 'class', 'deletion_auc', 'insertion_auc', 'fractions', 'deletion', 'insertion'],
          faith.map((f): Cell[] => [
            input.images[f.image].name,
            input.models[f.model].name,
            input.methods[f.method].label,
            f.classIndex,
            f.deletionAuc,
            f.insertionAuc,
            f.fractions.join(' '),
            f.deletion.join(' '),
            f.insertion.join(' '),
          ]),
        ),
      ),
    });
    files.push({
      name: 'tables/faithfulness.json',
      bytes: json({
        rows: faith.map(({ image, model, method, ...f }) => ({ image: input.images[image].name, model: input.models[model].name, method: input.methods[method].label, ...f })),
        summary: faithSummary.map((s) => ({ model: input.models[s.model].name, method: input.methods[s.method].label, deletionAuc: s.deletionAuc, insertionAuc: s.insertionAuc })),
      }),
    });
  }
  const rand = [...input.randomization].sort((a, b) => a.image - b.image || a.model - b.model || a.method - b.method);
  const randSummary = randomizationSummaries(rand);
  if (rand.length) {
    files.push({
      name: 'tables/randomization.csv',
      bytes: text(toCsv(['image', 'model', 'method', 'layers', 'spearman'], rand.map((r) => [input.images[r.image].name, input.models[r.model].name, input.methods[r.method].label, r.layers, r.spearman]))),
    });
    files.push({
      name: 'tables/randomization.json',
      bytes: json({
        rows: rand.map((r) => ({ image: input.images[r.image].name, model: input.models[r.model].name, method: input.methods[r.method].label, layers: r.layers, spearman: r.spearman })),
        summary: randSummary.map((s) => ({ model: input.models[s.model].name, method: input.methods[s.method].label, spearman: s.spearman })),
      }),
    });
  }

  for (const t of stability.length ? stabilityTables(input, stability) : []) files.push({ name: t.name, bytes: text(t.text) });

  // Parameters, seeds and the cells (with the content hashes of their stored files).
  files.push({
    name: 'study.json',
    bytes: json({
      study: input.study,
      parameters: input.parameters,
      images: input.images,
      models: input.models,
      methods: input.methods,
      cells: [...input.cells]
        .sort((a, b) => a.image - b.image || a.model - b.model || a.method - b.method)
        .map((c) => ({
          image: input.images[c.image].name,
          model: input.models[c.model].name,
          method: input.methods[c.method].label,
          status: c.status,
          caption: c.caption,
          explanationId: c.explanationId,
          artifacts: [...c.artifacts].sort((a, b) => (a.name < b.name ? -1 : 1)),
        })),
    }),
  });

  const html = renderHtml({
    input,
    predictions,
    topK: k,
    figures,
    agreement: agreement.map((t) => ({ name: pairName(t.pair), table: t })),
    faithfulness: faith,
    faithfulnessSummary: faithSummary,
    randomization: rand,
    randomizationSummary: randSummary,
    stability,
    files: [...files.map((f) => f.name), 'report.html'].sort(),
  });
  // Mostly the grids' PNG bytes in base64: see Packing.
  files.push({ name: 'report.html', bytes: text(html), packing: 'huffman' });
  return { files, zip: await zipArchiveParallel(files) };
}
