// Per image: the top-k predictions and the explanations side by side across methods and models, laid
// out like the references' figures (Grad-CAM overlay, LIME boundaries and green/red, SHAP red/blue).
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, errorText, ExplanationNodesQuery, ImageDetailQuery, ImageExplanationIdsQuery } from './api.ts';
import { CropView, useModelInputs, type ModelInput } from './crop.tsx';
import { FaithfulnessChart } from './curves.tsx';
import { DetailPage } from './detail-page.tsx';
import { LimeExplorer } from './lime-explorer.tsx';
import { LIME_VIEWS, LimeViewToggle, type LimeView } from './lime-toggle.tsx';
import { StabilityNote, WeightBars } from './uncertainty.tsx';
import { bytes, isActive, prob, STATUS_TEXT } from './format.ts';
import { ProgressBar } from './jobs.tsx';
import { legendKeys, METHOD_INFO, methodLabel, methodOrder } from './methods.ts';
import { jobs, useStore } from './store.ts';
import type { ExplanationDetail, ImageDetail, Model, Prediction } from './types.ts';


const VIEW_KEY = 'xai-lab.view';
function loadView(): { opacity: number; lime: LimeView } {
  try {
    const v = JSON.parse(localStorage.getItem(VIEW_KEY) ?? 'null');
    return { opacity: typeof v?.opacity === 'number' ? v.opacity : 50, lime: (LIME_VIEWS as readonly string[]).includes(v?.lime) ? v.lime : 'positive' };
  } catch {
    return { opacity: 50, lime: 'positive' };
  }
}

interface ClassInfo {
  index: number;
  label: string;
  probability?: number;
}

function classesOf(e: ExplanationDetail, labels: Map<number, string>): ClassInfo[] {
  const fromResult = ((e.result as { classes?: ClassInfo[] } | null)?.classes ?? []).filter((c) => typeof c?.index === 'number');
  if (fromResult.length) return fromResult;
  return e.targetClasses.map((index) => ({ index, label: labels.get(index) ?? `class ${index}` }));
}

