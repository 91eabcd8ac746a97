// Quick shift (Vedaldi & Soatto 2008) as skimage.segmentation.quickshift computes it
// (skimage/segmentation/_quickshift_cy.pyx): Parzen density with a Gaussian kernel of σ = kernelSize
// over a (2⌈3σ⌉+1)² window in the joint (ratio·Lab, row, col) space, each pixel linked to the
// nearest pixel of higher density inside that window, links longer than maxDist cut. The densities
// start from skimage's tie-breaking noise: `np.random.default_rng(seed).normal(scale=1e-5, size=(H, W))`.

import { Generator } from '../random.ts';

// exp(x) for x below this is < 3e-17: far under the 1e-5 tie-breaking noise, so it is skipped.
const EXP_CUTOFF = -38;

// exp on (EXP_CUTOFF, 0] by table and a short Taylor series: exp(x) = exp(-i/256) · exp(r) with
// r ∈ (-1/256, 0]; relative error < 1e-14, about twice as fast as Math.exp in V8.
const EXP_STEPS = 256;
const EXP_TABLE = (() => {
  const t = new Float64Array(-EXP_CUTOFF * EXP_STEPS + 2);
  for (let i = 0; i < t.length; i++) t[i] = Math.exp(-i / EXP_STEPS);
  return t;
})();

function expNeg(x: number): number {
  const i = (-x * EXP_STEPS) | 0;
  const r = x + i / EXP_STEPS;
  return EXP_TABLE[i] * (1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r / 120)))));
}

/**
 * Returns each pixel's tree root (a pixel index). `feat` is H×W×3 interleaved, already ratio-scaled.
 * `seed` is skimage's `random_seed` (numpy's default_rng, as skimage 0.19 draws its noise).
 */
export function quickshiftRoots(feat: Float64Array, width: number, height: number, kernelSize: number, maxDist: number, seed: number): Int32Array {
  const n = width * height;
  const kw = Math.ceil(3 * kernelSize);
  const inv = -0.5 / (kernelSize * kernelSize);
  const density = new Float64Array(n);
  const noise = new Generator(seed);
  for (let p = 0; p < n; p++) density[p] = noise.normal(0, 0.00001);

  // Density: the kernel is symmetric, so each unordered pair inside the window is evaluated once
  // and credited to both pixels (the self term is exp(0) = 1). Channels are split into separate
  // arrays for the inner loops.
  const g0 = new Float64Array(n);
  const g1 = new Float64Array(n);
  const g2 = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    g0[p] = feat[p * 3];
    g1[p] = feat[p * 3 + 1];
    g2[p] = feat[p * 3 + 2];
  }
  for (let r = 0; r < height; r++) {
    const rMax = Math.min(r + kw + 1, height);
    for (let c = 0; c < width; c++) {
      const p = r * width + c;
      const f0 = g0[p];
      const f1 = g1[p];
      const f2 = g2[p];
      let acc = 1;
      // same row, to the right
      const cEnd = Math.min(c + kw + 1, width) - c;
      for (let dc = 1; dc < cEnd; dc++) {
        const q = p + dc;
        const t0 = f0 - g0[q];
        const t1 = f1 - g1[q];
        const t2 = f2 - g2[q];
        const arg = (t0 * t0 + t1 * t1 + t2 * t2 + dc * dc) * inv;
        if (arg > EXP_CUTOFF) {
          const w = expNeg(arg);
          acc += w;
          density[q] += w;
        }
      }
      // rows below, full window width
      const dcMin = Math.max(c - kw, 0) - c;
      const dcMax = Math.min(c + kw + 1, width) - c;
      for (let r2 = r + 1; r2 < rMax; r2++) {
        const dr = r2 - r;
        const dr2 = dr * dr;
        if (dr2 * inv <= EXP_CUTOFF) break;
        const qc = r2 * width + c;
        for (let dc = dcMin; dc < dcMax; dc++) {
          const q = qc + dc;
          const t0 = f0 - g0[q];
          const t1 = f1 - g1[q];
          const t2 = f2 - g2[q];
          const arg = (t0 * t0 + t1 * t1 + t2 * t2 + dr2 + dc * dc) * inv;
          if (arg > EXP_CUTOFF) {
            const w = expNeg(arg);
            acc += w;
            density[q] += w;
          }
        }
      }
      density[p] += acc;
    }
  }

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
