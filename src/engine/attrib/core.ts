// Input-gradient attributions: Saliency, SmoothGrad, Integrated Gradients and Gradient SHAP
// (expected gradients). All four evaluate ∂y_c/∂x at a set of points (the image, noisy copies,
// points on a path from a baseline, random points between baselines and the image) through the
// input-gradient model of grad/ (one backward run per batch; one row per (point, class) with that
// class's one-hot seed), and differ only in the points and in how gradients are combined.
//
// Maps are over the model input grid; a pixel's value is the sum over its three channels of the
// per-element attribution (Saliency: the max over channels of |∂y/∂x|, Simonyan et al.).
import { preprocess } from '../preprocess.ts';
import { EngineError, throwIfAborted } from '../errors.ts';
import type { EngineContext } from '../explain/context.ts';
import type { Attribution, ExplainRequest, ExplainResult } from '../explain/types.ts';
import { oneHotSeed } from '../grad/index.ts';
import { blockParams, checkRunsOn, methodInfo, type GradientParams, type Method, type MethodOf } from '../methods.ts';
import { gaussianStream, mulberry32, RandomState } from '../random.ts';
import { drawPath } from './alpha.ts';
import { gaussianFilter } from '../segment/gaussian.ts';
import type { InputSpec, RunControl } from '../types.ts';
import { attributionRecord, batchDims, floatData, forwardSession, loadImage, normalizeFloatInto, probabilitiesOf, resolveTargets, runRows, seedOf, type ImageInput } from '../explain/toolkit.ts';

export type GradientMethod = MethodOf<'GRADIENT'>;

/** Options beyond the API parameters (set by the engine, tests and benchmarks). */
export interface GradientOptions {
  /**
   * GRADIENT_SHAP reference distribution: preprocessed images (normalized, in the model's layout,
   * 3·H·W values each, e.g. from preprocess() of the baseline images the caller resolved from
   * `baselineImageIds`). Default: one black image.
   */
  baselines?: Float32Array[];
  /**
   * INTEGRATED_GRADIENTS quadrature over the path, with `steps` nodes: 'gausslegendre' (captum's
   * default; default here) or 'riemann_trapezoid'.
   */
  integration?: 'gausslegendre' | 'riemann_trapezoid';
  /** GRADIENT_SHAP local noise: σ = shapNoise × (max − min) of the input (captum's stdevs). Default 0. */
  shapNoise?: number;
  /** σ in pixels of the BLURRED integrated-gradients baseline. Default 16. */
  blurSigma?: number;
}

/** Gauss–Legendre nodes and weights on [0, 1] (weights sum to 1). */
export function gaussLegendre(n: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Newton on P_n from the Chebyshev-like initial guess.
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      const pn = n === 1 ? x : p1;
      const pm = n === 1 ? 1 : p0;
      dp = (n * (x * pn - pm)) / (x * x - 1);
      const dx = pn / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-15) break;
    }
    // Map [-1, 1] → [0, 1]; weights 2/((1−x²)P'ₙ(x)²) halve.
    nodes[n - 1 - i] = (x + 1) / 2;
    weights[n - 1 - i] = 1 / ((1 - x * x) * dp * dp);
  }
  return { nodes, weights };
}

/** captum's riemann_trapezoid: α = linspace(0, 1, n), end weights halved; one step → the midpoint. */
export function trapezoid(n: number): { nodes: Float64Array; weights: Float64Array } {
  if (n === 1) return { nodes: Float64Array.of(0.5), weights: Float64Array.of(1) };
  const nodes = Float64Array.from({ length: n }, (_, i) => i / (n - 1));
  const weights = Float64Array.from({ length: n }, (_, i) => (i === 0 || i === n - 1 ? 0.5 : 1) / (n - 1));
  return { nodes, weights };
}

/** Float RGB (HWC, 0..255) → a new normalized tensor in the spec's layout (no uint8 rounding). */
function normalizeFloat(rgb: ArrayLike<number>, spec: InputSpec): Float32Array {
  const out = new Float32Array(3 * spec.width * spec.height);
  normalizeFloatInto(rgb, spec, out, 0);
  return out;
}

