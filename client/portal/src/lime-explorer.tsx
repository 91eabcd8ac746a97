// Interactive LIME view of one finished explanation: lime's get_image_and_mask options (positive only /
// negative only / both, hide rest, number of features, class) re-rendered on a canvas in the browser
// from the stored superpixel labels (raw-segments.npy, fetched once) and result.localExp. No re-run,
// no further requests. Until the data is loaded (or if it cannot be), the stored server image shows.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { loadInputPixels, type ModelInput } from './crop.tsx';
import { describeLimeView, localExpOf, parseNpy, renderLimeView, segmentLabels, signOptions, type LimeSign } from './lime-view.ts';
import type { ExplanationDetail } from './types.ts';

interface Segs {
  labels: Int32Array;
  width: number;
  height: number;
  count: number;
}

const npyCache = new Map<string, Promise<Segs>>();

function loadSegments(url: string): Promise<Segs> {
  let p = npyCache.get(url);
  if (!p) {
    p = fetch(url, { credentials: 'same-origin' }).then(async (r) => {
      if (!r.ok) throw new Error(`HTTP ${r.status} for the superpixel labels`);
      return segmentLabels(parseNpy(await r.arrayBuffer()));
    });
    p.catch(() => npyCache.delete(url));
    npyCache.set(url, p);
  }
  return p;
}

export function LimeExplorer(props: { e: ExplanationDetail; input: ModelInput | null; classes: { index: number; label: string }[] }) {
  const { e, input } = props;
  const exps = useMemo(() => localExpOf(e.result), [e.result]);
  const classes = props.classes.filter((c) => exps.has(c.index));
  const segArt = e.artifacts.find((a) => a.name === 'raw-segments.npy');
  const [cls, setCls] = useState(classes[0]?.index ?? -1);
  const [sign, setSign] = useState<LimeSign>('positive');
  const [hideRest, setHideRest] = useState(false);
  const [numText, setNumText] = useState('5');
  const [data, setData] = useState<{ segs: Segs; pixels: ImageData } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const uid = `lime-${e.id}`;

  useEffect(() => {
    if (!segArt || !input) return;
    let live = true;
    Promise.all([loadSegments(segArt.url), loadInputPixels(input)])
      .then(([segs, pixels]) => {
        if (!live) return;
        if (segs.width !== pixels.width || segs.height !== pixels.height) throw new Error(`superpixels are ${segs.width}×${segs.height} but the model input is ${pixels.width}×${pixels.height}`);
        setData({ segs, pixels });
      })
      .catch((err) => live && setError(String(err?.message ?? err)));
    return () => {
      live = false;
    };
  }, [segArt?.url, input?.url]);

  const exp = exps.get(cls) ?? [];
  const maxFeatures = Math.max(1, exp.length || data?.segs.count || 1);
  const parsed = Math.round(Number(numText));
  const numFeatures = Number.isFinite(parsed) ? Math.min(maxFeatures, Math.max(1, parsed)) : 5;
  const className = classes.find((c) => c.index === cls)?.label ?? `class ${cls}`;

  const view = useMemo(() => {
    if (!data) return null;
    const { segs, pixels } = data;
    return renderLimeView(pixels.data, segs.labels, exp, segs.width, segs.height, { ...signOptions(sign), hideRest, numFeatures });
  }, [data, exp, sign, hideRest, numFeatures]);

  useEffect(() => {
    const c = canvas.current;
    if (!c || !view || !data) return;
    c.getContext('2d')?.putImageData(new ImageData(view.image, data.segs.width, data.segs.height), 0, 0);
  }, [view]);

  if (!segArt || classes.length === 0) return null;
  const stored = e.artifacts.find((a) => a.name === `lime-positive-${cls}.png`);
  const description = describeLimeView(className, sign, numFeatures, hideRest, view?.features.length ?? numFeatures);

  return (
    <figure class="tile lime-explorer" data-explanation-id={e.id} aria-labelledby={`${uid}-cap`}>
      <div class="lime-canvas-wrap">
        {data ? (
          <canvas
            ref={canvas}
            width={data.segs.width}
            height={data.segs.height}
            class="tile-img lime-canvas"
            role="img"
            aria-label={description}
            data-testid="lime-canvas"
            data-class={cls}
            data-features={view?.features.join(',') ?? ''}
          />
        ) : stored ? (
          <img class="tile-img" src={stored.url} alt={`LIME, class ${className}, top 5 positive superpixels (stored image)`} />
        ) : null}
      </div>
      {error && <p class="error">Interactive view unavailable: {error}</p>}
      <figcaption id={`${uid}-cap`}>
        <strong>LIME explorer</strong>
        <span class="hint">{data ? `${maxFeatures} superpixels; re-rendered in the browser` : error ? 'showing the stored image' : 'loading superpixels…'}</span>
      </figcaption>
      <div class="lime-controls" role="group" aria-label={`LIME view options for ${className}`}>
        {classes.length > 1 && (
          <div class="field">
            <label for={`${uid}-class`}>Class</label>
            <select id={`${uid}-class`} value={String(cls)} onChange={(ev) => setCls(Number((ev.target as HTMLSelectElement).value))}>
              {classes.map((c) => (
                <option key={c.index} value={String(c.index)}>
                  {c.label}
                </option>
              ))}
            </select>
          </div>
        )}
        <fieldset>
          <legend>Superpixels shown</legend>
          {(
            [
              ['positive', 'Positive only'],
              ['negative', 'Negative only'],
              ['both', 'Positive and negative'],
            ] as const
          ).map(([v, label]) => (
            <label key={v} class="radio-line">
              <input type="radio" name={`${uid}-sign`} value={v} checked={sign === v} onChange={() => setSign(v)} />
              {label}
            </label>
          ))}
        </fieldset>
        <label class="radio-line">
          <input type="checkbox" checked={hideRest} onChange={(ev) => setHideRest((ev.target as HTMLInputElement).checked)} />
          Hide rest
        </label>
        <div class="field">
          <label for={`${uid}-n`}>Number of features (1–{maxFeatures})</label>
          <input
            id={`${uid}-n`}
            type="number"
            min={1}
            max={maxFeatures}
            step={1}
            value={numText}
            onInput={(ev) => setNumText((ev.target as HTMLInputElement).value)}
            onBlur={() => setNumText(String(numFeatures))}
          />
        </div>
      </div>
    </figure>
  );
}
