// One study (`#/study/<id>`): its aggregated progress live over `studyUpdated`, the grid of cells
// (images × models × methods) with each cell's state, a sortable table of the cells, and the figure
// grid (rows = images, columns = model × method) with the seeds' captions and the LIME view toggle.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { isXaiError, StudyExplanationsQuery, type ResultOf, type StudyDetail, type StudyLive, type StudySummary } from '../../sdk/index.ts';
import { api, errorText } from './api.ts';
import { isActive, percent, STATUS_TEXT } from './format.ts';
import { methodLabel } from './methods.ts';
import { FaithfulnessChart } from './curves.tsx';
import { DetailPage } from './detail-page.tsx';
import { LimeViewToggle, type LimeView } from './lime-toggle.tsx';
import { StudyResults } from './study-results.tsx';
import { SortableTable } from './table.tsx';
import { ProgressMeter } from './progress-meter.tsx';

const fixed = (v: number | null | undefined) => (v == null ? undefined : v.toFixed(3));

type CellExplanation = Extract<NonNullable<ResultOf<typeof StudyExplanationsQuery>['nodes'][number]>, { method: unknown }>;

const CELL_TEXT: Record<string, string> = { PENDING: 'Pending', ...STATUS_TEXT };

export function StudyProgressBar({ study }: { study: Pick<StudySummary, 'name' | 'state' | 'progress'> }) {
  const p = study.progress;
  const details = [`${p.cellsDone}/${p.cellsTotal} cells`, ...(p.cellsFailed ? [`${p.cellsFailed} failed`] : []), ...(p.cellsCancelled ? [`${p.cellsCancelled} cancelled`] : [])];
  return (
    <ProgressMeter
      status={study.state}
      fraction={p.fraction}
      active={isActive(study.state)}
      etaSeconds={p.etaSeconds}
      details={details}
      label={`Progress of study ${study.name}`}
      textTestId="study-progress-text"
    />
  );
}

/** The picture that shows a finished cell: LIME's stored view, otherwise the heatmap over the image. */
function cellPicture(e: CellExplanation, view: LimeView) {
  const cls = e.targetClasses[0];
  const a = e.artifacts;
  if (e.method === 'LIME') return view === 'segments' ? a.find((x) => x.name === 'segments.png') : a.find((x) => x.name === `lime-${view}-${cls}.png`);
  return a.find((x) => x.name === `overlay-${cls}.png`) ?? a.find((x) => x.kind === 'OVERLAY') ?? a.find((x) => x.kind === 'HEATMAP');
}

/** Fetches the explanations of finished cells, each once, at most 100 per request. */
function useCellExplanations(ids: string[]): Map<string, CellExplanation> {
  const [found, setFound] = useState(new Map<string, CellExplanation>());
  const asked = useRef(new Set<string>());
  const key = ids.join(',');
  useEffect(() => {
    const missing = ids.filter((id) => !asked.current.has(id));
    if (!missing.length) return;
    missing.forEach((id) => asked.current.add(id));
    (async () => {
      for (let i = 0; i < missing.length; i += 100) {
        const { nodes } = await api().query(StudyExplanationsQuery, { ids: missing.slice(i, i + 100) });
        setFound((prev) => {
          const next = new Map(prev);
          for (const n of nodes) if (n && 'method' in n) next.set(n.id, n);
          return next;
        });
      }
    })().catch(() => missing.forEach((id) => asked.current.delete(id)));
  }, [key]);
  return found;
}

/** Column headers of the study's grids: one column per model × method. */
function GridHead({ columns }: { columns: { key: string; model: { name: string }; method: { label: string } }[] }) {
  return (
    <thead>
      <tr>
        <th scope="col">Image</th>
        {columns.map((c) => (
          <th scope="col" key={c.key}>
            {c.model.name}
            <br />
            {c.method.label}
          </th>
        ))}
      </tr>
    </thead>
  );
}

