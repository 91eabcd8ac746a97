// The Studies page (`#/studies`): the list of studies, newest first, and the form that creates one
// from selected images, models and methods (the same method may appear twice with other parameters,
// e.g. LIME with 5 and with 10 features).
import { useEffect, useState } from 'preact/hooks';
import { completeBlock } from '../../../src/engine/method-defaults.ts';
import { ModelLabelsQuery } from '../../sdk/index.ts';
import { AlphaSamplingSelect } from './alpha-select.tsx';
import { api, errorText } from './api.ts';
import { STATUS_TEXT } from './format.ts';
import { readGroundTruth, truthText, type ClassEntry, type LabelSet } from './ground-truth.ts';
import { DEFAULT_PARAMS, METHODS, METHOD_INFO, parametersFor, targetFor, validateParams, type Params } from './methods.ts';
import { images, useStore } from './store.ts';
import { StudyProgressBar } from './study-view.tsx';
import type { ImageRow, Method, Model } from './types.ts';
import type { StudySummary } from '../../sdk/index.ts';

interface MethodRow {
  uid: number;
  method: Method;
  params: Params;
  label: string;
  /** Deletion and insertion curves for every cell of this method (evaluation.faithfulness). */
  curves: boolean;
}

/** The first row that asks for the same cells as an earlier one (method, target, parameters, curves;
 *  not the label), as [earlier, later]: refused, as `npm run study` refuses it. Parameters are
 *  compared completed with the service's defaults: an empty field and its default written out are
 *  one request to the service. */
function repeatedMethod(rows: MethodRow[]): [number, number] | null {
  const seen = new Map<string, number>();
  for (const [i, r] of rows.entries()) {
    const family = METHOD_INFO.get(r.method)!.family;
    const key = JSON.stringify([r.method, targetFor(r.params), completeBlock(family, parametersFor(r.method, r.params)?.[family]), r.curves]);
    const earlier = seen.get(key);
    if (earlier !== undefined) return [earlier, i];
    seen.set(key, i);
  }
  return null;
}

let rowSeq = 0;
const newRow = (method: Method = 'GRAD_CAM', params: Partial<Params> = {}): MethodRow => ({ uid: ++rowSeq, method, params: { ...DEFAULT_PARAMS, ...params }, label: '', curves: false });

function Field(props: { id: string; label: string; value: string; type?: 'number' | 'text'; placeholder?: string; onInput: (v: string) => void }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.type === 'text' ? (
        <input id={props.id} type="text" value={props.value} placeholder={props.placeholder} onInput={(e) => props.onInput((e.target as HTMLInputElement).value)} />
      ) : (
        <input id={props.id} type="number" inputMode="numeric" step={1} value={props.value} placeholder={props.placeholder} onInput={(e) => props.onInput((e.target as HTMLInputElement).value)} />
      )}
    </div>
  );
}

