// The CAM family over one core, following pytorch-grad-cam's BaseCAM:
//
//   activations A [K,h,w] (and gradients G of the target score w.r.t. A, one backward run per
//   batch with one one-hot seed row per (augmentation, class)) → per method a channel weighting
//   w_k (cam = Σ_k w_k·A_k) or an elementwise combination (HiRes-CAM, LayerCAM) → optional
//   eigen-smooth (first principal component of the weighted activations) → ReLU → scale_cam_image
//   (min-max, then cv2-style bilinear resize to the input size) → aggregate_multi_layers (ReLU,
//   min-max again) → with aug-smooth: de-augment and average over ttach's
//   HorizontalFlip × Multiply([0.9, 1, 1.1]).
//
// Eigen-CAM needs only activations and Score-CAM only activations plus forward passes, so both
// run on the forward graph (with the layer as an extra, dequantized output) and work on int8
// models; the gradient methods need a backward graph and fail with NOT_DIFFERENTIABLE there.
import { EngineError, throwIfAborted } from '../errors.ts';
import type { Attribution, EngineContext, ExplainRequest, ExplainResult } from '../explain/types.ts';
import { oneHotSeed } from '../grad/index.ts';
import { checkRunsOn, DEFAULTS, METHOD_REGISTRY, methodInfo, type CamParams, type Method, type MethodOf } from '../methods.ts';
import { isGradientFormula, type GradientFormula } from './formula.ts';
import type { RunControl } from '../types.ts';
import { firstComponentProjection, flipMapInPlace, minMaxInPlace, reluInPlace, resizeBilinear } from './maps.ts';
import { activationModel, gradientRunner, modelFacts, resolveLayer, tailRunner } from './model.ts';
import {
  attributionRecord,
  fixedBatch,
  flipImage,
  floatData,
  loadImage,
  probabilitiesOf,
  forwardSession,
  resolveTargets,
  runRows,
  type ImageInput,
} from '../explain/toolkit.ts';

export type CamMethod = MethodOf<'CAM'>;

/** Options beyond the API parameters (set by the engine, tests and benchmarks). */
export interface CamOptions {
  /**
   * Score-CAM: mask with at most this many channels, the ones whose activations vary most over
   * space (the "Faster Score-CAM" selection); the others get weight 0. Default: all channels, as
   * the reference does.
   */
  scoreCamMaxChannels?: number | null;
}

/** The gradient formula of a CAM method, or null for the gradient-free Eigen-CAM and Score-CAM. */
function gradientFormula(m: CamMethod): GradientFormula | null {
  const v = methodInfo(m).cam;
  return v && isGradientFormula(v) ? v : null;
}

/** Low-resolution cam from channel weights: Σ_k w_k A_k, or the projection of w_k A_k. */
function camFromWeights(A: Float32Array, w: ArrayLike<number>, K: number, P: number, off: number, eigenSmooth: boolean): Float32Array {
  if (eigenSmooth) {
    const weighted = new Float32Array(K * P);
    for (let k = 0; k < K; k++) {
      const b = off + k * P;
      for (let i = 0; i < P; i++) weighted[k * P + i] = w[k] * A[b + i];
    }
    return firstComponentProjection(weighted, K, P);
  }
  const cam = new Float64Array(P);
  for (let k = 0; k < K; k++) {
    const wk = w[k];
    if (wk === 0) continue;
    const b = off + k * P;
    for (let i = 0; i < P; i++) cam[i] += wk * A[b + i];
  }
  return Float32Array.from(cam);
}

function camFromElements(E: Float32Array, K: number, P: number, eigenSmooth: boolean): Float32Array {
  if (eigenSmooth) return firstComponentProjection(E, K, P);
  const cam = new Float64Array(P);
  for (let k = 0; k < K; k++) {
    const b = k * P;
    for (let i = 0; i < P; i++) cam[i] += E[b + i];
  }
  return Float32Array.from(cam);
}

