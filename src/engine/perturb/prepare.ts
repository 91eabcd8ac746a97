// What every perturbation run starts with: the session, the model's uint8 view of the image, its
// normalized tensor, the unmodified prediction and the classes to explain.
import { EngineError, throwIfAborted } from '../errors.ts';
import type { Attribution, ExplainRequest } from '../explain/types.ts';
import { blockParams, methodInfo, type HideColor, type ParameterBlocks } from '../methods.ts';
import { segment, type Segments } from '../segment/index.ts';
import { normalizeInto, toRgbRaw, type RgbImage } from '../preprocess.ts';
import { gaussianFilter } from '../segment/gaussian.ts';
import type { SessionCache } from '../session.ts';
import type { InputCache } from '../explain/inputs.ts';
import type { InputSpec, RunControl } from '../types.ts';
import { attributionRecord, forwardSession, resolveTargets, seedOf } from '../explain/toolkit.ts';
import type { AdaptiveRecord } from './adaptive.ts';
import { BatchRunner, chooseBatch, modelFileSize } from './runner.ts';
import type { Uncertainty } from './uncertainty.ts';

export interface Prepared {
  runner: BatchRunner;
  crop: RgbImage;
  /** The crop as a plain Uint8Array (HWC RGB). */
  rgb: Uint8Array;
  width: number;
  height: number;
  spec: InputSpec;
  /** Normalized unmodified input. */
  original: Float32Array;
  /** Full probability vector of the unmodified input. */
  probs: Float64Array;
  classes: number[];
  seed: number;
  /** performance.now() when preparation began: the run's start, for its totalMs. */
  t0: number;
}

/** The sessions to run on and, when given, the inputs shared with other runs of the same image and model. */
export interface PerturbContext {
  sessions: SessionCache;
  inputs?: InputCache;
}

export async function prepare(req: ExplainRequest, ctx: PerturbContext, requestedBatch: number, ctl: RunControl): Promise<Prepared> {
  const t0 = performance.now();
  throwIfAborted(ctl.signal);
  const session = await forwardSession(ctx.sessions, req.model);
  const spec = req.model.spec;
  const plan = chooseBatch(session, req.model, requestedBatch, modelFileSize(req.model.path));
  const runner = new BatchRunner(session, req.model, plan, []);
  const decode = async () => {
    const crop = await toRgbRaw(req.image, spec, { maxPixels: req.maxPixels });
    const rgb = new Uint8Array(crop.data.buffer, crop.data.byteOffset, crop.data.byteLength);
    const original = new Float32Array(3 * spec.width * spec.height);
    normalizeInto(rgb, spec, original, 0);
    return { crop, rgb, original };
  };
  // The single-image prediction pads to the graph's fixed batch only, so it does not depend on the
  // batch plan: a run that finds it shared gets the same bits as one that computes it.
  const predict = (original: Float32Array) => runner.probabilitiesOf(original);
  const { crop, rgb, original, probs } = ctx.inputs ? await ctx.inputs.get(req, decode, predict) : await decode().then(async (d) => ({ ...d, probs: await predict(d.original) }));
  const classes = resolveTargets(req.params.target, probs);
  runner.classes = classes;
  throwIfAborted(ctl.signal);
  return { runner, crop, rgb, width: spec.width, height: spec.height, spec, original, probs, classes, seed: seedOf(req), t0 };
}

/** The superpixel methods: they perturb the same way and differ only in sampling and fitting. */
export type SegmentBlock = 'lime' | 'kernelShap';

export interface SegmentedRun<K extends SegmentBlock = SegmentBlock> extends Prepared {
  /** The method's parameter block, defaults filled in. */
  p: ParameterBlocks[K];
  seg: Segments;
  segmentMs: number;
  /** Shows or hides each superpixel. */
  composer: SegmentComposer;
}

/** prepare(), then the superpixels of the crop (reported as the 'segment' stage) and their composer. */
export async function prepareSegmented<K extends SegmentBlock>(
  req: ExplainRequest,
  ctx: PerturbContext,
  key: K,
  ctl: RunControl,
): Promise<SegmentedRun<K>> {
  const p = blockParams(req.params, key);
  const prep = await prepare(req, ctx, p.batchSize, ctl);
  ctl.onProgress?.({ stage: 'segment', done: 0, total: 1 });
  const t0 = performance.now();
  const seg = segment(prep.rgb, prep.width, prep.height, p.segmentation, prep.seed);
  const segmentMs = performance.now() - t0;
  ctl.onProgress?.({ stage: 'segment', done: 1, total: 1 });
  throwIfAborted(ctl.signal);
  const hidden = new Float32Array(prep.original.length);
  normalizeInto(hiddenImage(prep.rgb, seg.labels, seg.count, prep.width, prep.height, p.hide), prep.spec, hidden, 0);
  return { ...prep, p, seg, segmentMs, composer: new SegmentComposer(seg.labels, prep.original, hidden, prep.spec.layout) };
}

/**
 * The "fudged" image hidden superpixels show: LIME's per-segment mean (numpy assigns the float
 * mean into the uint8 image, so it is truncated), a fixed color, or a Gaussian-blurred copy.
 */
