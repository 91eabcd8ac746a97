// A study's report archive (engine/report): figure grids, the predictions and metric tables as CSV
// and JSON, study.json with the parameters and seeds, report.html — built from the stored facts,
// stored content-addressed in the blob store (reports/…zip) and served by /files like any artifact.
// Nothing in it depends on when it is built, so rebuilding a finished study gives the same bytes
// (and the same key).
import type { App } from '../app.js';
import { buildReport, stabilityFact, type FaithfulnessFact, type RandomizationFact, type ReportCell, type ReportInput } from '../engine/report/index.js';
import type { RandomizationResult } from '../engine/metrics/randomization.js';
import type { StudyReport } from '../generated/sqlite/client.js';
import { InvalidArgumentError } from '../errors.js';
import { hasSegments, loadStudyFacts, type FactCell, type StudyFacts } from './study-facts.js';
import { REPORT_COMPARISONS, studyComparisons } from './study-comparisons.js';
import { predictionFacts, STUDY_TOP_K } from './study-predictions.js';
import { isTerminal } from './statuses.js';

async function tilesOf(app: App, facts: StudyFacts, cell: FactCell): Promise<Record<string, Buffer | null>> {
  const e = cell.explanation;
  if (!e || e.status !== 'SUCCEEDED') return { default: null };
  const c = (e.targetClasses as number[])[0];
  const read = async (name: string) => {
    const a = cell.artifacts.find((x) => x.name === name);
    return a ? app.blobs.read(a.storageKey) : null;
  };
  // LIME-style cells show lime's two usual views; every other cell its heatmap overlay.
  if (hasSegments(facts.methods[cell.method].method)) return { default: await read(`lime-positive-${c}.png`), 'lime-both': await read(`lime-both-${c}.png`) };
  return { default: await read(`overlay-${c}.png`) };
}

export async function reportInput(app: App, facts: StudyFacts): Promise<ReportInput> {
  const { study } = facts;
  const cells: ReportCell[] = await Promise.all(
    facts.cells.map(async (c) => ({
      image: c.image,
      model: c.model,
      method: c.method,
      status: c.explanation?.status ?? 'PENDING',
      caption: c.explanation?.caption ?? null,
      explanationId: c.explanation?.id ?? null,
      tiles: await tilesOf(app, facts, c),
      artifacts: c.artifacts.map((a) => ({ name: a.name, sha256: a.sha256 })),
    })),
  );
  const comparisons = await studyComparisons(app, facts, REPORT_COMPARISONS);
  const succeeded = facts.cells.filter((c) => c.explanation?.status === 'SUCCEEDED');
  const curves = await app.prisma.faithfulness.findMany({ where: { explanationId: { in: succeeded.map((c) => c.explanation!.id) } }, orderBy: [{ explanationId: 'asc' }, { classIndex: 'asc' }] });
  // A cell's explanation may be shared by several cells (the same method under two keys).
  const faithfulness: FaithfulnessFact[] = succeeded.flatMap((c) =>
    curves
      .filter((f) => f.explanationId === c.explanation!.id)
      .map((f) => ({
        image: c.image,
        model: c.model,
        method: c.method,
        classIndex: f.classIndex,
        deletionAuc: f.deletionAuc,
        insertionAuc: f.insertionAuc,
        fractions: f.fractions as number[],
        deletion: f.deletion as number[],
        insertion: f.insertion as number[],
      })),
  );
  const randomization: RandomizationFact[] = succeeded
    .filter((c) => c.explanation!.randomization)
    .map((c) => {
      const r = c.explanation!.randomization as unknown as RandomizationResult;
      return { image: c.image, model: c.model, method: c.method, layers: r.layers, spearman: r.spearman };
    });
  // LIME / Kernel SHAP cells: how sure each is (stored with its result).
  const stability = succeeded.flatMap((c) => {
    const f = stabilityFact(c, c.explanation!.result);
    return f ? [f] : [];
  });
  return {
    study: { id: study.id, name: study.name, description: study.description, seed: study.seed ?? 0 },
    parameters: {
      seed: study.seed,
      images: facts.images.map((i) => i.image.id),
      models: facts.models.map((m) => ({ id: m.id, name: m.name, version: m.version, sha256: m.sha256 })),
      methods: facts.methods.map((m) => ({ key: m.key, method: m.method, label: m.label, ...(m.parameters as object), binarization: m.binarization })),
      comparisons: { pairs: 'every pair of methods within each model', topPercent: REPORT_COMPARISONS.topPercent },
      predictions: { topK: STUDY_TOP_K.default },
    },
    images: facts.images.map((i) => ({ id: i.image.id, name: i.image.originalName ?? i.image.id, groundTruth: i.groundTruth })),
    models: facts.models.map((m) => ({ id: m.id, name: m.name, version: m.version })),
    methods: facts.methods.map((m) => ({ label: m.label, method: m.method, binarization: m.binarization })),
    cells,
    predictions: await predictionFacts(app, facts, STUDY_TOP_K.default),
    pairs: comparisons.map((t) => t.pair),
    agreement: comparisons.flatMap((t, pair) => t.rows.map((r) => ({ ...r, pair }))),
    faithfulness,
    randomization,
    stability,
  };
}

/** Builds the archive of a finished study and stores it; the same facts always give the same key. */
export async function buildStudyReport(app: App, studyId: string): Promise<StudyReport> {
  const facts = await loadStudyFacts(app, studyId);
  if (!isTerminal(facts.study.state)) throw new InvalidArgumentError('id', `the study is ${facts.study.state}: its report is built once every cell has finished`);
  const { zip } = await buildReport(await reportInput(app, facts), { grids: app.reportGrids });
  const blob = await app.blobs.put('reports', zip, '.zip');
  const data = { storageKey: blob.key, sha256: blob.sha256, byteSize: blob.byteSize, builtAt: new Date() };
  return app.prisma.studyReport.upsert({ where: { studyId }, create: { studyId, ...data }, update: data });
}

/** The stored report of a finished study, built first if it is missing or older than the study's end; null while it runs. */
export async function studyReport(app: App, study: { id: string; state: string; finishedAt: Date | null }): Promise<StudyReport | null> {
  if (!isTerminal(study.state)) return null;
  const stored = await app.prisma.studyReport.findUnique({ where: { studyId: study.id } });
  if (stored && (!study.finishedAt || stored.builtAt >= study.finishedAt)) return stored;
  return buildStudyReport(app, study.id);
}