/**
 * compute_cam_per_layer + aggregate_multi_layers for one layer: ReLU, min-max, bilinear resize
 * (cv2.resize), ReLU, min-max. Returns the H×W map and the low-resolution maximum after ReLU.
 */
export function finishCam(cam: Float32Array, h: number, w: number, H: number, W: number): { map: Float32Array; rawMax: number } {
  reluInPlace(cam);
  let rawMax = 0;
  for (let i = 0; i < cam.length; i++) if (cam[i] > rawMax) rawMax = cam[i];
  minMaxInPlace(cam);
  const map = resizeBilinear(cam, h, w, H, W, 'cv');
  reluInPlace(map);
  minMaxInPlace(map);
  return { map, rawMax };
}

/** ttach: Compose([HorizontalFlip(), Multiply(factors=[0.9, 1, 1.1])]) — 6 transforms. */
export interface Augmentation {
  flip: boolean;
  factor: number;
}
export const AUG_SMOOTH: readonly Augmentation[] = [false, true].flatMap((flip) => [0.9, 1, 1.1].map((factor) => ({ flip, factor })));
const IDENTITY: readonly Augmentation[] = [{ flip: false, factor: 1 }];

function augmentInto(img: ImageInput, aug: Augmentation, dst: Float32Array, offset: number): void {
  if (aug.flip) flipImage(img.input, dst, img.spec, offset);
  else dst.set(img.input, offset);
  if (aug.factor !== 1) {
    const f = aug.factor;
    for (let i = offset; i < offset + img.per; i++) dst[i] *= f;
  }
}

function isIdentity(a: Augmentation): boolean {
  return !a.flip && a.factor === 1;
}

interface Accumulator {
  sums: Float32Array[];
  rawMax: number[];
}

function accumulate(acc: Accumulator, ci: number, aug: Augmentation, res: { map: Float32Array; rawMax: number }, H: number, W: number): void {
  if (aug.flip) flipMapInPlace(res.map, H, W);
  const s = acc.sums[ci];
  for (let i = 0; i < s.length; i++) s[i] += res.map[i];
  if (isIdentity(aug)) acc.rawMax[ci] = res.rawMax;
}

/** The accumulated maps divided by the number of augmentations (in place). */
function averaged(acc: Accumulator, n: number): Float32Array[] {
  if (n > 1) for (const s of acc.sums) for (let i = 0; i < s.length; i++) s[i] /= n;
  return acc.sums;
}

function checkActivation(shape: readonly number[], layer: string): [number, number, number] {
  if (shape.length !== 4) {
    throw new EngineError('INVALID_ARGUMENT', `target layer '${layer}' has shape [${shape.join(', ')}]; CAM methods need a 4-D [N, C, H, W] feature map`);
  }
  return [shape[1], shape[2], shape[3]];
}

interface CamRun {
  classes: number[];
  probs: Float64Array;
  scores: Float64Array;
  maps: Float32Array[];
  rawMax: number[];
  layer: string;
  activationShape: number[];
  summary: Record<string, unknown>;
}

/** Activations of the augmented images per layer, computed at most once per group. */
type ActivationMemo = (layer: string) => Promise<Activations>;

/** Runs one CAM method on one request. */
export async function explainCam(ctx: EngineContext, method: CamMethod, req: ExplainRequest, ctl: RunControl, opts: CamOptions = {}): Promise<ExplainResult> {
  return (await explainCamGroup(ctx, [method], req, ctl, opts))[0];
}

/**
 * Several CAM methods on one request (same image, model, layer, classes and parameters): the image is
 * decoded once, the activations come from one forward pass per augmentation, and every gradient
 * method (Grad-CAM, Grad-CAM++, XGrad-CAM, HiRes-CAM, LayerCAM) is formed from one backward run —
 * they differ only in how the channels are weighted. Results are in `methods` order, each the same
 * as the method run alone.
 */
