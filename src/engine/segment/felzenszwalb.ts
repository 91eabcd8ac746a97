// Felzenszwalb–Huttenlocher graph segmentation as skimage.segmentation.felzenszwalb computes it for
// an RGB image (skimage ≥ 0.19, _felzenszwalb_cy.pyx): one joint graph on the 8-connected grid with
// edge weight = Euclidean RGB distance (image as float in [0, 1], Gaussian pre-smoothed), k = scale/255,
// greedy merging in ascending weight order, then small components merged along the sorted edges.

import { gaussianFilter } from './gaussian.ts';

/** skimage.measure._ccomp.find_root: follow links to the smallest index. */
function findRoot(forest: Int32Array, n: number): number {
  let root = n;
  while (forest[root] < root) root = forest[root];
  return root;
}

function setRoot(forest: Int32Array, n: number, root: number): void {
  while (forest[n] < n) {
    const j = forest[n];
    forest[n] = root;
    n = j;
  }
  forest[n] = root;
}

/** skimage.measure._ccomp.join_trees: both paths point at the smaller root afterwards. */
function joinTrees(forest: Int32Array, n: number, m: number): void {
  if (n === m) return;
  let root = findRoot(forest, n);
  const rootM = findRoot(forest, m);
  if (root > rootM) root = rootM;
  setRoot(forest, n, root);
  setRoot(forest, m, root);
}

/** LSD radix sort of edge indices by non-negative float64 cost (bit patterns sort like the values); stable. */
function sortByCost(costs: Float64Array): Uint32Array {
  const m = costs.length;
  const bits = new Uint32Array(costs.buffer, costs.byteOffset, m * 2); // little-endian: [lo, hi] per cost
  let idx = new Uint32Array(m);
  let tmp = new Uint32Array(m);
  for (let i = 0; i < m; i++) idx[i] = i;
  const hist = new Uint32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass >> 1;
    const shift = (pass & 1) * 16;
    hist.fill(0);
    let allSame = true;
    const first = (bits[word] >>> shift) & 0xffff;
    for (let i = 0; i < m; i++) {
      const key = (bits[i * 2 + word] >>> shift) & 0xffff;
      hist[key]++;
      if (key !== first) allSame = false;
    }
    if (allSame) continue;
    let sum = 0;
    for (let b = 0; b < 65536; b++) {
      const h = hist[b];
      hist[b] = sum;
      sum += h;
    }
    for (let i = 0; i < m; i++) {
      const e = idx[i];
      tmp[hist[(bits[e * 2 + word] >>> shift) & 0xffff]++] = e;
    }
    const t = idx;
    idx = tmp;
    tmp = t;
  }
  return idx;
}

/** Returns each pixel's component root (the smallest pixel index of the component). */
export function felzenszwalbRoots(rgb: Uint8Array, width: number, height: number, scale: number, sigma: number, minSize: number): Int32Array {
  const n = width * height;
  let img: Float64Array = new Float64Array(n * 3);
  for (let i = 0; i < img.length; i++) img[i] = rgb[i] / 255;
  img = gaussianFilter(img, width, height, 3, sigma);
  const k = scale / 255;

  // Edges in skimage's order: right, down, down-right, up-right; each stored as (a, b).
  const nRight = height * (width - 1);
  const nDown = (height - 1) * width;
  const nDiag = (height - 1) * (width - 1);
  const m = Math.max(0, nRight) + Math.max(0, nDown) + 2 * Math.max(0, nDiag);
  const ea = new Int32Array(m);
  const eb = new Int32Array(m);
  const costs = new Float64Array(m);
  let e = 0;
  const add = (a: number, b: number) => {
    const a3 = a * 3;
    const b3 = b * 3;
    const d0 = img[a3] - img[b3];
    const d1 = img[a3 + 1] - img[b3 + 1];
    const d2 = img[a3 + 2] - img[b3 + 2];
    ea[e] = a;
    eb[e] = b;
    costs[e++] = Math.sqrt(d0 * d0 + d1 * d1 + d2 * d2);
  };
  for (let r = 0; r < height; r++) for (let c = 0; c + 1 < width; c++) add(r * width + c + 1, r * width + c);
  for (let r = 0; r + 1 < height; r++) for (let c = 0; c < width; c++) add((r + 1) * width + c, r * width + c);
  for (let r = 0; r + 1 < height; r++) for (let c = 0; c + 1 < width; c++) add((r + 1) * width + c + 1, r * width + c);
  for (let r = 0; r + 1 < height; r++) for (let c = 0; c + 1 < width; c++) add(r * width + c + 1, (r + 1) * width + c);

  const order = sortByCost(costs);
  const forest = new Int32Array(n);
  for (let i = 0; i < n; i++) forest[i] = i;
  const size = new Int32Array(n).fill(1);
  const cint = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    const ed = order[i];
    const s0 = findRoot(forest, ea[ed]);
    const s1 = findRoot(forest, eb[ed]);
    if (s0 === s1) continue;
    // skimage keeps the thresholds in C floats (float32)
    const in0 = Math.fround(cint[s0] + k / size[s0]);
    const in1 = Math.fround(cint[s1] + k / size[s1]);
    const cost = costs[ed];
    if (cost < Math.min(in0, in1)) {
      joinTrees(forest, s0, s1);
      const sNew = findRoot(forest, s0);
      size[sNew] = size[s0] + size[s1];
      cint[sNew] = cost;
    }
  }
  for (let i = 0; i < m; i++) {
    const ed = order[i];
    const s0 = findRoot(forest, ea[ed]);
    const s1 = findRoot(forest, eb[ed]);
    if (s0 === s1) continue;
    if (size[s0] < minSize || size[s1] < minSize) {
      joinTrees(forest, s0, s1);
      const sNew = findRoot(forest, s0);
      size[sNew] = size[s0] + size[s1];
    }
  }
  const roots = new Int32Array(n);
  for (let i = 0; i < n; i++) roots[i] = findRoot(forest, i);
  return roots;
}
