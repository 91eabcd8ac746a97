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