export async function explainCamGroup(ctx: EngineContext, methods: readonly CamMethod[], req: ExplainRequest, ctl: RunControl, opts: CamOptions = {}): Promise<ExplainResult[]> {
  const t0 = performance.now();
  const p: CamParams = { ...DEFAULTS.cam, ...(req.params.cam ?? {}) };
  const img = await loadImage(req, ctl);
  const tImage = performance.now();
  const augs = p.augSmooth ? AUG_SMOOTH : IDENTITY;
  const memo = new Map<string, Promise<Activations>>();
  const activations: ActivationMemo = (layer) => {
    let a = memo.get(layer);
    if (!a) memo.set(layer, (a = activationsOf(ctx, req, img, layer, augs, p.batchSize, ctl)));
    return a;
  };
  const gradient = methods.filter((m) => gradientFormula(m) !== null);
  const gradRuns = gradient.length ? await gradientCam(ctx, gradient, req, img, p, augs, ctl, activations) : new Map<CamMethod, CamRun>();
  const runs: CamRun[] = [];
  for (const method of methods) {
    const kind = METHOD_REGISTRY[method].cam.kind;
    if (kind === 'eigen') runs.push(await eigenCam(req, img, p, augs, ctl, activations));
    else if (kind === 'score') runs.push(await scoreCam(ctx, req, img, p, augs, ctl, opts, activations));
    else runs.push(gradRuns.get(method)!);
  }
  const shared = methods.length > 1 ? { sharedWith: [...new Set(methods)] } : {};
  return methods.map((method, k) => {
    const run = runs[k];
    return {
      method: method as Method,
      attributions: run.classes.map((c, i) => attributionRecord(req.model, c, run.probs[c], run.maps[i], img, methodInfo(method).signed, { score: run.scores[i], camMax: run.rawMax[i] })),
      geometry: img.geometry,
      view: img.view,
      summary: {
        targetLayer: run.layer,
        activationShape: run.activationShape,
        classes: run.classes,
        augmentations: augs.length,
        eigenSmooth: p.eigenSmooth && method !== 'EIGEN_CAM',
        ...run.summary,
        ...shared,
        timingsMs: { image: round(tImage - t0), total: round(performance.now() - t0) },
      },
    };
  });
}

const round = (x: number) => Math.round(x * 10) / 10;

/** Batch size for one run: the request's, bounded by a fixed batch dimension of the graph. */
function rowsPerRun(requested: number, fixed: number | null): number {
  return fixed ?? Math.max(1, requested);
}

