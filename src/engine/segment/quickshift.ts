// Quick shift (Vedaldi & Soatto 2008) as skimage.segmentation.quickshift computes it
// (skimage/segmentation/_quickshift_cy.pyx): Parzen density with a Gaussian kernel of σ = kernelSize
// over a (2⌈3σ⌉+1)² window in the joint (ratio·Lab, row, col) space, each pixel linked to the
// nearest pixel of higher density inside that window, links longer than maxDist cut. The densities
// start from skimage's tie-breaking noise: `np.random.default_rng(seed).normal(scale=1e-5, size=(H, W))`.

import { Generator } from '../random.ts';
import { quickshiftDensity } from './quickshift-density.ts';

/**
 * Returns each pixel's tree root (a pixel index). `feat` is H×W×3 interleaved, already ratio-scaled.
 * `seed` is skimage's `random_seed` (numpy's default_rng, as skimage 0.19 draws its noise).
 */
export function quickshiftRoots(feat: Float64Array, width: number, height: number, kernelSize: number, maxDist: number, seed: number): Int32Array {
  const n = width * height;
  const kw = Math.ceil(3 * kernelSize);
  const noise = new Generator(seed);
  const base = new Float64Array(n);
  for (let p = 0; p < n; p++) base[p] = noise.normal(0, 0.00001);
  const density = quickshiftDensity(feat, base, width, height, kernelSize);

  // Parent: nearest pixel of strictly higher density in the window; skimage scans the window in
  // raster order and keeps the first of equal distances. Scanning offsets by increasing spatial
  // distance instead lets the search stop once the spatial term alone exceeds the best distance
  // (the colour term is ≥ 0); equal distances are resolved to the lower raster index, so the
  // result is the same.
  const side = 2 * kw + 1;
  const offsets = Array.from({ length: side * side }, (_, i) => ({ dr: Math.floor(i / side) - kw, dc: (i % side) - kw }))
    .map((o) => ({ ...o, d2: o.dr * o.dr + o.dc * o.dc }))
    .sort((a, b) => a.d2 - b.d2);
  const offDr = Int32Array.from(offsets, (o) => o.dr);
  const offDc = Int32Array.from(offsets, (o) => o.dc);
  const offD2 = Float64Array.from(offsets, (o) => o.d2);
  const nOff = offsets.length;
  const parent = new Int32Array(n);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const p = r * width + c;
      const p3 = p * 3;
      const d = density[p];
      const f0 = feat[p3];
      const f1 = feat[p3 + 1];
      const f2 = feat[p3 + 2];
      let closest = Number.MAX_VALUE;
      let best = p;
      for (let k = 1; k < nOff; k++) {
        if (offD2[k] > closest) break;
        const r2 = r + offDr[k];
        const c2 = c + offDc[k];
        if (r2 < 0 || r2 >= height || c2 < 0 || c2 >= width) continue;
        const q = r2 * width + c2;
        if (density[q] > d) {
          const q3 = q * 3;
          const t0 = f0 - feat[q3];
          const t1 = f1 - feat[q3 + 1];
          const t2 = f2 - feat[q3 + 2];
          const dr = r - r2;
          const dc = c - c2;
          // same summation order as skimage, so equal distances stay equal
          const dist = t0 * t0 + t1 * t1 + t2 * t2 + dr * dr + dc * dc;
          if (dist < closest || (dist === closest && q < best)) {
            closest = dist;
            best = q;
          }
        }
      }
      parent[p] = Math.sqrt(closest) > maxDist ? p : best;
    }
  }

  // Flatten the forest (links always point to strictly higher density, so there are no cycles).
  const root = new Int32Array(n).fill(-1);
  const stack = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    if (root[p] >= 0) continue;
    let top = 0;
    let q = p;
    while (root[q] < 0 && parent[q] !== q) {
      stack[top++] = q;
      q = parent[q];
    }
    const rt = root[q] >= 0 ? root[q] : q;
    root[q] = rt;
    while (top > 0) root[stack[--top]] = rt;
  }
  return root;
}
