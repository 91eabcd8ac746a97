// Partition SHAP as shap.explainers.Partition with the shap.maskers.Image masker: the H×W×C crop is
// a binary tree of boxes (each node splits its box in halves along rows if they are at least as many
// as columns, else along columns, channels last — the masker's build_partition_tree), and Owen
// values are computed by the reference's priority-queue traversal: a node evaluated with context
// (m00, f00, f11) costs two model calls (left or right child revealed) and queues four children
// with half the weight, ordered by the largest output change; when max_evals runs out every queued
// node keeps (f11 − f00)·weight, which lower_credit then spreads over its elements by size.
// Efficiency holds exactly: the sum over pixels is f(x) − f(fully masked).
import { EngineError, throwIfAborted } from '../errors.ts';
import type { ExplainRequest, ExplainResult } from '../explain/types.ts';
import { blockParams, type PartitionShapParams } from '../methods.ts';
import { normalizeInto } from '../preprocess.ts';
import { mulberry32 } from '../random.ts';
import type { InputSpec, RunControl } from '../types.ts';
import { boxBlur, inpaintTelea } from './image-ops.ts';
import { normalizeFloatInto } from '../explain/toolkit.ts';
import { attribution, prepare, type Prepared, type PerturbContext } from './prepare.ts';

/** A node of the image partition tree: the box [x0,x1)×[y0,y1)×[z0,z1) (x = rows, y = columns, z = channels). */
export interface PartitionNode {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  z0: number;
  z1: number;
  size: number;
  left: PartitionNode | null;
  right: PartitionNode | null;
  /** Owen value mass credited to this node (per explained output). */
  dval: Float64Array;
}

export function partitionRoot(height: number, width: number, channels: number, k: number): PartitionNode {
  return { x0: 0, x1: height, y0: 0, y1: width, z0: 0, z1: channels, size: height * width * channels, left: null, right: null, dval: new Float64Array(k) };
}

/** build_partition_tree's split (partition_scheme 0), creating the two children on first use. */
export function splitNode(node: PartitionNode): [PartitionNode, PartitionNode] {
  if (node.left && node.right) return [node.left, node.right];
  const { x0, x1, y0, y1, z0, z1 } = node;
  const xw = x1 - x0;
  const yw = y1 - y0;
  const zw = z1 - z0;
  const k = node.dval.length;
  const mk = (a: number, b: number, c: number, d: number, e: number, f: number): PartitionNode => ({
    x0: a,
    x1: b,
    y0: c,
    y1: d,
    z0: e,
    z1: f,
    size: (b - a) * (d - c) * (f - e),
    left: null,
    right: null,
    dval: new Float64Array(k),
  });
  if (xw >= yw && xw > 1) {
    const m = x0 + Math.floor(xw / 2);
    node.left = mk(x0, m, y0, y1, z0, z1);
    node.right = mk(m, x1, y0, y1, z0, z1);
  } else if (yw > 1) {
    const m = y0 + Math.floor(yw / 2);
    node.left = mk(x0, x1, y0, m, z0, z1);
    node.right = mk(x0, x1, m, y1, z0, z1);
  } else {
    const m = z0 + Math.floor(zw / 2);
    node.left = mk(x0, x1, y0, y1, z0, m);
    node.right = mk(x0, x1, y0, y1, m, z1);
  }
  return [node.left, node.right];
}

/** A mask: the union of revealed boxes, as an immutable list sharing tails. */
interface Reveal {
  node: PartitionNode;
  next: Reveal | null;
}

interface Item {
  priority: number;
  tie: number;
  m00: Reveal | null;
  f00: Float64Array;
  f11: Float64Array;
  node: PartitionNode;
  weight: number;
}