async function gradientCam(
  ctx: EngineContext,
  methods: readonly CamMethod[],
  req: ExplainRequest,
  img: ImageInput,
  p: CamParams,
  augs: readonly Augmentation[],
  ctl: RunControl,
  activations: ActivationMemo,
): Promise<Map<CamMethod, CamRun>> {
  const model = req.model;
  const facts = await modelFacts(model);
  checkRunsOn(methods, facts.quantized);
  const layer = resolveLayer(facts, p.targetLayer, 'gradient');
  const tFwd = performance.now();
  // One forward pass per augmentation through the activation model gives the prediction (for
  // TOP-k) and the activations; the gradients then only need the tail layer → logits (the
  // classifier head) differentiated, for every class at once. When the tail is not
  // self-contained, the full backward model reruns the forward with the seeds.
  const first = await activations(layer);
  const id = identityIndex(augs);
  const probs = probabilitiesOf(first.logits[id], model);
  const classes = resolveTargets(req.params.target, probs);
  const tail = await tailRunner(ctx, model, layer, facts, [1, first.K, first.h, first.w]);
  const runner = tail ?? (await gradientRunner(ctx, model, layer, facts));
  throwIfAborted(ctl.signal);
  const tClasses = performance.now();
  const C = runner.numClasses ?? first.logits[id].length;
  const rows: { aug: number; ci: number }[] = [];
  augs.forEach((_, a) => classes.forEach((_, ci) => rows.push({ aug: a, ci })));
  const fixed = tail ? null : facts.fixedBatch;
  const B = rowsPerRun(p.batchSize, fixed);
  const { width: W, height: H, per } = img;
  const accs = methods.map((): Accumulator => ({ sums: classes.map(() => new Float32Array(W * H)), rawMax: classes.map(() => 0) }));
  const scores = Float64Array.from(classes, (c) => first.logits[id][c]);
  const { K, h, w } = first;
  const P = h * w;
  const rowSize = tail ? K * P : per;
  const rowDims = tail ? [K, h, w] : img.spec.layout === 'NCHW' ? [3, H, W] : [H, W, 3];
  let backwardRuns = 0;
  let mathMs = 0;
  // Row inputs: the activations (tail) or the augmented images (full backward model).
  let augmented: Float32Array | null = null;
  if (!tail) {
    augmented = new Float32Array(augs.length * per);
    augs.forEach((a, i) => augmentInto(img, a, augmented!, i * per));
  }
  const rowInput = (a: number) => (tail ? first.acts[a] : augmented!.subarray(a * per, (a + 1) * per));
  const buf = new Float32Array(B * rowSize);
  const formulas = methods.map((m) => gradientFormula(m)!);
  const elems = formulas.some((f) => f.kind === 'elementwise') ? new Float32Array(K * P) : null;
  for (let start = 0; start < rows.length; start += B) {
    throwIfAborted(ctl.signal);
    const chunk = rows.slice(start, start + B);
    const n = fixed ?? chunk.length;
    chunk.forEach((r, j) => buf.set(rowInput(r.aug), j * rowSize));
    if (n > chunk.length) buf.fill(0, chunk.length * rowSize, n * rowSize);
    const seed = new Float32Array(n * C);
    seed.set(oneHotSeed(chunk.map((r) => classes[r.ci]), C));
    const res = await runner.run(buf.subarray(0, n * rowSize), [n, ...rowDims], seed);
    backwardRuns++;
    const t1 = performance.now();
    const [k2, h2, w2] = checkActivation(res.activationShape, layer);
    if (k2 !== K || h2 !== h || w2 !== w) throw new EngineError('UNSUPPORTED_MODEL', `activation shape changed between runs at '${layer}'`);
    chunk.forEach((r, j) => {
      const off = j * K * P;
      formulas.forEach((combine, mi) => {
        let cam: Float32Array;
        if (combine.kind === 'weights') cam = camFromWeights(res.activation, combine.fn(res.activation, res.gradient, K, P, off), K, P, off, p.eigenSmooth);
        else {
          combine.fn(res.activation, res.gradient, K, P, off, elems!);
          cam = camFromElements(elems!, K, P, p.eigenSmooth);
        }
        accumulate(accs[mi], r.ci, augs[r.aug], finishCam(cam, h, w, H, W), H, W);
      });
    });
    mathMs += performance.now() - t1;
    ctl.onProgress?.({ stage: 'gradients', done: Math.min(rows.length, start + chunk.length), total: rows.length });
  }
  const activationShape = [1, K, h, w];
  const summary = {
    forwardPasses: augs.length,
    backward: tail ? 'head' : 'full',
    backwardRuns,
    rows: rows.length,
    batchSize: B,
    timingsMsDetail: { classes: round(tClasses - tFwd), gradients: round(performance.now() - tClasses - mathMs), maps: round(mathMs) },
  };
  return new Map(
    methods.map((m, mi) => [
      m,
      { classes, probs, scores, maps: averaged(accs[mi], augs.length), rawMax: accs[mi].rawMax, layer, activationShape, summary },
    ]),
  );
}

interface Activations {
  acts: Float32Array[];
  logits: Float32Array[];
  K: number;
  h: number;
  w: number;
  activationName: string;
}