/** Integrated-gradients baselines in normalized input space. */
export function baselineImage(kind: GradientParams['baseline'], img: ImageInput, seed: number, blurSigma = 16): Float32Array {
  const n = img.width * img.height;
  if (kind === 'BLACK') return normalizeFloat(new Float64Array(n * 3), img.spec);
  if (kind === 'BLURRED') return normalizeFloat(gaussianFilter(img.rgb, img.width, img.height, 3, blurSigma), img.spec);
  const rand = mulberry32(seed ^ 0x5bd1e995);
  return normalizeFloat(Float64Array.from({ length: n * 3 }, () => rand() * 255), img.spec);
}

/** Per-pixel sum over channels of a per-element tensor. */
function channelSum(v: ArrayLike<number>, spec: InputSpec): Float32Array {
  const n = spec.width * spec.height;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = spec.layout === 'NCHW' ? v[i] + v[n + i] + v[2 * n + i] : v[3 * i] + v[3 * i + 1] + v[3 * i + 2];
  return out;
}

/** Per-pixel max over channels of |v|. */
function channelMaxAbs(v: ArrayLike<number>, spec: InputSpec): Float32Array {
  const n = spec.width * spec.height;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const [a, b, c] = spec.layout === 'NCHW' ? [v[i], v[n + i], v[2 * n + i]] : [v[3 * i], v[3 * i + 1], v[3 * i + 2]];
    out[i] = Math.max(Math.abs(a), Math.abs(b), Math.abs(c));
  }
  return out;
}

function rangeOf(x: Float32Array): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return hi - lo;
}

/** A set of evaluation points; `point(j, dst, off)` writes point j; rows are (point, class) pairs. */
interface PointPlan {
  count: number;
  point: (j: number, dst: Float32Array, off: number) => void;
  /** Called once per (point, class) with the input gradient slice and the logits row. */
  onGradient: (j: number, ci: number, grad: Float32Array, logits: Float32Array) => void;
}

const round = (x: number) => Math.round(x * 10) / 10;