/** "300 samples", "500 evals", "layer features": what distinguishes runs of the same method. */
function paramSummary(e: ExplanationDetail): string {
  const p = (e.parameters ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const parts: string[] = [];
  if (p.lime?.numSamples) parts.push(`${p.lime.numSamples} samples`);
  if (p.kernelShap) parts.push(p.kernelShap.nsamples ? `${p.kernelShap.nsamples} samples` : 'auto samples');
  if (p.partitionShap?.maxEvals) parts.push(`${p.partitionShap.maxEvals} evals`);
  const layer = (e.result as { targetLayer?: string } | null)?.targetLayer ?? p.cam?.targetLayer;
  if (layer) parts.push(`layer ${layer}`);
  if (p.gradient?.samples) parts.push(`${p.gradient.samples} samples`);
  if (p.gradient?.steps) parts.push(`${p.gradient.steps} steps`);
  if (e.method === 'GRADIENT_SHAP' && p.gradient?.alphaSampling && p.gradient.alphaSampling !== 'SHAP') parts.push(`${String(p.gradient.alphaSampling).toLowerCase().replace('_', '-')} α`);
  return parts.join(', ');
}

function art(e: ExplanationDetail, name: string) {
  return e.artifacts.find((a) => a.name === name);
}

function Legend({ signed, unsigned, lime, limeView }: { signed: boolean; unsigned: boolean; lime: boolean; limeView: LimeView }) {
  return (
    <div class="legend" aria-label="Colour key">
      {unsigned && (
        <div class="legend-item">
          <span class="swatch viridis" aria-hidden="true" />
          <span>
            CAM and gradient maps (viridis): <strong>dark purple = low</strong>, <strong>yellow = high</strong> importance
          </span>
        </div>
      )}
      {signed && (
        <div class="legend-item">
          <span class="swatch diverging" aria-hidden="true" />
          <span>
            SHAP maps: <strong>blue = negative</strong> (evidence against the class), <strong>red = positive</strong> (evidence for it); transparent = no effect
          </span>
        </div>
      )}
      {lime && (
        <div class="legend-item">
          <span class={`swatch lime-${limeView}`} aria-hidden="true" />
          <span>
            {limeView === 'positive' && (
              <>
                LIME, positive only: the <strong>5 superpixels that most support</strong> the class, outlined in yellow
              </>
            )}
            {limeView === 'both' && (
              <>
                LIME, both: top 10 superpixels; <strong>green tint = positive</strong> (supports the class), <strong>red tint = negative</strong> (against it)
              </>
            )}
            {limeView === 'segments' && <>LIME superpixels (quickshift segmentation), boundaries in yellow</>}
            {' '}
            (stored images, washed out as the reference figure). The <strong>LIME explorer</strong> re-renders lime's
            get_image_and_mask views in the browser: positive only, negative only or both (positive superpixels tinted green,
            negative ones tinted red), hide rest (black), any number of superpixels, outlined in yellow.
          </span>
        </div>
      )}
    </div>
  );
}

function Tile(props: {
  e: ExplanationDetail;
  c: ClassInfo;
  image: ImageDetail;
  input: ModelInput | null;
  size: { width: number; height: number };
  opacity: number;
  limeView: LimeView;
}) {
  const { e, c, image, input, size, opacity, limeView } = props;
  const info = METHOD_INFO.get(e.method);
  const imgName = image.originalName ?? 'image';
  const label = `${methodLabel(e.method)} for ${c.label}`;
  const raw = art(e, `raw-${c.index}.npy`);
  const overlay = art(e, `overlay-${c.index}.png`);
  const rawSegments = e.method === 'LIME' ? art(e, 'raw-segments.npy') : undefined;
  let body;
  if (e.method === 'LIME') {
    const a = limeView === 'segments' ? art(e, 'segments.png') : art(e, `lime-${limeView}-${c.index}.png`);
    body = a ? (
      <img class="tile-img" src={a.url} alt={`${label}: ${limeView === 'segments' ? 'superpixel boundaries' : limeView === 'both' ? 'positive and negative superpixels' : 'supporting superpixels'} on ${imgName}`} data-testid="lime-view" data-view={limeView} />
    ) : (
      <p class="hint">No {limeView} view stored.</p>
    );
  } else {
    const heat = art(e, `heatmap-${c.index}.png`);
    body = (
      <CropView input={input} size={size} alt={`${imgName}, model view`} gray={info?.signed}>
        {heat && <img class="heat" src={heat.url} alt={`${label} heatmap`} style={{ opacity: opacity / 100 }} />}
      </CropView>
    );
  }
  const summary = paramSummary(e);
  const curve = e.faithfulness.find((f) => f.classIndex === c.index);
  return (
    <figure class="tile" data-method={e.method} data-explanation-id={e.id}>
      {body}
      <WeightBars e={e} classIndex={c.index} label={label} />
      <figcaption>
        <strong>{methodLabel(e.method)}</strong>
        <span>
          {c.label}
          {c.probability != null ? ` (${prob(c.probability)})` : ''}
        </span>
        <StabilityNote e={e} classIndex={c.index} />
        {summary && <span class="hint">{summary}</span>}
        <span class="downloads">
          {raw && (
            <a href={raw.url} download={`${imgName}-${e.method.toLowerCase()}-${raw.name}`} aria-label={`Download raw ${methodLabel(e.method)} map for ${c.label} (.npy, ${bytes(raw.byteSize)})`}>
              raw .npy
            </a>
          )}
          {rawSegments && (
            <a href={rawSegments.url} download={`${imgName}-lime-${rawSegments.name}`} aria-label={`Download LIME superpixel labels (.npy, ${bytes(rawSegments.byteSize)})`}>
              segments .npy
            </a>
          )}
          {overlay && e.method !== 'LIME' && (
            <a href={overlay.url} download={`${imgName}-${e.method.toLowerCase()}-${overlay.name}`} aria-label={`Download ${methodLabel(e.method)} overlay for ${c.label} (PNG)`}>
              overlay .png
            </a>
          )}
        </span>
      </figcaption>
      {curve && <FaithfulnessChart curve={curve} title={`${label} on ${imgName}`} />}
    </figure>
  );
}

function Predictions({ preds, image }: { preds: Prediction[]; image: ImageDetail }) {
  const latest = new Map<string, Prediction>();
  for (const p of preds) if (!latest.has(p.model.id)) latest.set(p.model.id, p);
  if (latest.size === 0) return <p class="hint">No predictions yet.</p>;
  return (
    <div class="pred-tables">
      {[...latest.values()].map((p) => (
        <table class="preds-table" key={p.id}>
          <caption>
            {p.model.name}: top {p.classes.length} for {image.originalName ?? 'image'}
          </caption>
          <thead>
            <tr>
              <th scope="col">Class</th>
              <th scope="col">Probability</th>
            </tr>
          </thead>
          <tbody>
            {p.classes.map((c) => (
              <tr key={c.index}>
                <th scope="row">{c.label}</th>
                <td>
                  <span class="meter" aria-hidden="true">
                    <span style={{ width: `${Math.max(1, c.probability * 100)}%` }} />
                  </span>
                  {prob(c.probability)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </div>
  );
}

export function ResultsView({ id, models }: { id: string; models: Model[] }) {
  const [image, setImage] = useState<ImageDetail | null>(null);
  const [explanations, setExplanations] = useState<ExplanationDetail[]>([]);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [view, setView] = useState(loadView);
  useStore(jobs);

  // Refetch when a job of this image finishes.
  const finishedHere = [...jobs.jobs.values()]
    .filter((j) => j.image.id === id && !isActive(j.status))
    .map((j) => `${j.id}:${j.status}`)
    .sort()
    .join(',');

  useEffect(() => {
    let live = true;
    (async () => {
      const [img, ids] = await Promise.all([api().query(ImageDetailQuery, { id }), api().query(ImageExplanationIdsQuery, { image: id, after: null })]);
      if (!live) return;
      if (!img.image) return setError(`NOT_FOUND: no image with id ${id}`);
      const idList = ids.explanations.edges.map((e) => e.node.id);
      const nodes = idList.length ? (await api().query(ExplanationNodesQuery, { ids: idList })).nodes : [];
      if (!live) return;
      setImage(img.image);
      setExplanations(nodes.filter((n): n is ExplanationDetail => !!n && 'method' in n));
      setMore(ids.explanations.pageInfo.hasNextPage);
      setError(null);
    })().catch((e) => live && setError(errorText(e)));
    return () => {
      live = false;
    };
  }, [id, finishedHere]);

  useEffect(() => {
    try {
      localStorage.setItem(VIEW_KEY, JSON.stringify(view));
    } catch {
      /* ignore */
    }
  }, [view]);

  const byModel = useMemo(() => {
    const m = new Map<string, ExplanationDetail[]>();
    for (const e of explanations) {
      const list = m.get(e.model.id) ?? [];
      list.push(e);
      m.set(e.model.id, list);
    }
    for (const list of m.values()) list.sort((a, b) => methodOrder(a.method) - methodOrder(b.method) || (a.createdAt < b.createdAt ? 1 : -1));
    return m;
  }, [explanations]);

  const inputs = useModelInputs(id, [...byModel.keys()]);
  const name = image?.originalName ?? 'image';
  const done = explanations.filter((e) => e.status === 'SUCCEEDED');
  const legend = legendKeys(done.map((e) => e.method));

  return (
    <DetailPage headingId="results-h" class="results" back={{ href: '#', text: '← All images' }} title={`Results for ${image ? name : '…'}`} itemId={id} error={error}>
      {image && (
        <>
          <div class="results-top">
            <figure class="original">
              <img src={image.url} alt={name} />
              <figcaption>
                {name} · {image.width}×{image.height} {image.format.toUpperCase()}
              </figcaption>
            </figure>
            <div>
              <h3>Predictions</h3>
              <Predictions preds={image.predictions.edges.map((e) => e.node)} image={image} />
            </div>
          </div>
          <div class="view-controls" role="group" aria-label="View options">
            <div class="field">
              <label for="opacity">Heatmap opacity: {view.opacity}%</label>
              <input id="opacity" type="range" min={0} max={100} step={5} value={view.opacity} onInput={(e) => setView({ ...view, opacity: Number((e.target as HTMLInputElement).value) })} />
            </div>
            <LimeViewToggle legend="Stored LIME images" name="lime-view" value={view.lime} onChange={(lime) => setView({ ...view, lime })} />
          </div>
          <Legend signed={legend.signed} unsigned={legend.unsigned} lime={legend.lime} limeView={view.lime} />
          {explanations.length === 0 && <p class="hint">No explanations for this image yet: pick methods and press Explain.</p>}
          {[...byModel.entries()].map(([modelId, list]) => {
            const model = models.find((m) => m.id === modelId);
            const input = inputs.get(modelId) ?? null;
            const size = model?.input ?? input ?? { width: 224, height: 224 };
            const labels = new Map<number, string>();
            const succeeded = list.filter((e) => e.status === 'SUCCEEDED');
            const pending = list.filter((e) => e.status !== 'SUCCEEDED');
            return (
              <section class="model-results" key={modelId} aria-labelledby={`m-${modelId}`}>
                <h3 id={`m-${modelId}`}>{list[0].model.name}</h3>
                <div class="figure-row">
                  <figure class="tile">
                    <CropView input={input} size={size} alt={`${name} as ${list[0].model.name} sees it (${size.width}×${size.height} model input)`} />
                    <figcaption>
                      <strong>Original</strong>
                      <span class="hint">
                        model input {size.width}×{size.height}
                      </span>
                    </figcaption>
                  </figure>
                  {succeeded.flatMap((e) => {
                    const classes = classesOf(e, labels);
                    const tiles = classes.map((c) => <Tile key={`${e.id}:${c.index}`} e={e} c={c} image={image} input={input} size={size} opacity={view.opacity} limeView={view.lime} />);
                    return e.method === 'LIME' ? [<LimeExplorer key={`${e.id}:explorer`} e={e} input={input} classes={classes} />, ...tiles] : tiles;
                  })}
                </div>
                {pending.length > 0 && (
                  <ul class="pending" aria-label={`Unfinished explanations with ${list[0].model.name}`}>
                    {pending.map((e) => {
                      const live = jobs.jobs.get(e.id) ?? e;
                      return (
                        <li key={e.id}>
                          <span>
                            {methodLabel(e.method)} {paramSummary(e) && `(${paramSummary(e)})`}: {STATUS_TEXT[live.status]}
                            {live.status === 'FAILED' && live.error ? ` — ${live.error.code}: ${live.error.message}` : ''}
                          </span>
                          {isActive(live.status) && <ProgressBar job={live} label={`Progress of ${methodLabel(e.method)} on ${name} with ${list[0].model.name}`} />}
                        </li>
                      );
                    })}
                  </ul>
                )}
              </section>
            );
          })}
          {more && <p class="hint">Showing the newest 100 explanations of this image.</p>}
        </>
      )}
    </DetailPage>
  );
}