/** Activations (and logits) of the augmented images through the activation model, chunked. */
async function activationsOf(
  ctx: EngineContext,
  req: ExplainRequest,
  img: ImageInput,
  layer: string,
  augs: readonly Augmentation[],
  batchSize: number,
  ctl: RunControl,
): Promise<Activations> {
  const facts = await modelFacts(req.model);
  const am = await activationModel(ctx, req.model, layer, facts);
  const B = rowsPerRun(batchSize, fixedBatch(am.session, am.inputName));
  const acts: Float32Array[] = [];
  const logits: Float32Array[] = [];
  let dims: number[] = [];
  const buf = new Float32Array(Math.min(B, augs.length) * img.per);
  for (let start = 0; start < augs.length; start += B) {
    throwIfAborted(ctl.signal);
    const chunk = augs.slice(start, start + B);
    chunk.forEach((a, j) => augmentInto(img, a, buf, j * img.per));
    const out = await runRows(am.session, img.spec, am.inputName, buf, chunk.length, [am.outputName, am.activation]);
    const A = floatData(out[am.activation], am.activation);
    const L = floatData(out[am.outputName], am.outputName);
    dims = [...out[am.activation].dims];
    checkActivation(dims, layer);
    const per = dims[1] * dims[2] * dims[3];
    const C = L.length / out[am.outputName].dims[0];
    chunk.forEach((_, j) => {
      acts.push(A.slice(j * per, (j + 1) * per));
      logits.push(L.slice(j * C, (j + 1) * C));
    });
  }
  return { acts, logits, K: dims[1], h: dims[2], w: dims[3], activationName: am.activation };
}

function identityIndex(augs: readonly Augmentation[]): number {
  const i = augs.findIndex(isIdentity);
  return i < 0 ? 0 : i;
}

async function eigenCam(req: ExplainRequest, img: ImageInput, p: CamParams, augs: readonly Augmentation[], ctl: RunControl, activations: ActivationMemo): Promise<CamRun> {
  const facts = await modelFacts(req.model);
  const layer = resolveLayer(facts, p.targetLayer, 'activation');
  const { acts, logits, K, h, w, activationName } = await activations(layer);
  const id = identityIndex(augs);
  const probs = probabilitiesOf(logits[id], req.model);
  const classes = resolveTargets(req.params.target, probs);
  const { width: W, height: H } = img;
  // Eigen-CAM does not depend on the class: one map, shared by every requested class.
  const sum = new Float32Array(W * H);
  let rawMax = 0;
  augs.forEach((aug, a) => {
    const res = finishCam(firstComponentProjection(acts[a], K, h * w), h, w, H, W);
    if (aug.flip) flipMapInPlace(res.map, H, W);
    for (let i = 0; i < sum.length; i++) sum[i] += res.map[i];
    if (a === id) rawMax = res.rawMax;
  });
  if (augs.length > 1) for (let i = 0; i < sum.length; i++) sum[i] /= augs.length;
  ctl.onProgress?.({ stage: 'activations', done: augs.length, total: augs.length });
  return {
    classes,
    probs,
    scores: Float64Array.from(classes, (c) => logits[id][c]),
    maps: classes.map((_, i) => (i === 0 ? sum : sum.slice())),
    rawMax: classes.map(() => rawMax),
    layer,
    activationShape: [1, K, h, w],
    summary: { forwardPasses: augs.length, activationTensor: activationName },
  };
}

/** Channels with the largest spatial variance, when a cap is set; else all. */
function selectChannels(A: Float32Array, K: number, P: number, max: number | null | undefined): number[] {
  const all = Array.from({ length: K }, (_, k) => k);
  if (!max || max >= K) return all;
  const variance = all.map((k) => {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < P; i++) {
      const v = A[k * P + i];
      s += v;
      s2 += v * v;
    }
    const m = s / P;
    return s2 / P - m * m;
  });
  return all.sort((a, b) => variance[b] - variance[a] || a - b).slice(0, max).sort((a, b) => a - b);
}

/**
 * Score-CAM: each activation channel, bilinearly upsampled (align_corners=True, as torch's
 * UpsamplingBilinear2d) and min-max normalized, multiplies the (normalized) input; the target
 * scores of these masked inputs, softmaxed over the channels, weight the channels. One set of
 * masked forward passes serves every requested class.
 */