/** Min-heap on (priority, tie): Python's PriorityQueue of (priority, randn(), args). */
class ItemHeap {
  private a: Item[] = [];
  get size(): number {
    return this.a.length;
  }
  private less(i: Item, j: Item): boolean {
    return i.priority < j.priority || (i.priority === j.priority && i.tie < j.tie);
  }
  push(it: Item): void {
    const a = this.a;
    a.push(it);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): Item {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/** Composes masked images for the Image masker into a batch tensor. */
class MaskComposer {
  private readonly n: number;
  private readonly background: Float32Array | null;
  private readonly elementMask: Uint8Array;
  private readonly pixelMask: Uint8Array;

  constructor(
    private readonly prep: Prepared,
    private readonly masker: PartitionShapParams['masker'],
  ) {
    const { width, height, spec, rgb } = prep;
    this.n = width * height;
    this.elementMask = new Uint8Array(this.n * 3);
    this.pixelMask = new Uint8Array(this.n);
    if (masker.kind === 'BLUR') {
      const k = masker.kernel ?? 128;
      this.background = new Float32Array(this.n * 3);
      normalizeFloatInto(boxBlur(rgb, width, height, 3, k, k), spec, this.background, 0);
    } else if (masker.kind === 'COLOR') {
      const fill = new Float64Array(this.n * 3);
      for (let i = 0; i < this.n; i++) fill.set(masker.rgb, i * 3);
      this.background = new Float32Array(this.n * 3);
      normalizeFloatInto(fill, spec, this.background, 0);
    } else {
      this.background = null;
    }
  }

  compose(mask: Reveal | null, target: Float32Array, offset: number): void {
    const { spec, width, original, rgb } = this.prep;
    if (this.background) {
      target.set(this.background, offset);
      for (let r = mask; r; r = r.next) copyBox(r.node, original, target, offset, spec, width, this.n);
      return;
    }
    // Inpainting: a pixel is inpainted when any of its channels is masked (the masker's max over
    // channels); a fully masked image becomes the image's mean color.
    const em = this.elementMask;
    em.fill(0);
    for (let r = mask; r; r = r.next) {
      const b = r.node;
      for (let x = b.x0; x < b.x1; x++) for (let y = b.y0; y < b.y1; y++) for (let z = b.z0; z < b.z1; z++) em[(x * width + y) * 3 + z] = 1;
    }
    let masked = 0;
    for (let p = 0; p < this.n; p++) {
      const m = em[p * 3] && em[p * 3 + 1] && em[p * 3 + 2] ? 0 : 1;
      this.pixelMask[p] = m;
      masked += m;
    }
    let img: Uint8Array;
    if (masked === this.n) {
      const mean = [0, 0, 0];
      for (let p = 0; p < this.n; p++) for (let c = 0; c < 3; c++) mean[c] += rgb[p * 3 + c];
      const fill = new Float64Array(this.n * 3);
      for (let p = 0; p < this.n; p++) for (let c = 0; c < 3; c++) fill[p * 3 + c] = mean[c] / this.n;
      normalizeFloatInto(fill, spec, target, offset);
      return;
    }
    if (masked === 0) img = rgb;
    else img = inpaintTelea(rgb, this.pixelMask, width, this.prep.height, 3);
    normalizeInto(img, spec, target, offset);
  }
}

/** Copies one revealed box of the original into the composite (model layout and channel order). */
function copyBox(b: PartitionNode, original: Float32Array, target: Float32Array, offset: number, spec: InputSpec, width: number, n: number): void {
  const bgr = spec.channelOrder === 'BGR';
  if (spec.layout === 'NCHW') {
    for (let z = b.z0; z < b.z1; z++) {
      const plane = (bgr ? 2 - z : z) * n;
      for (let x = b.x0; x < b.x1; x++) {
        const s = plane + x * width;
        const a = s + b.y0;
        const e = s + b.y1;
        for (let i = a; i < e; i++) target[offset + i] = original[i];
      }
    }
  } else if (b.z0 === 0 && b.z1 === 3) {
    for (let x = b.x0; x < b.x1; x++) {
      const a = (x * width + b.y0) * 3;
      const e = (x * width + b.y1) * 3;
      for (let i = a; i < e; i++) target[offset + i] = original[i];
    }
  } else {
    for (let x = b.x0; x < b.x1; x++) {
      for (let y = b.y0; y < b.y1; y++) {
        for (let z = b.z0; z < b.z1; z++) {
          const i = (x * width + y) * 3 + (bgr ? 2 - z : z);
          target[offset + i] = original[i];
        }
      }
    }
  }
}

export interface OwenResult {
  root: PartitionNode;
  evals: number;
  f00: Float64Array;
  f11: Float64Array;
}

/**
 * The reference's owen(): `evaluate(masks)` returns per mask the outputs (k values each).
 * `maxEvals` is the budget of this traversal (the caller has spent 2 on f00 and f11).
 */
export async function owenValues(
  root: PartitionNode,
  f00: Float64Array,
  f11: Float64Array,
  maxEvals: number,
  batchSize: number,
  rand: () => number,
  evaluate: (masks: (Reveal | null)[]) => Promise<Float64Array[]>,
  onBatch?: (evals: number) => void,
): Promise<number> {
  const q = new ItemHeap();
  q.push({ priority: 0, tie: 0, m00: null, f00, f11, node: root, weight: 1 });
  let evalCount = 0;
  const maxAbsDiff = (a: Float64Array, b: Float64Array) => {
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
  };
  const credit = (it: Item) => {
    for (let j = 0; j < it.node.dval.length; j++) it.node.dval[j] += (it.f11[j] - it.f00[j]) * it.weight;
  };
  while (q.size > 0) {
    if (evalCount >= maxEvals) {
      while (q.size > 0) credit(q.pop());
      break;
    }
    const batch: { it: Item; m10: Reveal; m01: Reveal; left: PartitionNode; right: PartitionNode }[] = [];
    const masks: Reveal[] = [];
    while (q.size > 0 && masks.length < batchSize && evalCount + masks.length < maxEvals) {
      const it = q.pop();
      if (it.node.size === 1) {
        credit(it);
        continue;
      }
      const [left, right] = splitNode(it.node);
      const m10: Reveal = { node: left, next: it.m00 };
      const m01: Reveal = { node: right, next: it.m00 };
      batch.push({ it, m10, m01, left, right });
      masks.push(m10, m01);
    }
    if (batch.length === 0) continue;
    const fout = await evaluate(masks);
    evalCount += masks.length;
    onBatch?.(evalCount);
    batch.forEach(({ it, m10, m01, left, right }, i) => {
      const f10 = fout[2 * i];
      const f01 = fout[2 * i + 1];
      const w = it.weight / 2;
      q.push({ priority: -maxAbsDiff(f10, it.f00) * w, tie: rand(), m00: it.m00, f00: it.f00, f11: f10, node: left, weight: w });
      q.push({ priority: -maxAbsDiff(f01, it.f00) * w, tie: rand(), m00: it.m00, f00: it.f00, f11: f01, node: right, weight: w });
      q.push({ priority: -maxAbsDiff(it.f11, f01) * w, tie: rand(), m00: m01, f00: f01, f11: it.f11, node: left, weight: w });
      q.push({ priority: -maxAbsDiff(it.f11, f10) * w, tie: rand(), m00: m10, f00: f10, f11: it.f11, node: right, weight: w });
    });
  }
  return evalCount;
}

/**
 * lower_credit: each node's value (its own plus what its parent passed down) goes to its children in
 * proportion to their sizes; an unexpanded node spreads it evenly over its elements. Returns, per
 * output, the per-pixel map with channels summed (as shap's image_plot shows it).
 */
export function lowerCredit(root: PartitionNode, width: number, height: number): Float32Array[] {
  const k = root.dval.length;
  const maps = Array.from({ length: k }, () => new Float64Array(width * height));
  const stack: [PartitionNode, Float64Array][] = [[root, new Float64Array(k)]];
  while (stack.length) {
    const [node, carry] = stack.pop()!;
    const total = new Float64Array(k);
    for (let j = 0; j < k; j++) total[j] = node.dval[j] + carry[j];
    if (node.left && node.right) {
      const l = new Float64Array(k);
      const r = new Float64Array(k);
      for (let j = 0; j < k; j++) {
        l[j] = (total[j] * node.left.size) / node.size;
        r[j] = (total[j] * node.right.size) / node.size;
      }
      stack.push([node.left, l], [node.right, r]);
      continue;
    }
    const channels = node.z1 - node.z0;
    for (let j = 0; j < k; j++) {
      const v = (total[j] / node.size) * channels;
      if (v === 0) continue;
      const map = maps[j];
      for (let x = node.x0; x < node.x1; x++) for (let y = node.y0; y < node.y1; y++) map[x * width + y] += v;
    }
  }
  return maps.map((m) => Float32Array.from(m));
}

export async function explainPartitionShapWith(ctx: PerturbContext, req: ExplainRequest, ctl: RunControl): Promise<ExplainResult> {
  const p = blockParams(req.params, 'partitionShap');
  if (!(p.maxEvals >= 3)) throw new EngineError('INVALID_ARGUMENT', 'partitionShap.maxEvals must be at least 3');
  const t0 = performance.now();
  const prep = await prepare(req, ctx, p.batchSize, ctl);
  const { runner, width, height, classes } = prep;
  const k = classes.length;
  const composer = new MaskComposer(prep, p.masker);
  const setupMs = performance.now() - t0;

  const evaluate = async (masks: (Reveal | null)[]): Promise<Float64Array[]> => {
    const out: Float64Array[] = new Array(masks.length);
    await runner.run(
      masks.length,
      (i, t, off) => composer.compose(masks[i], t, off),
      (start, count, probs) => {
        for (let j = 0; j < count; j++) out[start + j] = probs.slice(j * k, (j + 1) * k);
      },
      { signal: ctl.signal },
    );
    return out;
  };
  throwIfAborted(ctl.signal);
  const tSample = performance.now();
  // f00: everything masked (the base value); f11 is the unmodified image.
  const [f00] = await evaluate([null]);
  const f11 = Float64Array.from(classes, (c) => prep.probs[c]);
  const root = partitionRoot(height, width, 3, k);
  const evals = await owenValues(root, f00, f11, p.maxEvals - 2, p.batchSize, mulberry32(prep.seed), evaluate, (done) =>
    ctl.onProgress?.({ stage: 'sample', done: done + 2, total: p.maxEvals }),
  );
  const sampleMs = performance.now() - tSample;
  ctl.onProgress?.({ stage: 'fit', done: 0, total: 1 });
  const maps = lowerCredit(root, width, height);
  ctl.onProgress?.({ stage: 'fit', done: 1, total: 1 });

  return {
    method: 'PARTITION_SHAP',
    geometry: prep.crop.geometry,
    view: { crop: prep.rgb, original: prep.crop.original },
    attributions: classes.map((c, j) => {
      let sum = 0;
      for (const v of maps[j]) sum += v;
      return attribution(req, prep, c, maps[j], { baseValue: f00[j], fx: f11[j], efficiencyGap: sum - (f11[j] - f00[j]) });
    }),
    summary: {
      maxEvals: p.maxEvals,
      evaluations: evals + 2,
      masker: p.masker.kind === 'BLUR' ? `blur(${p.masker.kernel ?? 128},${p.masker.kernel ?? 128})` : p.masker.kind.toLowerCase(),
      batchSize: runner.plan.size,
      sessionRuns: runner.stats.runs,
      setupMs,
      sampleMs,
      composeMs: runner.stats.composeMs,
      totalMs: performance.now() - t0,
    },
  };
}