export function StudyView({ id }: { id: string }) {
  const [detail, setDetail] = useState<StudyDetail | null>(null);
  const [live, setLive] = useState<StudyLive | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [limeView, setLimeView] = useState<LimeView>('positive');
  const [epoch, setEpoch] = useState(0);

  useEffect(() => {
    let on = true;
    setError(null);
    api()
      .study(id)
      .then((s) => {
        if (!on) return;
        if (!s) return setError(`NOT_FOUND: no study with id ${id}`);
        setDetail(s);
        setLive(s);
      })
      .catch((e) => on && setError(errorText(e)));
    return () => {
      on = false;
    };
  }, [id, epoch]);

  // Live while it runs; the subscription answers with the current state first, so nothing is missed.
  const active = live ? isActive(live.state) : false;
  useEffect(() => {
    if (!active) return;
    const w = api().watchStudy(id, setLive);
    w.done.then(setLive, (e) => {
      if (!isXaiError(e, 'ABORTED')) setError(`Live updates stopped: ${errorText(e)}`);
    });
    return () => w.stop();
  }, [id, active, epoch]);

  const cells = live?.cells ?? [];
  const done = cells.flatMap((c) => (c.explanation?.status === 'SUCCEEDED' ? [c.explanation.id] : []));
  const explanations = useCellExplanations(done);
  const images = detail?.images ?? [];
  const models = detail?.models ?? [];
  const methods = useMemo(() => [...(detail?.methods ?? [])].sort((a, b) => a.position - b.position), [detail]);
  const columns = models.flatMap((m) => methods.map((k) => ({ model: m, method: k, key: `${m.id}|${k.key}` })));
  const byPlace = new Map(cells.map((c) => [`${c.image.id}|${c.model.id}|${c.methodKey}`, c]));
  const name = live?.name ?? '…';
  const hasLime = methods.some((m) => m.method === 'LIME');

  const act = async (f: () => Promise<StudyLive>) => {
    setBusy(true);
    setActionError(null);
    try {
      setLive(await f());
      setEpoch((e) => e + 1);
    } catch (e) {
      setActionError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const curves = cells.flatMap((c) => {
    const e = c.explanation ? explanations.get(c.explanation.id) : undefined;
    return e?.faithfulness.length ? [{ c, e, curve: e.faithfulness[0] }] : [];
  });
  const imageName = (imageId: string) => images.find((i) => i.image.id === imageId)?.image.originalName ?? 'image';
  const modelName = (modelId: string) => models.find((m) => m.id === modelId)?.name ?? 'model';
  const methodName = (key: string) => methods.find((m) => m.key === key)?.label ?? key;

  return (
    <DetailPage headingId="study-h" class="study" back={{ href: '#/studies', text: '← All studies' }} title={`Study: ${name}`} itemId={id} error={error}>
      {live && detail && (
        <>
          <p class="study-meta">
            <span class={`badge badge-${live.state}`} data-testid="study-state">
              {STATUS_TEXT[live.state] ?? live.state}
            </span>{' '}
            {images.length} image{images.length === 1 ? '' : 's'} × {models.length} model{models.length === 1 ? '' : 's'} × {methods.length} method{methods.length === 1 ? '' : 's'}
            {live.seed !== null ? ` · seed ${live.seed}` : ''}
          </p>
          {live.description && <p>{live.description}</p>}
          <StudyProgressBar study={live} />
          <div class="job-actions">
            {isActive(live.state) && (
              <button type="button" disabled={busy} onClick={() => act(() => api().cancelStudy(id))}>
                Cancel study
              </button>
            )}
            {(live.state === 'FAILED' || live.state === 'CANCELLED') && (
              <button type="button" disabled={busy} onClick={() => act(() => api().retryStudy(id))}>
                Retry study
              </button>
            )}
          </div>
          {actionError && (
            <p class="error" role="alert">
              {actionError}
            </p>
          )}

          {!isActive(live.state) && <StudyResults id={id} name={live.name} key={`${live.state}:${epoch}`} />}

          <h3>Cells</h3>
          <div class="grid-scroll">
            <table class="cell-grid" data-testid="cell-grid">
              <caption class="sr-only">State of every cell: rows are images, columns are model and method</caption>
              <GridHead columns={columns} />
              <tbody>
                {images.map((i) => (
                  <tr key={i.image.id}>
                    <th scope="row">{i.image.originalName ?? 'image'}</th>
                    {columns.map((c) => {
                      const cell = byPlace.get(`${i.image.id}|${c.model.id}|${c.method.key}`);
                      const state = cell?.state ?? 'PENDING';
                      const pct = state === 'SUCCEEDED' ? 100 : percent(cell?.explanation?.progress ?? 0);
                      return (
                        <td key={c.key} class={`cell cell-${state}`} data-testid="study-cell" data-state={state} title={cell?.explanation?.error ? `${cell.explanation.error.code}: ${cell.explanation.error.message}` : undefined}>
                          <span>{CELL_TEXT[state] ?? state}</span>
                          {state === 'RUNNING' && <span class="hint"> {pct}%</span>}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>

          <SortableTable
            caption="Cells of the study (click a column to sort)"
            testId="cells-table"
            columns={[
              { label: 'Image' },
              { label: 'Model' },
              { label: 'Method' },
              { label: 'State' },
              { label: 'Caption' },
              { label: 'Deletion AUC', numeric: true },
              { label: 'Insertion AUC', numeric: true },
              { label: 'Duration (s)', numeric: true },
            ]}
            rows={cells.map((c) => {
              const e = c.explanation ? explanations.get(c.explanation.id) : undefined;
              return {
                key: `${c.image.id}|${c.model.id}|${c.methodKey}`,
                cells: [
                  imageName(c.image.id),
                  modelName(c.model.id),
                  methodName(c.methodKey),
                  c.state,
                  e?.caption ?? null,
                  e?.deletionAuc ?? null,
                  e?.insertionAuc ?? null,
                  e?.durationMs != null ? Math.round(e.durationMs) / 1000 : null,
                ],
                view: [undefined, undefined, undefined, undefined, undefined, fixed(e?.deletionAuc), fixed(e?.insertionAuc)],
              };
            })}
          />

          <h3>Figures</h3>
          {hasLime && (
            <LimeViewToggle legend="LIME view" name="study-lime-view" value={limeView} onChange={setLimeView} />
          )}
          <div class="grid-scroll">
            <table class="figure-grid" data-testid="figure-grid">
              <caption class="sr-only">Figures: rows are images, columns are model and method</caption>
              <GridHead columns={columns} />
              <tbody>
                {images.map((i) => (
                  <tr key={i.image.id}>
                    <th scope="row">
                      <figure class="tile">
                        <img class="tile-img" src={i.image.url} alt={i.image.originalName ?? 'image'} loading="lazy" />
                        <figcaption>
                          <strong>{i.image.originalName ?? 'image'}</strong>
                          {i.groundTruth ? (
                            <span class="hint">truth: {[i.groundTruth.synset, i.groundTruth.label].filter(Boolean).join(' ')}</span>
                          ) : (
                            i.image.fileNameSynset && <span class="hint">truth: {i.image.fileNameSynset} (file name)</span>
                          )}
                        </figcaption>
                      </figure>
                    </th>
                    {columns.map((c) => {
                      const cell = byPlace.get(`${i.image.id}|${c.model.id}|${c.method.key}`);
                      const e = cell?.explanation ? explanations.get(cell.explanation.id) : undefined;
                      const pic = e ? cellPicture(e, limeView) : undefined;
                      return (
                        <td key={c.key}>
                          {e && pic ? (
                            <figure class="tile" data-method={e.method} data-testid="study-figure">
                              <img class="tile-img" src={pic.url} alt={`${methodLabel(e.method)} (${c.method.label}) with ${c.model.name} on ${i.image.originalName ?? 'image'}`} loading="lazy" data-view={e.method === 'LIME' ? limeView : undefined} data-artifact={pic.name} />
                              <figcaption>
                                <span>{e.caption ?? `${c.method.label} on ${i.image.originalName ?? 'image'}`}</span>
                              </figcaption>
                            </figure>
                          ) : (
                            <span class="hint">{CELL_TEXT[cell?.state ?? 'PENDING']}</span>
                          )}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>

          {curves.length > 0 && (
            <>
              <h3>Deletion and insertion curves</h3>
              <div class="curve-grid">
                {curves.map(({ c, e, curve }) => (
                  <div key={`${e.id}:${curve.classIndex}`}>
                    <p class="hint">
                      {imageName(c.image.id)} · {modelName(c.model.id)} · {methodName(c.methodKey)}
                    </p>
                    <FaithfulnessChart curve={curve} title={`${methodName(c.methodKey)} with ${modelName(c.model.id)} on ${imageName(c.image.id)}`} />
                  </div>
                ))}
              </div>
            </>
          )}
        </>
      )}
    </DetailPage>
  );
}
