// The model's view of an image: the original photo resized and center-cropped the way the model's
// preprocessing does (shorter side to resizeShorter, crop width × height), so heatmaps computed on the
// crop line up when layered on top with CSS.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

export interface ModelInputGeometry {
  width: number;
  height: number;
  resizeShorter: number;
}

export function CropView(props: {
  src: string;
  alt: string;
  naturalWidth: number;
  naturalHeight: number;
  input: ModelInputGeometry;
  gray?: boolean;
  children?: ComponentChildren;
  size?: number;
}) {
  // Browsers apply EXIF orientation; the decoded size is the truth once known.
  const [dims, setDims] = useState<[number, number]>([props.naturalWidth, props.naturalHeight]);
  const { width: cw, height: ch, resizeShorter } = props.input;
  const [w, h] = dims;
  const s = resizeShorter / Math.max(1, Math.min(w, h));
  const rw = w * s;
  const rh = h * s;
  const style = {
    width: `${(rw / cw) * 100}%`,
    height: `${(rh / ch) * 100}%`,
    left: `${(-(rw - cw) / 2 / cw) * 100}%`,
    top: `${(-(rh - ch) / 2 / ch) * 100}%`,
  };
  return (
    <div class="crop" style={{ aspectRatio: `${cw} / ${ch}`, width: props.size ? `${props.size}px` : undefined }}>
      <img
        class={`crop-base${props.gray ? ' gray' : ''}`}
        src={props.src}
        alt={props.alt}
        style={style}
        onLoad={(e) => {
          const img = e.currentTarget as HTMLImageElement;
          if (img.naturalWidth && (img.naturalWidth !== w || img.naturalHeight !== h)) setDims([img.naturalWidth, img.naturalHeight]);
        }}
      />
      {props.children}
    </div>
  );
}

/** Python's round(): halves to the even neighbour (torchvision's CenterCrop). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The crop rectangle in original-image pixels, as the service's preprocessing computes it
 * (src/engine/preprocess.ts cropGeometry: torchvision Resize(int) then CenterCrop).
 */
export function cropBox(w: number, h: number, input: ModelInputGeometry): { sx: number; sy: number; sw: number; sh: number } {
  const s = input.resizeShorter;
  const rw = w <= h ? s : Math.max(s, Math.floor((s * w) / h));
  const rh = w <= h ? Math.max(s, Math.floor((s * h) / w)) : s;
  const scaleX = rw / w;
  const scaleY = rh / h;
  const left = roundHalfEven((rw - input.width) / 2);
  const top = roundHalfEven((rh - input.height) / 2);
  return { sx: left / scaleX, sy: top / scaleY, sw: input.width / scaleX, sh: input.height / scaleY };
}

const cropCache = new Map<string, Promise<ImageData>>();

/**
 * The model's view of an image as RGBA pixels at the model input resolution (resize + center crop
 * drawn on a canvas; the browser's resampling, so pixel values may differ slightly from the
 * service's). Loaded once per URL and geometry.
 */
export function loadCropPixels(src: string, input: ModelInputGeometry): Promise<ImageData> {
  const key = `${src}|${input.width}x${input.height}/${input.resizeShorter}`;
  let p = cropCache.get(key);
  if (!p) {
    p = new Promise<ImageData>((resolve, reject) => {
      const img = new Image();
      img.onload = () => {
        try {
          const canvas = document.createElement('canvas');
          canvas.width = input.width;
          canvas.height = input.height;
          const ctx = canvas.getContext('2d', { willReadFrequently: true });
          if (!ctx) throw new Error('no 2D canvas context');
          const b = cropBox(img.naturalWidth, img.naturalHeight, input);
          ctx.imageSmoothingQuality = 'high';
          ctx.drawImage(img, b.sx, b.sy, b.sw, b.sh, 0, 0, input.width, input.height);
          resolve(ctx.getImageData(0, 0, input.width, input.height));
        } catch (e) {
          reject(e);
        }
      };
      img.onerror = () => reject(new Error(`could not load ${src}`));
      img.src = src;
    });
    p.catch(() => cropCache.delete(key));
    cropCache.set(key, p);
  }
  return p;
}
