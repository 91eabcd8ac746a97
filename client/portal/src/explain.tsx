import { useEffect, useState } from 'preact/hooks';
import { AlphaSamplingSelect } from './alpha-select.tsx';
import { api, errorText } from './api.ts';
import { DEFAULT_PARAMS, GROUP_ORDER, METHODS, METHOD_INFO, parametersFor, targetFor, validateParams, type Params } from './methods.ts';
import { images, jobs, useStore } from './store.ts';
import type { Job, Method, Model } from './types.ts';

const PARAMS_KEY = 'xai-lab.explain';

interface Saved {
  methods: Method[];
  params: Params;
}

function loadSaved(): Saved {
  try {
    const s = JSON.parse(localStorage.getItem(PARAMS_KEY) ?? 'null') as Partial<Saved> | null;
    const methods = (s?.methods ?? []).filter((m) => METHOD_INFO.has(m));
    return { methods: methods.length ? methods : ['GRAD_CAM'], params: { ...DEFAULT_PARAMS, ...s?.params, force: false } };
  } catch {
    return { methods: ['GRAD_CAM'], params: { ...DEFAULT_PARAMS } };
  }
}

/** Shared by the form and the per-image "Explain" buttons. */
export const explainState = { ...loadSaved() };
const listeners = new Set<() => void>();

function save() {
  try {
    localStorage.setItem(PARAMS_KEY, JSON.stringify({ methods: explainState.methods, params: { ...explainState.params, force: false } }));
  } catch {
    /* ignore */
  }
  listeners.forEach((l) => l());
}

export interface SubmitResult {
  queued: number;
  errors: string[];
}

let modelsForSubmit: Model[] = [];

/** One job per image × model × method, four requests at a time. */
export async function submitJobs(imageIds: string[], models: Model[] = modelsForSubmit): Promise<SubmitResult> {
  const { methods, params } = explainState;
  const invalid = validateParams(params, methods);
  if (invalid) return { queued: 0, errors: [invalid] };
  if (!imageIds.length) return { queued: 0, errors: ['Select at least one image (or use an image card’s Explain button).'] };
  if (!models.length) return { queued: 0, errors: ['Select at least one model.'] };
  if (!methods.length) return { queued: 0, errors: ['Select at least one method.'] };
  const tasks = imageIds.flatMap((image) => models.flatMap((model) => methods.map((method) => ({ image, model, method }))));
  const errors: string[] = [];
  let queued = 0;
  const names = new Map(images.images.map((i) => [i.id, i.originalName ?? 'image']));
  const run = async () => {
    for (let t = tasks.shift(); t; t = tasks.shift()) {
      try {
        const e = await api().requestExplanation({
          image: t.image,
          model: t.model.id,
          method: t.method,
          parameters: parametersFor(t.method, params) ?? null,
          target: targetFor(params),
          force: params.force,
          evaluation: params.curves ? { faithfulness: {} } : null,
        });
        jobs.upsert(e as unknown as Job);
        queued++;
      } catch (err) {
        errors.push(`${METHOD_INFO.get(t.method)?.label} on ${names.get(t.image) ?? 'image'} with ${t.model.name}: ${errorText(err)}`);
      }
    }
  };
  await Promise.all([run(), run(), run(), run()]);
  return { queued, errors };
}

export const submitListeners = new Set<(r: SubmitResult) => void>();
let lastReport: SubmitResult | null = null;

/** Submits and shows the outcome under the form (for the per-image Explain buttons too). */
export async function submitAndReport(imageIds: string[], models?: Model[]) {
  const r = await submitJobs(imageIds, models);
  lastReport = r;
  submitListeners.forEach((l) => l(r));
  return r;
}

function Num(props: { id: string; label: string; value: string; placeholder?: string; hint?: string; onInput: (v: string) => void }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="number"
        inputMode="numeric"
        min={1}
        step={1}
        value={props.value}
        placeholder={props.placeholder}
        aria-describedby={props.hint ? `${props.id}-hint` : undefined}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
      />
      {props.hint && (
        <small id={`${props.id}-hint`} class="hint">
          {props.hint}
        </small>
      )}
    </div>
  );
}