/** One method of the study with the parameters of its family. */
function MethodRowFields({ row, index, onChange, onRemove }: { row: MethodRow; index: number; onChange: (r: MethodRow) => void; onRemove?: () => void }) {
  const family = METHOD_INFO.get(row.method)!.family;
  const id = (k: string) => `sm-${row.uid}-${k}`;
  const set = (p: Partial<Params>) => onChange({ ...row, params: { ...row.params, ...p } });
  return (
    <fieldset class="study-method" data-testid="study-method">
      <legend>Method {index + 1}</legend>
      <div class="field">
        <label for={id('method')}>Method</label>
        <select id={id('method')} value={row.method} onChange={(e) => onChange({ ...row, method: (e.target as HTMLSelectElement).value as Method })}>
          {METHODS.map((m) => (
            <option value={m.method} key={m.method}>
              {m.label}
            </option>
          ))}
        </select>
      </div>
      <Field id={id('topk')} label="Classes to explain (top-k)" value={row.params.topK} onInput={(v) => set({ topK: v })} />
      {family === 'cam' && <Field id={id('layer')} type="text" label="CAM target layer" placeholder="default: last spatial layer" value={row.params.camLayer} onInput={(v) => set({ camLayer: v })} />}
      {family === 'gradient' && <Field id={id('gsamples')} label="Samples" placeholder="default" value={row.params.gradientSamples} onInput={(v) => set({ gradientSamples: v })} />}
      {row.method === 'INTEGRATED_GRADIENTS' && <Field id={id('gsteps')} label="Steps" placeholder="default" value={row.params.gradientSteps} onInput={(v) => set({ gradientSteps: v })} />}
      {row.method === 'GRADIENT_SHAP' && <AlphaSamplingSelect id={id('alpha')} value={row.params.gradientAlphaSampling} onChange={(v) => set({ gradientAlphaSampling: v })} />}
      {family === 'lime' && (
        <>
          <Field id={id('lsamples')} label="LIME samples" value={row.params.limeSamples} onInput={(v) => set({ limeSamples: v })} />
          <Field id={id('lfeatures')} label="LIME features" placeholder="default: all" value={row.params.limeFeatures} onInput={(v) => set({ limeFeatures: v })} />
        </>
      )}
      {family === 'kernelShap' && <Field id={id('kssamples')} label="Kernel SHAP samples" placeholder="default: 2 × segments + 2048" value={row.params.kernelShapSamples} onInput={(v) => set({ kernelShapSamples: v })} />}
      {family === 'partitionShap' && <Field id={id('psevals')} label="Partition SHAP evaluations" value={row.params.partitionShapEvals} onInput={(v) => set({ partitionShapEvals: v })} />}
      <label class="check">
        <input type="checkbox" checked={row.curves} onChange={(e) => onChange({ ...row, curves: (e.target as HTMLInputElement).checked })} />
        Deletion and insertion curves
      </label>
      <Field id={id('label')} type="text" label="Column label" placeholder="default: the method's key" value={row.label} onInput={(v) => onChange({ ...row, label: v })} />
      {onRemove && (
        <button type="button" onClick={onRemove} aria-label={`Remove method ${index + 1}`}>
          Remove
        </button>
      )}
    </fieldset>
  );
}

/** The chosen models' class lists, fetched once per model (a class index or label is read against them). */
function useLabelSets(models: Model[]): LabelSet[] {
  const [found, setFound] = useState(new Map<string, ClassEntry[]>());
  const key = models.map((m) => m.id).join(',');
  useEffect(() => {
    let live = true;
    for (const m of models.filter((x) => !found.has(x.id))) {
      api()
        .query(ModelLabelsQuery, { id: m.id, limit: m.numClasses })
        .then((r) => live && r.model && setFound((prev) => new Map(prev).set(m.id, r.model!.labels)))
        .catch(() => {});
    }
    return () => {
      live = false;
    };
  }, [key]);
  return models.flatMap((m) => (found.has(m.id) ? [{ model: m.name, labels: found.get(m.id)! }] : []));
}

/**
 * Optional ground truth per chosen image. An empty field sends nothing; for an ImageNet-style file name
 * the service then takes the synset in it, which the placeholder shows.
 */
