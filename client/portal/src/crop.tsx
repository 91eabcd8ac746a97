// The model's view of an image: the exact pixels its preprocessing makes (Image.modelInput, rendered
// by the service), so heatmaps computed on them line up when layered on top with CSS, and the picture
// has the orientation and crop the model saw. The portal does no geometry of its own.
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ModelInputQuery } from './api.ts';

export interface ModelInput {
  url: string;
  width: number;
  height: number;
}

const inputCache = new Map<string, Promise<ModelInput | null>>();

function fetchModelInput(image: string, model: string): Promise<ModelInput | null> {
  const key = `${image}|${model}`;
  let p = inputCache.get(key);
  if (!p) {
    p = api()
      .query(ModelInputQuery, { image, model })
      .then((r) => r.image?.modelInput ?? null);
    p.catch(() => inputCache.delete(key));
    inputCache.set(key, p);
  }
  return p;
}

/** The model input of `image` for each of `models`; absent while loading or if it cannot be had. */
export function useModelInputs(image: string, models: string[]): Map<string, ModelInput> {
  const [inputs, setInputs] = useState(new Map<string, ModelInput>());
  const key = models.join(',');
  useEffect(() => {
    let live = true;
    Promise.all(models.map((m) => fetchModelInput(image, m).then((v) => [m, v] as const, () => [m, null] as const))).then((entries) => {
      if (live) setInputs(new Map(entries.filter((e): e is readonly [string, ModelInput] => e[1] !== null)));
    });
    return () => {
      live = false;
    };
  }, [image, key]);
  return inputs;
}

/** `size` is the model's input size (for the aspect ratio before the picture arrives). */
export function CropView(props: { input: ModelInput | null; size: { width: number; height: number }; alt: string; gray?: boolean; children?: ComponentChildren }) {
  const { input, size } = props;
  return (
    <div class="crop" style={{ aspectRatio: `${size.width} / ${size.height}` }}>
      {input && <img class={`crop-base${props.gray ? ' gray' : ''}`} src={input.url} alt={props.alt} data-testid="model-input" />}
      {props.children}
    </div>
  );
}

const pixelCache = new Map<string, Promise<ImageData>>();

/** The model input's pixels, read back at their own size (no resampling, so exactly the service's). */
export function loadInputPixels(input: ModelInput): Promise<ImageData> {
  let p = pixelCache.get(input.url);
  if (!p) {
    p = new Promise<ImageData>((resolve, reject) => {
      const img = new Image();
      img.onload = () => {
        try {
          const canvas = document.createElement('canvas');
          canvas.width = img.naturalWidth;
          canvas.height = img.naturalHeight;
          const ctx = canvas.getContext('2d', { willReadFrequently: true });
          if (!ctx) throw new Error('no 2D canvas context');
          ctx.drawImage(img, 0, 0);
          resolve(ctx.getImageData(0, 0, canvas.width, canvas.height));
        } catch (e) {
          reject(e);
        }
      };
      img.onerror = () => reject(new Error(`could not load ${input.url}`));
      img.src = input.url;
    });
    p.catch(() => pixelCache.delete(input.url));
    pixelCache.set(input.url, p);
  }
  return p;
}
