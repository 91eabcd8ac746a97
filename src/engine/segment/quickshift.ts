// Quick shift (Vedaldi & Soatto 2008) as skimage.segmentation.quickshift computes it
// (skimage/segmentation/_quickshift_cy.pyx): Parzen density with a Gaussian kernel of σ = kernelSize
// over a (2⌈3σ⌉+1)² window in the joint (ratio·Lab, row, col) space, each pixel linked to the
// nearest pixel of higher density inside that window, links longer than maxDist cut.

/** Standard normal deviates by Box–Muller from a uniform [0, 1) source. */
function fillNormal(out: Float64Array, scale: number, rand: () => number): void {
  for (let i = 0; i < out.length; i += 2) {
    const u1 = 1 - rand(); // (0, 1]
    const u2 = rand();
    const m = Math.sqrt(-2 * Math.log(u1)) * scale;
    out[i] += m * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] += m * Math.sin(2 * Math.PI * u2);
  }
}

// exp(x) for x below this is < 3e-17: far under the 1e-5 tie-breaking noise, so it is skipped.
const EXP_CUTOFF = -38;

/**
 * Returns each pixel's tree root (a pixel index). `feat` is H×W×3 interleaved, already ratio-scaled.
 * `rand` supplies the tie-breaking noise (normal, σ = 1e-5, as skimage).
 */
export function quickshiftRoots(feat: Float64Array, width: number, height: number, kernelSize: number, maxDist: number, rand: () => number): Int32Array {
  const n = width * height;
  const kw = Math.ceil(3 * kernelSize);
  const inv = -0.5 / (kernelSize * kernelSize);
  const density = new Float64Array(n);
  fillNormal(density, 0.00001, rand);

  // Density: the kernel is symmetric, so each unordered pair inside the window is evaluated once
  // and credited to both pixels (the self term is exp(0) = 1).
  for (let r = 0; r < height; r++) {
    const rMax = Math.min(r + kw + 1, height);
    for (let c = 0; c < width; c++) {
      const p = r * width + c;
      const p3 = p * 3;
      const f0 = feat[p3];
      const f1 = feat[p3 + 1];
      const f2 = feat[p3 + 2];
      let acc = 1;
      // same row, to the right
      const cEnd = Math.min(c + kw + 1, width);
      for (let c2 = c + 1, q3 = p3 + 3; c2 < cEnd; c2++, q3 += 3) {
        const t0 = f0 - feat[q3];
        const t1 = f1 - feat[q3 + 1];
        const t2 = f2 - feat[q3 + 2];
        const dc = c2 - c;
        const arg = (t0 * t0 + t1 * t1 + t2 * t2 + dc * dc) * inv;
        if (arg > EXP_CUTOFF) {
          const w = Math.exp(arg);
          acc += w;
          density[r * width + c2] += w;
        }
      }
      // rows below, full window width
      const cMin = Math.max(c - kw, 0);
      const cMax = Math.min(c + kw + 1, width);
      for (let r2 = r + 1; r2 < rMax; r2++) {
        const dr = r2 - r;
        const dr2 = dr * dr;
        if (dr2 * inv <= EXP_CUTOFF) break;
        const row = r2 * width;
        for (let c2 = cMin; c2 < cMax; c2++) {
          const q3 = (row + c2) * 3;
          const t0 = f0 - feat[q3];
          const t1 = f1 - feat[q3 + 1];
          const t2 = f2 - feat[q3 + 2];
          const dc = c2 - c;
          const arg = (t0 * t0 + t1 * t1 + t2 * t2 + dr2 + dc * dc) * inv;
          if (arg > EXP_CUTOFF) {
            const w = Math.exp(arg);
            acc += w;
            density[row + c2] += w;
          }
        }
      }
      density[p] += acc;
    }
  }

  // Parent: nearest pixel of strictly higher density in the window, first in raster order on ties.
  const parent = new Int32Array(n);
  for (let r = 0; r < height; r++) {
    const rMin = Math.max(r - kw, 0);
    const rMax = Math.min(r + kw + 1, height);
    for (let c = 0; c < width; c++) {
      const p = r * width + c;
      const p3 = p * 3;
      const d = density[p];
      const f0 = feat[p3];
      const f1 = feat[p3 + 1];
      const f2 = feat[p3 + 2];
      const cMin = Math.max(c - kw, 0);
      const cMax = Math.min(c + kw + 1, width);
      let closest = Number.MAX_VALUE;
      let best = p;
      for (let r2 = rMin; r2 < rMax; r2++) {
        const dr = r - r2;
        const dr2 = dr * dr;
        if (dr2 >= closest) continue; // colour and column terms are ≥ 0: nothing here can be closer
        const row = r2 * width;
        for (let c2 = cMin; c2 < cMax; c2++) {
          const q = row + c2;
          if (density[q] > d) {
            const q3 = q * 3;
            const t0 = f0 - feat[q3];
            const t1 = f1 - feat[q3 + 1];
            const t2 = f2 - feat[q3 + 2];
            const dc = c - c2;
            const dist = t0 * t0 + t1 * t1 + t2 * t2 + dr2 + dc * dc;
            if (dist < closest) {
              closest = dist;
              best = q;
            }
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