export async function explainGradient(
  ctx: EngineContext,
  method: GradientMethod,
  req: ExplainRequest,
  ctl: RunControl,
  opts: GradientOptions = {},
): Promise<ExplainResult> {
  const t0 = performance.now();
  const p = blockParams(req.params, 'gradient');
  const model = req.model;
  const img = await loadImage(req, ctl);
  const facts = await ctx.models.modelFacts(model);
  checkRunsOn([method], facts.quantized);
  const runner = await ctx.models.gradientRunner(model, facts.inputName, facts);
  throwIfAborted(ctl.signal);
  const seed = seedOf(req);
  const { per, spec } = img;

  // Baselines whose outputs enter the completeness check.
  let baselines: Float32Array[] = [];
  if (method === 'INTEGRATED_GRADIENTS') baselines = [baselineImage(p.baseline, img, seed, opts.blurSigma)];
  if (method === 'GRADIENT_SHAP') {
    const given = req.baselineImages?.length
      ? await Promise.all(req.baselineImages.map((b) => preprocess(b, spec, { maxPixels: req.maxPixels })))
      : opts.baselines;
    baselines = given?.length ? given : [baselineImage('BLACK', img, seed)];
    for (const b of baselines) if (b.length !== per) throw new EngineError('INVALID_ARGUMENT', `a baseline has ${b.length} values, the model input needs ${per}`);
  }
  // One forward run: the prediction (for TOP-k and probabilities) and the baselines' outputs.
  const fwd = await forwardSession(ctx.sessions, model);
  const fwdRows = 1 + baselines.length;
  const fwdIn = new Float32Array(fwdRows * per);
  fwdIn.set(img.input);
  baselines.forEach((b, i) => fwdIn.set(b, (i + 1) * per));
  const fwdOut = await forwardRows(fwd, spec, facts.inputName, fwdIn, fwdRows, facts.outputName, facts.fixedBatch ?? p.batchSize);
  const C = fwdOut.length / fwdRows;
  const logitsX = fwdOut.subarray(0, C);
  const probs = probabilitiesOf(logitsX, model);
  const classes = resolveTargets(req.params.target, probs);
  const K = classes.length;
  const tPrep = performance.now();

  const acc = classes.map(() => new Float64Array(per));
  const summary: Record<string, unknown> = {};
  let plan: PointPlan;
  const x = img.input;
  if (method === 'SALIENCY') {
    plan = {
      count: 1,
      point: (_j, dst, off) => dst.set(x, off),
      onGradient: (_j, ci, g) => {
        const a = acc[ci];
        for (let i = 0; i < per; i++) a[i] = g[i];
      },
    };
  } else if (method === 'SMOOTH_GRAD') {
    const sigma = p.noiseLevel * rangeOf(x);
    const normal = gaussianStream(seed);
    summary.noiseSigma = sigma;
    summary.samples = p.samples;
    plan = {
      count: p.samples,
      point: (_j, dst, off) => {
        for (let i = 0; i < per; i++) dst[off + i] = x[i] + sigma * normal();
      },
      onGradient: (_j, ci, g) => {
        const a = acc[ci];
        for (let i = 0; i < per; i++) a[i] += g[i] / p.samples;
      },
    };
  } else if (method === 'INTEGRATED_GRADIENTS') {
    const rule = opts.integration ?? 'gausslegendre';
    const { nodes, weights } = rule === 'gausslegendre' ? gaussLegendre(p.steps) : trapezoid(p.steps);
    const b = baselines[0];
    summary.integration = rule;
    summary.steps = p.steps;
    summary.baseline = p.baseline;
    plan = {
      count: p.steps,
      point: (j, dst, off) => {
        const al = nodes[j];
        for (let i = 0; i < per; i++) dst[off + i] = b[i] + al * (x[i] - b[i]);
      },
      onGradient: (j, ci, g) => {
        const a = acc[ci];
        const wj = weights[j];
        for (let i = 0; i < per; i++) a[i] += wj * g[i];
      },
    };
  } else {
    // Expected gradients: per sample a random baseline, a random α ~ U(0, 1) and optional local
    // noise on the input; attribution = mean over samples of (x̃ − b) ⊙ ∇f(b + α(x̃ − b)).
    // Draws as shap 0.42.1's GradientExplainer.shap_values(rseed=seed): np.random.seed(rseed), then
    // per sample choice(len(background)) (no draw for one background) and uniform(); the same draws
    // for every explained class. shap's local smoothing comes from torch's generator, not numpy's,
    // so our noise keeps its own stream and leaves the α and background draws untouched.
    // alphaSampling other than SHAP spreads the same draws' α over [0, 1] (alpha.ts).
    const normal = gaussianStream(seed ^ 0x27d4eb2d);
    const sigma = (opts.shapNoise ?? 0) * rangeOf(x);
    const n = p.samples;
    const draws = drawPath(new RandomState(seed), n, baselines.length, p.alphaSampling);
    summary.samples = n;
    summary.baselines = baselines.length;
    summary.noiseSigma = sigma;
    summary.alphaSampling = p.alphaSampling;
    // Per-sample (x̃ − b), kept only for the samples of the batch in flight.
    const deltas = new Map<number, Float32Array>();
    plan = {
      count: n,
      point: (j, dst, off) => {
        const b = baselines[draws.background[j]];
        const al = draws.alpha[j];
        // torch's t·x + (1 − t)·b on float32 tensors: each scalar rounded to float32, each product too.
        const t = Math.fround(al);
        const u = Math.fround(1 - al);
        const d = new Float32Array(per);
        for (let i = 0; i < per; i++) {
          const xt = Math.fround(sigma > 0 ? x[i] + sigma * normal() : x[i]);
          d[i] = xt - b[i];
          dst[off + i] = Math.fround(t * xt) + Math.fround(u * b[i]);
        }
        deltas.set(j, d);
      },
      onGradient: (j, ci, g) => {
        const d = deltas.get(j)!;
        const a = acc[ci];
        for (let i = 0; i < per; i++) a[i] += (d[i] * g[i]) / n;
        if (ci === K - 1) deltas.delete(j);
      },
    };
  }

  // Batched gradient rows: point-major, one row per class.
  const B = Math.max(1, facts.fixedBatch ?? p.batchSize);
  const total = plan.count * K;
  const buf = new Float32Array(B * per);
  const point = new Float32Array(per);
  let runs = 0;
  for (let start = 0; start < total; start += B) {
    throwIfAborted(ctl.signal);
    const rows = Math.min(B, total - start);
    const n = facts.fixedBatch ?? rows;
    let lastPoint = -1;
    const meta: { j: number; ci: number }[] = [];
    for (let r = 0; r < rows; r++) {
      const j = Math.floor((start + r) / K);
      const ci = (start + r) % K;
      if (j !== lastPoint) {
        plan.point(j, point, 0);
        lastPoint = j;
      }
      buf.set(point, r * per);
      meta.push({ j, ci });
    }
    if (n > rows) buf.fill(0, rows * per, n * per);
    const seedRows = new Float32Array(n * C);
    seedRows.set(oneHotSeed(meta.map((m) => classes[m.ci]), C));
    const res = await runner.run(buf.subarray(0, n * per), batchDims(spec, n), seedRows);
    runs++;
    meta.forEach((m, r) => plan.onGradient(m.j, m.ci, res.gradient.subarray(r * per, (r + 1) * per), res.logits.subarray(r * C, (r + 1) * C)));
    ctl.onProgress?.({ stage: 'gradients', done: start + rows, total });
  }
  const tGrad = performance.now();

  const attributions: Attribution[] = classes.map((c, ci) => {
    const a = acc[ci];
    const score = logitsX[c];
    const metrics: Record<string, number> = { score };
    if (method === 'SALIENCY') {
      let l2 = 0;
      for (const v of a) l2 += v * v;
      metrics.gradientL2 = Math.sqrt(l2);
      return attributionRecord(model, c, probs[c], channelMaxAbs(a, spec), img, methodInfo(method).signed, metrics);
    }
    if (method === 'INTEGRATED_GRADIENTS' || method === 'GRADIENT_SHAP') {
      // attribution = (x − x') ⊙ avg grad for IG; GradientSHAP accumulated (x̃ − b) ⊙ grad already.
      if (method === 'INTEGRATED_GRADIENTS') {
        const b = baselines[0];
        for (let i = 0; i < per; i++) a[i] *= x[i] - b[i];
      }
      let sum = 0;
      for (const v of a) sum += v;
      let fb = 0;
      for (let k = 0; k < baselines.length; k++) fb += fwdOut[(k + 1) * C + c];
      fb /= baselines.length;
      const delta = score - fb;
      metrics.sumAttributions = sum;
      metrics.outputDelta = delta;
      metrics.completenessGap = Math.abs(sum - delta);
      metrics.relativeGap = Math.abs(sum - delta) / Math.max(Math.abs(delta), 1e-12);
      metrics.baselineScore = fb;
    }
    return attributionRecord(model, c, probs[c], channelSum(a, spec), img, methodInfo(method).signed, metrics);
  });
  return {
    method: method as Method,
    attributions,
    geometry: img.geometry,
    view: img.view,
    summary: {
      ...summary,
      classes,
      gradientRows: total,
      backwardRuns: runs,
      batchSize: B,
      timingsMs: { prepare: round(tPrep - t0), gradients: round(tGrad - tPrep), total: round(performance.now() - t0) },
    },
  };
}

/** Forward rows in chunks of `batch` (there may be more baselines than a batch holds); the outputs concatenated. */
async function forwardRows(
  session: Awaited<ReturnType<typeof forwardSession>>,
  spec: InputSpec,
  inputName: string,
  data: Float32Array,
  rows: number,
  outputName: string,
  batch: number,
): Promise<Float32Array> {
  const per = 3 * spec.width * spec.height;
  const parts: Float32Array[] = [];
  for (let s = 0; s < rows; s += batch) {
    const n = Math.min(batch, rows - s);
    const out = await runRows(session, spec, inputName, data.subarray(s * per, (s + n) * per), n, [outputName]);
    const t = out[outputName];
    parts.push(floatData(t, outputName).slice(0, (t.data.length / t.dims[0]) * n));
  }
  const all = new Float32Array(parts.reduce((t, q) => t + q.length, 0));
  let o = 0;
  for (const q of parts) {
    all.set(q, o);
    o += q.length;
  }
  return all;
}
