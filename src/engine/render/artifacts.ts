// Everything downloadable for one ExplainResult, with unique, stable names:
//   per attribution (in result order):   heatmap-<class>.png, overlay-<class>.png, raw-<class>.npy
//   segment-based results:               segments.png, segments-mean.png, raw-segments.npy,
//                                        lime-positive-<class>.png, lime-both-<class>.png (per weights entry)
//   when sample masks are given:         samples.png
// <class> is the class index; a class repeated within one kind gets "-2", "-3"… in order.
import { EngineError } from '../errors.ts';
import type { ExplainResult } from '../explain/types.ts';
import { DEFAULT_COLORMAP, type ColormapName } from './colormaps.ts';
import { absPercentile, encodePng, heatmapPixels, renderOverlay } from './heatmap.ts';
import { limeView, sampleGrid, segmentsViews, type SampleFill } from './lime-views.ts';
import { encodeNpy } from './raw.ts';
import type { Pixels } from '../pil/resample.ts';

export type ArtifactKind = 'HEATMAP' | 'OVERLAY' | 'RAW' | 'MASK' | 'SEGMENTS' | 'SAMPLES';

export interface RenderedArtifact {
  name: string;
  kind: ArtifactKind;
  mediaType: 'image/png' | 'application/x-npy';
  bytes: Buffer;
  width: number;
  height: number;
  /** RAW only: the array's shape ([height, width]). */
  shape?: number[];
  /** The explained class, for per-class artifacts. */
  classIndex?: number;
}

export type Artifact = RenderedArtifact;

export interface ArtifactOptions {
  colormap?: ColormapName;
  opacity?: number;
  /**
   * Signed maps share one symmetric scale across all classes of the result (shap's image_plot
   * scales per row). s = this percentile of |v|; 100 (default) = max |v|, 99.9 = shap exactly.
   */
  signedPercentile?: number;
  /** LIME views: superpixels shown (positive view: lime's default 5; both view: lime tutorial's 10). */
  limePositiveFeatures?: number;
  limeBothFeatures?: number;
  /** LIME views: mark_boundaries(temp / 2 + 0.5, mask) washing; default true (the seeds' look). */
  brighten?: boolean;
  /** Perturbation masks to show as a sample grid (one Uint8Array of on/off per segment each). */
  sampleMasks?: readonly Uint8Array[];
  sampleFill?: SampleFill;
  maxPixels?: number;
}

function invalid(message: string): never {
  throw new EngineError('INVALID_ARGUMENT', message);
}

/** Unique names per prefix: first use "<prefix>-<class>", then "-2", "-3"… */
function namer() {
  const seen = new Map<string, number>();
  return (base: string, ext: string): string => {
    const k = (seen.get(base) ?? 0) + 1;
    seen.set(base, k);
    return k === 1 ? `${base}.${ext}` : `${base}-${k}.${ext}`;
  };
}