export function ExplainForm(props: { models: Model[]; selectedModels: Set<string>; setSelectedModels: (s: Set<string>) => void }) {
  const [, force] = useState(0);
  const [busy, setBusy] = useState(false);
  useStore(images);
  const chosen = props.models.filter((m) => props.selectedModels.has(m.id));
  modelsForSubmit = chosen;
  const { methods, params } = explainState;
  const families = new Set(methods.map((m) => METHOD_INFO.get(m)!.family));
  const set = (p: Partial<Params>) => {
    explainState.params = { ...explainState.params, ...p };
    save();
    force((n) => n + 1);
  };
  const toggleMethod = (m: Method, on: boolean) => {
    explainState.methods = on ? [...new Set([...methods, m])] : methods.filter((x) => x !== m);
    save();
    force((n) => n + 1);
  };
  const selected = [...images.selected];
  const count = selected.length * chosen.length * methods.length;

  return (
    <section aria-labelledby="explain-h" class="panel">
      <h2 id="explain-h">Explain</h2>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          await submitAndReport(selected, chosen);
          setBusy(false);
        }}
      >
        <fieldset>
          <legend>Models</legend>
          {props.models.length === 0 && <p class="hint">No models registered.</p>}
          {props.models.map((m) => (
            <label class="check" key={m.id}>
              <input
                type="checkbox"
                checked={props.selectedModels.has(m.id)}
                onChange={(e) => {
                  const s = new Set(props.selectedModels);
                  if ((e.target as HTMLInputElement).checked) s.add(m.id);
                  else s.delete(m.id);
                  props.setSelectedModels(s);
                }}
              />
              {m.name}
              {m.version !== '1' ? ` v${m.version}` : ''} <small class="hint">{m.quantized ? 'int8 (methods without gradients)' : `${m.numClasses} classes`}</small>
            </label>
          ))}
        </fieldset>
        <fieldset>
          <legend>Methods</legend>
          {GROUP_ORDER.map((g) => (
            <div class="method-group" role="group" aria-label={g} key={g}>
              <span class="group-name" aria-hidden="true">
                {g}
              </span>
              {METHODS.filter((m) => m.group === g).map((m) => (
                <label class="check" key={m.method}>
                  <input type="checkbox" checked={methods.includes(m.method)} onChange={(e) => toggleMethod(m.method, (e.target as HTMLInputElement).checked)} />
                  {m.label}
                </label>
              ))}
            </div>
          ))}
        </fieldset>
        <fieldset>
          <legend>Parameters</legend>
          <Num id="p-topk" label="Classes to explain (top-k)" value={params.topK} onInput={(v) => set({ topK: v })} />
          {families.has('cam') && (
            <div class="field">
              <label for="p-layer">CAM target layer</label>
              <input id="p-layer" type="text" value={params.camLayer} placeholder="default: last spatial layer" onInput={(e) => set({ camLayer: (e.target as HTMLInputElement).value })} />
            </div>
          )}
          {families.has('gradient') && (
            <>
              <Num id="p-gsamples" label="SmoothGrad / Gradient SHAP samples" value={params.gradientSamples} placeholder="default" onInput={(v) => set({ gradientSamples: v })} />
              {methods.includes('INTEGRATED_GRADIENTS') && (
                <Num id="p-gsteps" label="Integrated Gradients steps" value={params.gradientSteps} placeholder="default" onInput={(v) => set({ gradientSteps: v })} />
              )}
              {methods.includes('GRADIENT_SHAP') && <AlphaSamplingSelect id="p-alpha" value={params.gradientAlphaSampling} onChange={(v) => set({ gradientAlphaSampling: v })} />}
            </>
          )}
          {families.has('lime') && (
            <Num
              id="p-lime-samples"
              label="LIME samples"
              value={params.limeSamples}
              hint="lime's default 1000; the views show the top 5 superpixels (positive) and 10 (both)"
              onInput={(v) => set({ limeSamples: v })}
            />
          )}
          {families.has('kernelShap') && (
            <Num id="p-ks-samples" label="Kernel SHAP samples" value={params.kernelShapSamples} placeholder="default: 2 × segments + 2048" onInput={(v) => set({ kernelShapSamples: v })} />
          )}
          {families.has('partitionShap') && (
            <Num id="p-ps-evals" label="Partition SHAP evaluations" value={params.partitionShapEvals} hint="shap's default 500" onInput={(v) => set({ partitionShapEvals: v })} />
          )}
          <label class="check">
            <input type="checkbox" checked={params.curves} onChange={(e) => set({ curves: (e.target as HTMLInputElement).checked })} />
            Deletion and insertion curves
          </label>
          <label class="check">
            <input type="checkbox" checked={params.force} onChange={(e) => set({ force: (e.target as HTMLInputElement).checked })} />
            Run again even if an identical explanation exists
          </label>
        </fieldset>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Submitting…' : `Explain ${selected.length} selected image${selected.length === 1 ? '' : 's'}`}
        </button>
        <p class="hint">
          {count > 0 ? `${count} job${count === 1 ? '' : 's'}: images × models × methods.` : 'Select images in the gallery, models and methods.'}
        </p>
      </form>
      <SubmitReport />
    </section>
  );
}

export function SubmitReport() {
  const [r, setR] = useState<SubmitResult | null>(lastReport);
  useEffect(() => {
    submitListeners.add(setR);
    return () => submitListeners.delete(setR);
  }, []);
  if (!r) return null;
  return (
    <div class="submit-report">
      {r.queued > 0 && <p role="status">Queued {r.queued} job{r.queued === 1 ? '' : 's'}.</p>}
      {r.errors.length > 0 && (
        <ul class="errors">
          {r.errors.map((t, i) => (
            <li role="alert" class="error" key={i} data-testid="explain-error">
              {t}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