async function scoreCam(
  ctx: EngineContext,
  req: ExplainRequest,
  img: ImageInput,
  p: CamParams,
  augs: readonly Augmentation[],
  ctl: RunControl,
  opts: CamOptions,
  activations: ActivationMemo,
): Promise<CamRun> {
  const model = req.model;
  const facts = await modelFacts(model);
  const layer = resolveLayer(facts, p.targetLayer, 'activation');
  const { acts, logits, K, h, w, activationName } = await activations(layer);
  const id = identityIndex(augs);
  const probs = probabilitiesOf(logits[id], model);
  const classes = resolveTargets(req.params.target, probs);
  const fwd = await forwardSession(ctx.sessions, model);
  const fixed = fixedBatch(fwd, facts.inputName);
  const B = rowsPerRun(p.batchSize, fixed);
  const { width: W, height: H, per, spec } = img;
  const P = h * w;
  const HW = H * W;
  const channels = acts.map((A) => selectChannels(A, K, P, opts.scoreCamMaxChannels));
  const total = channels.reduce((s, c) => s + c.length, 0);
  const buf = new Float32Array(B * per);
  const up = new Float32Array(HW);
  const aug = new Float32Array(per);
  const acc: Accumulator = { sums: classes.map(() => new Float32Array(HW)), rawMax: classes.map(() => 0) };
  let done = 0;
  let runs = 0;
  for (let a = 0; a < augs.length; a++) {
    const A = acts[a];
    augmentInto(img, augs[a], aug, 0);
    const chans = channels[a];
    // scores[class][j] for channel chans[j]
    const scores = classes.map(() => new Float64Array(chans.length));
    for (let start = 0; start < chans.length; start += B) {
      throwIfAborted(ctl.signal);
      const chunk = chans.slice(start, start + B);
      chunk.forEach((k, j) => {
        resizeBilinear(A, h, w, H, W, 'align', up, k * P);
        let lo = Infinity;
        let hi = -Infinity;
        for (let i = 0; i < HW; i++) {
          if (up[i] < lo) lo = up[i];
          if (up[i] > hi) hi = up[i];
        }
        const d = 1 / (hi - lo + 1e-8);
        for (let i = 0; i < HW; i++) up[i] = (up[i] - lo) * d;
        const o = j * per;
        if (spec.layout === 'NCHW') {
          for (let c = 0; c < 3; c++) {
            const b = c * HW;
            for (let i = 0; i < HW; i++) buf[o + b + i] = aug[b + i] * up[i];
          }
        } else {
          for (let i = 0; i < HW; i++) {
            const m = up[i];
            buf[o + 3 * i] = aug[3 * i] * m;
            buf[o + 3 * i + 1] = aug[3 * i + 1] * m;
            buf[o + 3 * i + 2] = aug[3 * i + 2] * m;
          }
        }
      });
      const out = await runRows(fwd, spec, facts.inputName, buf, chunk.length, [facts.outputName]);
      runs++;
      const L = floatData(out[facts.outputName], facts.outputName);
      const C = L.length / out[facts.outputName].dims[0];
      chunk.forEach((_, j) => classes.forEach((c, ci) => (scores[ci][start + j] = L[j * C + c])));
      done += chunk.length;
      ctl.onProgress?.({ stage: 'masks', done, total });
    }
    classes.forEach((_, ci) => {
      const s = scores[ci];
      let m = -Infinity;
      for (const v of s) if (v > m) m = v;
      let z = 0;
      const e = Float64Array.from(s, (v) => Math.exp(v - m));
      for (const v of e) z += v;
      const wts = new Float64Array(K);
      chans.forEach((k, j) => (wts[k] = e[j] / z));
      accumulate(acc, ci, augs[a], finishCam(camFromWeights(A, wts, K, P, 0, p.eigenSmooth), h, w, H, W), H, W);
    });
  }
  const maps = averaged(acc, augs.length);
  return {
    classes,
    probs,
    scores: Float64Array.from(classes, (c) => logits[id][c]),
    maps,
    rawMax: acc.rawMax,
    layer,
    activationShape: [1, K, h, w],
    summary: { forwardPasses: augs.length + total, maskedForwardPasses: total, channelsUsed: channels[id].length, maskRuns: runs, batchSize: B, activationTensor: activationName },
  };
}