export async function renderArtifacts(
  result: ExplainResult,
  /** The original image file, or its pixels already decoded as result.geometry.decode says. */
  original: Buffer | Pixels,
  rgbCrop: Uint8Array,
  opts: ArtifactOptions = {},
): Promise<RenderedArtifact[]> {
  const g = result.geometry;
  const cw = g.width;
  const ch = g.height;
  if (!(rgbCrop instanceof Uint8Array) || rgbCrop.length !== cw * ch * 3) {
    invalid(`expected the ${cw}×${ch} model-input crop as ${cw * ch * 3} RGB bytes, got ${rgbCrop?.length}`);
  }
  const colormap = opts.colormap ?? DEFAULT_COLORMAP;
  const name = namer();
  const out: RenderedArtifact[] = [];

  // One symmetric scale for every signed map of this image, as shap.image_plot does per row.
  const signed = result.attributions.filter((a) => a.signed);
  let maxAbs: number | undefined;
  if (signed.length > 0) {
    const all = new Float32Array(signed.reduce((n, a) => n + a.map.length, 0));
    let o = 0;
    for (const a of signed) {
      all.set(a.map, o);
      o += a.map.length;
    }
    maxAbs = absPercentile(all, opts.signedPercentile ?? 100);
  }

  for (const a of result.attributions) {
    const common = { colormap, signed: a.signed, maxAbs: a.signed ? maxAbs : undefined };
    const heat = heatmapPixels(a.map, a.width, a.height, common);
    out.push({
      name: name(`heatmap-${a.classIndex}`, 'png'),
      kind: 'HEATMAP',
      mediaType: 'image/png',
      bytes: await encodePng(heat),
      width: a.width,
      height: a.height,
      classIndex: a.classIndex,
    });
    out.push({
      name: name(`overlay-${a.classIndex}`, 'png'),
      kind: 'OVERLAY',
      mediaType: 'image/png',
      bytes: await renderOverlay(original, g, a.map, a.width, a.height, { ...common, opacity: opts.opacity, maxPixels: opts.maxPixels }),
      width: g.originalWidth,
      height: g.originalHeight,
      classIndex: a.classIndex,
    });
    out.push({
      name: name(`raw-${a.classIndex}`, 'npy'),
      kind: 'RAW',
      mediaType: 'application/x-npy',
      bytes: encodeNpy(a.map, [a.height, a.width]),
      width: a.width,
      height: a.height,
      shape: [a.height, a.width],
      classIndex: a.classIndex,
    });
  }

  const seg = result.segments;
  if (seg) {
    if (!(seg.segments instanceof Int32Array) || seg.segments.length !== cw * ch) {
      invalid(`segments must be ${cw * ch} labels over the ${cw}×${ch} model input, got ${seg.segments?.length}`);
    }
    const views = segmentsViews(rgbCrop, seg.segments, cw, ch);
    out.push({ name: name('segments', 'png'), kind: 'SEGMENTS', mediaType: 'image/png', bytes: await encodePng(views.boundaries), width: cw, height: ch });
    out.push({ name: name('segments-mean', 'png'), kind: 'SEGMENTS', mediaType: 'image/png', bytes: await encodePng(views.meanFill), width: cw, height: ch });
    out.push({
      name: name('raw-segments', 'npy'),
      kind: 'RAW',
      mediaType: 'application/x-npy',
      bytes: encodeNpy(Float32Array.from(seg.segments), [ch, cw]),
      width: cw,
      height: ch,
      shape: [ch, cw],
    });
    const brighten = opts.brighten ?? true;
    // lime's two usual figures: the top positive superpixels, and the top ones of either sign.
    const limeFigures = [
      { view: 'positive', positiveOnly: true, numFeatures: opts.limePositiveFeatures ?? 5 },
      { view: 'both', positiveOnly: false, numFeatures: opts.limeBothFeatures ?? 10 },
    ];
    for (const w of seg.weights) {
      for (const v of limeFigures) {
        const img = limeView(rgbCrop, seg.segments, w.values, cw, ch, { positiveOnly: v.positiveOnly, hideRest: false, numFeatures: v.numFeatures, brighten });
        out.push({
          name: name(`lime-${v.view}-${w.classIndex}`, 'png'),
          kind: 'MASK',
          mediaType: 'image/png',
          bytes: await encodePng(img),
          width: cw,
          height: ch,
          classIndex: w.classIndex,
        });
      }
    }
    if (opts.sampleMasks && opts.sampleMasks.length > 0) {
      const grid = sampleGrid(rgbCrop, seg.segments, cw, ch, opts.sampleMasks, opts.sampleFill ?? 'mean');
      out.push({ name: name('samples', 'png'), kind: 'SAMPLES', mediaType: 'image/png', bytes: await encodePng(grid), width: grid.width, height: grid.height });
    }
  } else if (opts.sampleMasks && opts.sampleMasks.length > 0) {
    invalid('sample masks need a segment-based result');
  }
  return out;
}
