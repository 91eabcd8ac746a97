// A finished study's results: the predictions table (top-1 per image and model, flagged where the
// models disagree or a model is wrong against the ground truth), the agreement tables between
// methods with their mean, median and standard deviation, and the report archive. All sortable.
import { useEffect, useState } from 'preact/hooks';
import { api, errorText, StudyResultsQuery } from './api.ts';
import { bytes, prob } from './format.ts';
import { SortableTable, type Row } from './table.tsx';
import type { ResultOf } from '../../sdk/index.ts';

type Results = NonNullable<ResultOf<typeof StudyResultsQuery>['study']>;
type Comparison = Results['comparisons'][number];

const num = (v: number | null | undefined) => (v == null ? undefined : v.toFixed(4));

function binarizationText(b: Comparison['a']['binarization']): string {
  if (b.kind === 'LIME_FEATURES') return `top ${b.numFeatures} positive superpixels`;
  if (b.kind === 'THRESHOLD') return `≥ ${b.value} after min–max scaling`;
  return `top ${b.percent} % of pixels`;
}

function PredictionsTable({ rows }: { rows: Results['predictions'] }) {
  return (
    <SortableTable
      caption="Predictions: top-1 class per image and model (flagged rows: the models disagree, or the model is wrong)"
      testId="predictions-table"
      columns={[{ label: 'Image' }, { label: 'Model' }, { label: 'Top-1 class' }, { label: 'Probability', numeric: true }, { label: 'Synset' }, { label: 'Ground truth' }, { label: 'Correct' }, { label: 'Models disagree' }]}
      rows={rows.map((p): Row => {
        const truth = p.groundTruth ? [p.groundTruth.synset, p.groundTruth.label].filter(Boolean).join(' ') + (p.groundTruth.source === 'FILE_NAME' ? ' (file name)' : '') : null;
        return {
          key: `${p.image.id}|${p.model.id}`,
          class: [p.modelsDisagree ? 'flag-disagree' : '', p.correct === false ? 'flag-wrong' : ''].filter(Boolean).join(' ') || undefined,
          cells: [p.image.originalName ?? 'image', p.model.name, p.top1.label, p.top1.probability, p.top1.synset, truth, p.correct, p.modelsDisagree],
          view: [undefined, undefined, undefined, prob(p.top1.probability), undefined, undefined, p.correct == null ? '—' : p.correct ? 'yes' : 'no (wrong)', p.modelsDisagree ? 'yes (disagree)' : 'no'],
        };
      })}
    />
  );
}

function ComparisonTable({ c }: { c: Comparison }) {
  const metrics = ['iou', 'dice', 'pearson', 'spearman', 'topKOverlap'] as const;
  const summaryRow = (stat: 'mean' | 'median' | 'sd'): Row => ({
    key: stat,
    cells: [stat === 'sd' ? 'standard deviation' : stat, ...metrics.map((m) => c.summary[m][stat])],
    view: [undefined, ...metrics.map((m) => num(c.summary[m][stat]))],
  });
  const model = c.a.model.id === c.b.model.id ? c.a.model.name : `${c.a.model.name} / ${c.b.model.name}`;
  return (
    <SortableTable
      caption={`${c.a.label} vs ${c.b.label} (${model}): ${c.a.label} binarized as ${binarizationText(c.a.binarization)}, ${c.b.label} as ${binarizationText(c.b.binarization)}; top-k overlap of the top ${c.topPercent} %`}
      testId="comparison-table"
      columns={[{ label: 'Image' }, { label: 'IoU', numeric: true }, { label: 'Dice', numeric: true }, { label: 'Pearson', numeric: true }, { label: 'Spearman', numeric: true }, { label: 'Top-k overlap', numeric: true }]}
      rows={c.rows.map((r) => ({ key: r.image.id, cells: [r.image.originalName ?? 'image', ...metrics.map((m) => r[m])], view: [undefined, ...metrics.map((m) => num(r[m]))] }))}
      footer={[summaryRow('mean'), summaryRow('median'), summaryRow('sd')]}
    />
  );
}

export function StudyResults({ id, name }: { id: string; name: string }) {
  const [data, setData] = useState<Results | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api()
      .query(StudyResultsQuery, { id })
      .then((r) => live && setData(r.study))
      .catch((e) => live && setError(errorText(e)));
    return () => {
      live = false;
    };
  }, [id]);
  if (error)
    return (
      <p class="error" role="alert">
        {error}
      </p>
    );
  if (!data) return <p class="hint">Loading the results…</p>;
  return (
    <>
      <h3>Report</h3>
      {data.report ? (
        <p>
          <a href={data.report.url} download={`${name.replace(/[^A-Za-z0-9._-]+/g, '_')}-report.zip`} data-testid="report-download">
            Download the report (ZIP, {bytes(data.report.byteSize)})
          </a>{' '}
          <span class="hint">report.html, figure grids, every table as CSV and JSON, the parameters and seeds</span>
        </p>
      ) : (
        <p class="hint">The report is built once every cell has finished.</p>
      )}
      <h3>Predictions</h3>
      <PredictionsTable rows={data.predictions} />
      <h3>Agreement between methods</h3>
      {data.comparisons.length === 0 && <p class="hint">No pairs of methods to compare.</p>}
      {data.comparisons.map((c) => (
        <ComparisonTable c={c} key={`${c.a.model.id}|${c.a.methodKey}|${c.b.model.id}|${c.b.methodKey}`} />
      ))}
    </>
  );
}