function GroundTruthFields({ chosen, text, sets, onInput }: { chosen: ImageRow[]; text: Map<string, string>; sets: LabelSet[]; onInput: (id: string, v: string) => void }) {
  if (!chosen.length) return null;
  return (
    <fieldset data-testid="ground-truth">
      <legend>Ground truth (optional)</legend>
      <p class="hint">A class index, a synset (n02010272) or a label; the predictions table flags a model whose top-1 class is another.</p>
      {chosen.map((img) => {
        const id = `gt-${img.id}`;
        const name = img.originalName ?? 'image';
        const value = text.get(img.id) ?? '';
        const read = readGroundTruth(value, sets);
        const fromName = !value.trim() && img.fileNameSynset;
        return (
          <div class="field" key={img.id}>
            <label for={id}>Ground truth of {name}</label>
            <input
              id={id}
              type="text"
              value={value}
              placeholder={img.fileNameSynset ? `${img.fileNameSynset} (from the file name)` : 'none'}
              aria-describedby={`${id}-note`}
              aria-invalid={read.ok ? undefined : 'true'}
              onInput={(e) => onInput(img.id, (e.target as HTMLInputElement).value)}
            />
            <span id={`${id}-note`} class={read.ok ? 'hint' : 'error'} data-testid="ground-truth-note">
              {!read.ok ? read.error : read.truth ? `→ ${truthText(read.truth)}` : fromName ? `→ ${img.fileNameSynset}, read from the file name by the service` : ''}
            </span>
          </div>
        );
      })}
    </fieldset>
  );
}

