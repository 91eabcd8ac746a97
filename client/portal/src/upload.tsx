import { useState } from 'preact/hooks';
import { images, useStore } from './store.ts';
import type { Model } from './types.ts';

export function Upload({ models }: { models: Model[] }) {
  useStore(images);
  const [over, setOver] = useState(false);
  const send = (list: FileList | null | undefined) => {
    const files = [...(list ?? [])];
    if (files.length) void images.upload(files, models);
  };
  const { done, total } = images.uploading;
  return (
    <section aria-labelledby="upload-h" class="panel">
      <h2 id="upload-h">Upload images</h2>
      <div
        class={`dropzone${over ? ' over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          send(e.dataTransfer?.files);
        }}
      >
        <p>Drop images here, or</p>
        <label for="file-input">Choose image files</label>
        <input
          id="file-input"
          type="file"
          multiple
          accept="image/*"
          onChange={(e) => {
            const input = e.target as HTMLInputElement;
            send(input.files);
            input.value = '';
          }}
        />
        <p class="hint">
          {models.length
            ? `Each upload is predicted with ${models.map((m) => m.name).join(', ')}.`
            : 'Select a model below to predict on upload.'}
        </p>
      </div>
      {total > 0 && (
        <p role="status">
          Uploading {Math.min(done + 1, total)} of {total}…
        </p>
      )}
      {images.uploadErrors.length > 0 && (
        <ul class="errors" aria-label="Upload errors">
          {images.uploadErrors.map((e) => (
            <li key={e.id} role="alert" class="error">
              <span data-testid="upload-error">{e.text}</span>{' '}
              <button type="button" class="link" onClick={() => images.dismissUploadError(e.id)} aria-label={`Dismiss: ${e.text}`}>
                Dismiss
              </button>
            </li>
          ))}
        </ul>
      )}
      {images.predictErrors.length > 0 && (
        <ul class="errors" aria-label="Prediction errors">
          {images.predictErrors.map((t, i) => (
            <li key={i} class="error">
              {t}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
