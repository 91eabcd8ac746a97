// Segment outlines like skimage.segmentation.find_boundaries / mark_boundaries (2-D, connectivity 1).
import { EngineError } from '../errors.ts';

export type BoundaryMode = 'thick' | 'inner' | 'outer';

function checkLabels(labels: Int32Array, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new EngineError('INVALID_ARGUMENT', `image size must be positive integers, got ${width}×${height}`);
  }
  if (labels.length !== width * height) {
    throw new EngineError('INVALID_ARGUMENT', `expected ${width * height} labels, got ${labels.length}`);
  }
}

/** Grey dilation and erosion with a 3×3 cross (square = false) or square; out-of-image neighbours ignored (scipy 'reflect'). */
function minMax(src: Int32Array, width: number, height: number, square: boolean, max: Int32Array, min: Int32Array): void {
  for (let y = 0, p = 0; y < height; y++) {
    for (let x = 0; x < width; x++, p++) {
      let hi = src[p];
      let lo = hi;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          if (!square && dx !== 0 && dy !== 0) continue;
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const v = src[yy * width + xx];
          if (v > hi) hi = v;
          if (v < lo) lo = v;
        }
      }
      max[p] = hi;
      min[p] = lo;
    }
  }
}

/**
 * skimage.segmentation.find_boundaries(labels, connectivity=1, mode, background): 1 where a pixel
 * lies on a boundary between labels. 'thick' marks both sides; 'inner' only pixels not of the
 * background label; 'outer' the background side of object/background borders and both sides of
 * object/object borders (skimage's rule, with `background` defaulting to 0 like skimage).
 */
export function segmentBoundaries(labels: Int32Array, width: number, height: number, mode: BoundaryMode = 'thick', background = 0): Uint8Array {
  checkLabels(labels, width, height);
  if (mode !== 'thick' && mode !== 'inner' && mode !== 'outer') {
    throw new EngineError('INVALID_ARGUMENT', `boundary mode must be thick, inner or outer, got ${String(mode)}`);
  }
  const n = width * height;
  const dil = new Int32Array(n);
  const ero = new Int32Array(n);
  minMax(labels, width, height, false, dil, ero);
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) out[p] = dil[p] !== ero[p] ? 1 : 0;
  if (mode === 'inner') {
    for (let p = 0; p < n; p++) if (labels[p] === background) out[p] = 0;
  } else if (mode === 'outer') {
    // adjacent_objects = dilation(labels, square) != erosion(labels with background → max, square)
    const inverted = new Int32Array(n);
    for (let p = 0; p < n; p++) inverted[p] = labels[p] === background ? 0x7fffffff : labels[p];
    const dilSq = new Int32Array(n);
    const eroSq = new Int32Array(n);
    const scratch = new Int32Array(n);
    minMax(labels, width, height, true, dilSq, scratch);
    minMax(inverted, width, height, true, scratch, eroSq);
    for (let p = 0; p < n; p++) {
      const bg = labels[p] === background;
      if (out[p] && !bg && dilSq[p] === eroSq[p]) out[p] = 0;
    }
  }
  return out;
}

/**
 * skimage.segmentation.mark_boundaries: a copy of the RGB image with boundary pixels painted
 * `color` (default yellow, skimage's (1, 1, 0)); mode 'outer' by default as in skimage.
 */
export function markBoundaries(
  rgb: Uint8Array,
  labels: Int32Array,
  width: number,
  height: number,
  color: readonly [number, number, number] = [255, 255, 0],
  mode: BoundaryMode = 'outer',
  background = 0,
): Uint8Array {
  checkLabels(labels, width, height);
  if (rgb.length !== width * height * 3) {
    throw new EngineError('INVALID_ARGUMENT', `expected ${width * height * 3} RGB bytes, got ${rgb.length}`);
  }
  if (color.length !== 3 || color.some((c) => !Number.isInteger(c) || c < 0 || c > 255)) {
    throw new EngineError('INVALID_ARGUMENT', 'color must be three integers 0..255');
  }
  const b = segmentBoundaries(labels, width, height, mode, background);
  const out = Uint8Array.from(rgb);
  for (let p = 0; p < b.length; p++) {
    if (b[p]) {
      out[p * 3] = color[0];
      out[p * 3 + 1] = color[1];
      out[p * 3 + 2] = color[2];
    }
  }
  return out;
}
