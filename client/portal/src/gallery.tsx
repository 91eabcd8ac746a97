import { useState } from 'preact/hooks';
import { submitAndReport } from './explain.tsx';
import { prob } from './format.ts';
import { images, useStore } from './store.ts';
import type { ImageRow, Model } from './types.ts';

function Card({ img, models }: { img: ImageRow; models: Model[] }) {
  const [busy, setBusy] = useState(false);
  const name = img.originalName ?? 'image';
  const preds = images.predictions.get(img.id);
  const checkboxId = `sel-${img.id}`;
  return (
    <li class="card" data-image-id={img.id}>
      <img class="card-img" src={img.url} alt={name} loading="lazy" width={img.width} height={img.height} />
      <div class="card-body">
        <h3 class="card-title" title={name}>
          {name}
        </h3>
        <p class="hint">
          {img.width}×{img.height} {img.format.toUpperCase()}
        </p>
        <ul class="preds" aria-label={`Predictions for ${name}`}>
          {models.map((m) => {
            const p = preds?.get(m.id);
            const top = p?.classes[0];
            return (
              <li key={m.id}>
                <span class="model-name">{m.name}:</span>{' '}
                {top ? (
                  <span data-testid="prediction">
                    {top.label} <strong>{prob(top.probability)}</strong>
                  </span>
                ) : (
                  <button type="button" class="link" onClick={() => images.predict(img.id, m)}>
                    Predict
                  </button>
                )}
              </li>
            );
          })}
        </ul>
        <div class="card-actions">
          <label class="check" for={checkboxId}>
            <input id={checkboxId} type="checkbox" checked={images.selected.has(img.id)} onChange={(e) => images.toggle(img.id, (e.target as HTMLInputElement).checked)} />
            Select
          </label>
          <button
            type="button"
            disabled={busy}
            aria-label={`Explain ${name}`}
            onClick={async () => {
              setBusy(true);
              await submitAndReport([img.id], models);
              setBusy(false);
            }}
          >
            Explain
          </button>
          <a href={`#/image/${encodeURIComponent(img.id)}`} aria-label={`Results for ${name}`}>
            Results
          </a>
        </div>
      </div>
    </li>
  );
}

export function Gallery({ models }: { models: Model[] }) {
  useStore(images);
  const n = images.selected.size;
  return (
    <section aria-labelledby="gallery-h">
      <div class="section-head">
        <h2 id="gallery-h">Images</h2>
        <div class="row">
          <button type="button" onClick={() => images.selectAll()}>
            Select all shown
          </button>
          <button type="button" disabled={n === 0} onClick={() => images.clearSelection()}>
            Clear selection ({n})
          </button>
        </div>
      </div>
      {images.error && (
        <p class="error" role="alert">
          {images.error}
        </p>
      )}
      {images.images.length === 0 && !images.loading && <p class="hint">No images yet: upload some.</p>}
      <ul class="cards">
        {images.images.map((img) => (
          <Card img={img} models={models} key={img.id} />
        ))}
      </ul>
      {images.hasMore && (
        <button type="button" disabled={images.loading} onClick={() => images.loadMore()}>
          {images.loading ? 'Loading…' : 'Load more images'}
        </button>
      )}
    </section>
  );
}