function CreateStudyForm({ models, defaultModels }: { models: Model[]; defaultModels: Set<string> }) {
  useStore(images);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [seed, setSeed] = useState('');
  const [chosenImages, setChosenImages] = useState(() => new Set(images.selected));
  const [chosenModels, setChosenModels] = useState(() => new Set(defaultModels));
  const [rows, setRows] = useState<MethodRow[]>(() => [newRow()]);
  const [truth, setTruth] = useState(new Map<string, string>());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const toggle = (set: Set<string>, id: string, on: boolean) => {
    const s = new Set(set);
    if (on) s.add(id);
    else s.delete(id);
    return s;
  };
  const cells = chosenImages.size * chosenModels.size * rows.length;
  // In the gallery's order, which is the order of the study's rows.
  const studyImages = images.images.filter((i) => chosenImages.has(i.id));
  const studyModels = models.filter((m) => chosenModels.has(m.id));
  const labelSets = useLabelSets(studyModels);
  const twice = repeatedMethod(rows);
  const repeated = twice && `Method ${twice[1] + 1} repeats method ${twice[0] + 1} with the same parameters (labels aside): change or remove one.`;

  const submit = async () => {
    setError(null);
    if (!name.trim()) return setError('Give the study a name.');
    if (!chosenImages.size) return setError('Select at least one image.');
    if (!chosenModels.size) return setError('Select at least one model.');
    for (const [i, r] of rows.entries()) {
      const bad = validateParams(r.params, [r.method]);
      if (bad) return setError(`Method ${i + 1}: ${bad}`);
    }
    if (repeated) return setError(repeated);
    if (seed.trim() && !/^-?\d+$/.test(seed.trim())) return setError('The seed must be a whole number.');
    if (labelSets.length < studyModels.length && studyImages.some((i) => truth.get(i.id)?.trim())) return setError('The models\' classes are still loading: try again in a moment.');
    const groundTruth = [];
    for (const img of studyImages) {
      const read = readGroundTruth(truth.get(img.id) ?? '', labelSets);
      if (!read.ok) return setError(`Ground truth of ${img.originalName ?? 'image'}: ${read.error}`);
      if (read.truth) groundTruth.push({ image: img.id, ...read.truth });
    }
    setBusy(true);
    try {
      const study = await api().createStudy({
        name: name.trim(),
        description: description.trim() || null,
        seed: seed.trim() ? Number(seed) : null,
        images: studyImages.map((i) => i.id),
        models: studyModels.map((m) => m.id),
        groundTruth: groundTruth.length ? groundTruth : null,
        methods: rows.map((r) => ({ method: r.method, label: r.label.trim() || null, target: targetFor(r.params), parameters: (parametersFor(r.method, r.params) ?? null) as never, evaluation: r.curves ? { faithfulness: {} } : null })),
      });
      location.hash = `#/study/${encodeURIComponent(study.id)}`;
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="new-study-h">
      <h2 id="new-study-h">New study</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Field id="study-name" type="text" label="Name" value={name} onInput={setName} />
        <Field id="study-description" type="text" label="Description" placeholder="optional" value={description} onInput={setDescription} />
        <Field id="study-seed" label="Seed" placeholder="default: each method's (0)" value={seed} onInput={setSeed} />
        <fieldset>
          <legend>Images ({chosenImages.size} selected)</legend>
          <div class="row">
            <button type="button" onClick={() => setChosenImages(new Set(images.images.map((i) => i.id)))}>
              Select all
            </button>
            <button type="button" onClick={() => setChosenImages(new Set())}>
              Select none
            </button>
          </div>
          <ul class="study-images">
            {images.images.map((img) => (
              <li key={img.id}>
                <label class="check">
                  <input type="checkbox" checked={chosenImages.has(img.id)} onChange={(e) => setChosenImages(toggle(chosenImages, img.id, (e.target as HTMLInputElement).checked))} />
                  <img src={img.url} alt="" width={32} height={32} loading="lazy" />
                  {img.originalName ?? 'image'}
                </label>
              </li>
            ))}
          </ul>
          {images.hasMore && (
            <button type="button" class="link" onClick={() => images.loadMore()}>
              Show more images
            </button>
          )}
        </fieldset>
        <fieldset>
          <legend>Models</legend>
          {models.map((m) => (
            <label class="check" key={m.id}>
              <input type="checkbox" checked={chosenModels.has(m.id)} onChange={(e) => setChosenModels(toggle(chosenModels, m.id, (e.target as HTMLInputElement).checked))} />
              {m.name}
              {m.version !== '1' ? ` v${m.version}` : ''}
            </label>
          ))}
        </fieldset>
        <GroundTruthFields chosen={studyImages} text={truth} sets={labelSets} onInput={(id, v) => setTruth(new Map(truth).set(id, v))} />
        {rows.map((r, i) => (
          <MethodRowFields
            key={r.uid}
            row={r}
            index={i}
            onChange={(next) => setRows(rows.map((x) => (x.uid === r.uid ? next : x)))}
            onRemove={rows.length > 1 ? () => setRows(rows.filter((x) => x.uid !== r.uid)) : undefined}
          />
        ))}
        <button type="button" onClick={() => setRows([...rows, newRow('LIME')])}>
          Add a method
        </button>
        {repeated && (
          <p class="error" data-testid="study-repeat">
            {repeated}
          </p>
        )}
        <p class="hint">{cells} cell{cells === 1 ? '' : 's'}: images × models × methods, each an ordinary explanation (identical ones are reused).</p>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create study'}
        </button>
        {error && (
          <p class="error" role="alert" data-testid="study-error">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}

function StudyList() {
  const [list, setList] = useState<StudySummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    api()
      .studies({ first: 50 })
      .then((c) => live && setList(c.edges.map((e) => e.node)))
      .catch((e) => live && setError(errorText(e)));
    return () => {
      live = false;
    };
  }, []);
  return (
    <section aria-labelledby="studies-h">
      <h2 id="studies-h">Studies</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {list && list.length === 0 && <p class="hint">No studies yet: create one with the form.</p>}
      <ul class="study-list">
        {list?.map((s) => (
          <li key={s.id} class="study-item" data-study-id={s.id} data-state={s.state}>
            <div class="job-head">
              <a href={`#/study/${encodeURIComponent(s.id)}`}>{s.name}</a>
              <span class={`badge badge-${s.state}`}>{STATUS_TEXT[s.state] ?? s.state}</span>
            </div>
            {s.description && <p class="hint">{s.description}</p>}
            <StudyProgressBar study={s} />
          </li>
        ))}
      </ul>
    </section>
  );
}

export function StudiesPage({ models, defaultModels }: { models: Model[]; defaultModels: Set<string> }) {
  return (
    <div class="studies-page">
      <CreateStudyForm models={models} defaultModels={defaultModels} />
      <StudyList />
    </div>
  );
}