export function hiddenImage(rgb: Uint8Array, labels: Int32Array, count: number, width: number, height: number, hide: HideColor): Uint8Array {
  const n = width * height;
  const out = new Uint8Array(n * 3);
  if (hide.kind === 'COLOR') {
    for (let i = 0; i < n; i++) out.set(hide.rgb, i * 3);
  } else if (hide.kind === 'BLUR') {
    const blurred = gaussianFilter(rgb, width, height, 3, hide.radius);
    for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(blurred[i])));
  } else {
    const sums = new Float64Array(count * 3);
    const pixels = new Float64Array(count);
    for (let i = 0; i < n; i++) {
      const l = labels[i];
      pixels[l]++;
      sums[l * 3] += rgb[i * 3];
      sums[l * 3 + 1] += rgb[i * 3 + 1];
      sums[l * 3 + 2] += rgb[i * 3 + 2];
    }
    for (let i = 0; i < n; i++) {
      const l = labels[i];
      for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.floor(sums[l * 3 + c] / pixels[l]);
    }
  }
  return out;
}

/**
 * Writes composites "segment s shows the original where on[s] else the hidden image" from two
 * normalized tensors in the model's layout. The label map is run-length encoded once (raster
 * order), and runs whose segments share a state are copied as one span: a few hundred tight
 * copy loops per image instead of a branch per element.
 */
export class SegmentComposer {
  private readonly starts: Int32Array;
  private readonly runLabels: Int32Array;
  private readonly n: number;

  constructor(
    labels: Int32Array,
    private readonly original: Float32Array,
    private readonly hidden: Float32Array,
    private readonly layout: InputSpec['layout'],
  ) {
    const n = labels.length;
    const starts: number[] = [0];
    const runLabels: number[] = [labels[0]];
    for (let i = 1; i < n; i++) {
      if (labels[i] !== labels[i - 1]) {
        starts.push(i);
        runLabels.push(labels[i]);
      }
    }
    starts.push(n);
    this.starts = Int32Array.from(starts);
    this.runLabels = Int32Array.from(runLabels);
    this.n = n;
  }

  compose(on: Uint8Array, onOffset: number, target: Float32Array, offset: number): void {
    const { starts, runLabels, n, original, hidden } = this;
    const R = runLabels.length;
    // Pixel spans [a, b) in raster order; NHWC elements are 3 per pixel, NCHW has 3 planes.
    const planes = this.layout === 'NCHW' ? 3 : 1;
    const mult = this.layout === 'NCHW' ? 1 : 3;
    for (let c = 0; c < planes; c++) {
      const base = c * n;
      let r = 0;
      while (r < R) {
        const state = on[onOffset + runLabels[r]];
        let e = r + 1;
        while (e < R && on[onOffset + runLabels[e]] === state) e++;
        const a = base + starts[r] * mult;
        const b = base + starts[e] * mult;
        const src = state ? original : hidden;
        const d = offset;
        for (let i = a; i < b; i++) target[d + i] = src[i];
        r = e;
      }
    }
  }
}

/** One-off composite (tests, small uses): see SegmentComposer. */
export function composeSegments(
  on: Uint8Array,
  onOffset: number,
  labels: Int32Array,
  original: Float32Array,
  hidden: Float32Array,
  layout: InputSpec['layout'],
  target: Float32Array,
  offset: number,
): void {
  new SegmentComposer(labels, original, hidden, layout).compose(on, onOffset, target, offset);
}

/** Per-pixel map from per-segment values. */
export function segmentMap(labels: Int32Array, values: ArrayLike<number>): Float32Array {
  const map = new Float32Array(labels.length);
  for (let i = 0; i < labels.length; i++) map[i] = values[labels[i]];
  return map;
}

export function attribution(req: ExplainRequest, prep: Prepared, classIndex: number, map: Float32Array, metrics: Record<string, number>): Attribution {
  return attributionRecord(req.model, classIndex, prep.probs[classIndex], map, prep, methodInfo(req.method).signed, metrics);
}

/** Independent random stream for bootstrap checks (keeps the sampling stream untouched). */
export const BOOTSTRAP_SALT = 0x9e3779b9;

/** What a LIME and a Kernel SHAP summary both report after their own counts: the uncertainty, how an
 * adaptive run stopped, the batching and the time of each stage. */
export function sampledSummary(
  run: SegmentedRun,
  uncertainty: Uncertainty,
  adaptive: AdaptiveRecord | null,
  ms: { uncertaintyMs: number; sampleMs: number; fitMs: number },
) {
  return {
    stability: uncertainty.stability,
    uncertainty,
    ...(adaptive ? { adaptive } : {}),
    uncertaintyMs: ms.uncertaintyMs,
    batchSize: run.runner.plan.size,
    sessionRuns: run.runner.stats.runs,
    segmentMs: run.segmentMs,
    sampleMs: ms.sampleMs,
    fitMs: ms.fitMs,
    composeMs: run.runner.stats.composeMs,
    totalMs: performance.now() - run.t0,
  };
}
