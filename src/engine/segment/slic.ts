// SLIC superpixels as skimage.segmentation.slic computes them for a 2-D RGB image
// (skimage/segmentation/slic_superpixels.py and _slic.pyx): min/max rescale to [0, 1], CIELAB,
// optional Gaussian pre-smoothing, grid seeds from skimage.util.regular_grid on the (1, H, W)
// volume, max_num_iter = 10 k-means rounds over ±2·step windows with colour features scaled by
// 1/compactness, then _enforce_label_connectivity_cython with min_size_factor 0.5, max_size_factor 3.
import { rgbToLab } from './color.ts';
import { gaussianFilter } from './gaussian.ts';

interface GridSlice {
  start: number;
  step: number;
}

/** skimage.util.regular_grid(shape, n_points) → one (start, step) slice per axis. */
export function regularGrid(shape: readonly number[], nPoints: number): GridSlice[] {
  const ndim = shape.length;
  const spaceSize0 = shape.reduce((a, b) => a * b, 1);
  if (spaceSize0 <= nPoints) return shape.map(() => ({ start: 0, step: 1 }));
  // argsort (ties keep index order, as numpy's sort does for three elements)
  const order = shape.map((_, i) => i).sort((a, b) => shape[a] - shape[b] || a - b);
  const sorted = order.map((i) => shape[i]);
  const steps = new Array<number>(ndim).fill(Math.pow(spaceSize0 / nPoints, 1 / ndim));
  if (sorted.some((d, i) => d < steps[i])) {
    for (let dim = 0; dim < ndim; dim++) {
      steps[dim] = sorted[dim];
      const spaceSize = sorted.slice(dim + 1).reduce((a, b) => a * b, 1);
      for (let j = dim + 1; j < ndim; j++) steps[j] = Math.pow(spaceSize / nPoints, 1 / (ndim - dim - 1));
      if (sorted.every((d, i) => d >= steps[i])) break;
    }
  }
  const sortedSlices = steps.map((s) => ({ start: Math.floor(s / 2), step: roundHalfEven(s) }));
  const out = new Array<GridSlice>(ndim);
  order.forEach((axis, k) => (out[axis] = sortedSlices[k]));
  return out;
}

/** numpy.round: halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function slicLabels(rgb: Uint8Array, width: number, height: number, nSegments: number, compactness: number, sigma: number): Int32Array {
  const n = width * height;
  let img = rgbToLab(rgb, n, true);
  if (sigma > 0) img = gaussianFilter(img, width, height, 3, sigma);
  const ratio = 1 / compactness;
  for (let i = 0; i < img.length; i++) img[i] *= ratio;

  // Seeds: every step-th row/column of the grid, z is always 0 for a 2-D image.
  const [, gy, gx] = regularGrid([1, height, width], nSegments);
  const ys: number[] = [];
  const xs: number[] = [];
  for (let y = gy.start; y < height; y += gy.step) ys.push(y);
  for (let x = gx.start; x < width; x += gx.step) xs.push(x);
  const k = ys.length * xs.length;
  const cy = new Float64Array(k);
  const cx = new Float64Array(k);
  const cc = new Float64Array(k * 3); // colour starts at 0, as skimage's np.zeros
  for (let i = 0; i < ys.length; i++) {
    for (let j = 0; j < xs.length; j++) {
      cy[i * xs.length + j] = ys[i];
      cx[i * xs.length + j] = xs[j];
    }
  }
  const step = Math.max(1, gy.step, gx.step);
  // _slic_cython recomputes the window steps from the actual number of centroids.
  const [, wy, wx] = regularGrid([1, height, width], k);
  const spatialWeight = 1 / (step * step);

  const nearest = new Int32Array(n).fill(-1);
  const distance = new Float64Array(n);
  const count = new Float64Array(k);
  const sy = new Float64Array(k);
  const sx = new Float64Array(k);
  const sc = new Float64Array(k * 3);
  for (let iter = 0; iter < 10; iter++) {
    let change = false;
    distance.fill(Number.MAX_VALUE);
    for (let s = 0; s < k; s++) {
      if (count[s] === 0 && iter > 0) continue; // empty segment: NaN centre in skimage, never wins
      const y0 = cy[s];
      const x0 = cx[s];
      const yMin = Math.trunc(Math.max(y0 - 2 * wy.step, 0));
      const yMax = Math.trunc(Math.min(y0 + 2 * wy.step + 1, height));
      const xMin = Math.trunc(Math.max(x0 - 2 * wx.step, 0));
      const xMax = Math.trunc(Math.min(x0 + 2 * wx.step + 1, width));
      const c0 = cc[s * 3];
      const c1 = cc[s * 3 + 1];
      const c2 = cc[s * 3 + 2];
      for (let y = yMin; y < yMax; y++) {
        let dy = y0 - y;
        dy *= dy;
        for (let x = xMin; x < xMax; x++) {
          const dx = x0 - x;
          const p = y * width + x;
          const p3 = p * 3;
          const t0 = img[p3] - c0;
          const t1 = img[p3 + 1] - c1;
          const t2 = img[p3 + 2] - c2;
          const d = (dy + dx * dx) * spatialWeight + (t0 * t0 + t1 * t1 + t2 * t2);
          if (distance[p] > d) {
            nearest[p] = s;
            distance[p] = d;
            change = true;
          }
        }
      }
    }
    if (!change) break;
    count.fill(0);
    sy.fill(0);
    sx.fill(0);
    sc.fill(0);
    for (let y = 0, p = 0; y < height; y++) {
      for (let x = 0; x < width; x++, p++) {
        const s = nearest[p];
        if (s < 0) continue;
        count[s]++;
        sy[s] += y;
        sx[s] += x;
        sc[s * 3] += img[p * 3];
        sc[s * 3 + 1] += img[p * 3 + 1];
        sc[s * 3 + 2] += img[p * 3 + 2];
      }
    }
    for (let s = 0; s < k; s++) {
      cy[s] = sy[s] / count[s];
      cx[s] = sx[s] / count[s];
      cc[s * 3] = sc[s * 3] / count[s];
      cc[s * 3 + 1] = sc[s * 3 + 1] / count[s];
      cc[s * 3 + 2] = sc[s * 3 + 2] / count[s];
    }
  }

  const segmentSize = n / k;
  return enforceConnectivity(nearest, width, height, Math.trunc(0.5 * segmentSize), Math.trunc(3 * segmentSize));
}

/**
 * skimage's _enforce_label_connectivity_cython (start_label 0): relabels 4-connected components in
 * raster order; a component smaller than minSize takes the label of the last already-labelled
 * neighbour met during its search. The search stops growing at maxSize pixels (the rest of such a
 * component becomes a new component later), exactly as skimage's fixed-size queue does.
 */
export function enforceConnectivity(segments: Int32Array, width: number, height: number, minSize: number, maxSize: number): Int32Array {
  const n = width * height;
  const out = new Int32Array(n).fill(-1);
  const queue = new Int32Array(Math.max(1, maxSize));
  let next = 0;
  for (let p0 = 0; p0 < n; p0++) {
    if (segments[p0] === -1 || out[p0] > -1) continue;
    let adjacent = next;
    const label = segments[p0];
    out[p0] = next;
    let size = 1;
    let visited = 0;
    queue[0] = p0;
    while (visited < size && size < maxSize) {
      const p = queue[visited];
      const x = p % width;
      const y = (p - x) / width;
      // neighbour order of skimage's ddx/ddy: x+1, x−1, y+1, y−1
      for (let i = 0; i < 4; i++) {
        let q: number;
        if (i === 0) {
          if (x + 1 >= width) continue;
          q = p + 1;
        } else if (i === 1) {
          if (x === 0) continue;
          q = p - 1;
        } else if (i === 2) {
          if (y + 1 >= height) continue;
          q = p + width;
        } else {
          if (y === 0) continue;
          q = p - width;
        }
        if (segments[q] === label && out[q] === -1) {
          out[q] = next;
          queue[size++] = q;
          if (size >= maxSize) break;
        } else if (out[q] > -1 && out[q] !== next) {
          adjacent = out[q];
        }
      }
      visited++;
    }
    if (size < minSize) {
      for (let i = 0; i < size; i++) out[queue[i]] = adjacent;
    } else {
      next++;
    }
  }
  return out;
}
