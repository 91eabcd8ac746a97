// Kernel SHAP over superpixels, as shap.KernelExplainer with a mask→image function: coalitions of
// segments are sampled as the reference does, draw for draw (complete enumeration of the smallest/largest
// subset sizes while the budget allows, then paired random draws by the Shapley kernel's size weights
// from numpy's RandomState, duplicate draws adding weight), and the Shapley-kernel weighted least squares is solved with the
// efficiency constraint eliminated exactly (the last feature's value is f(x) − f(∅) − Σ others).
import { throwIfAborted } from '../errors.ts';
import type { ExplainRequest, ExplainResult } from '../explain/types.ts';
import { numpySum } from '../numpy-sum.ts';
import { RandomState } from '../random.ts';
import type { RunControl } from '../types.ts';
import { solveSymmetric } from './linalg.ts';
import { sampleUntilStable, stoppingRuleOf, type AdaptiveRecord } from './adaptive.ts';
import { kernelShapDistributions } from './fit-uncertainty.ts';
import { attribution, BOOTSTRAP_SALT, prepareSegmented, sampledSummary, segmentMap, type PerturbContext } from './prepare.ts';
import { effectiveSampleSize, summarizeUncertainty, type WeightDistribution } from './uncertainty.ts';

export interface KernelPlan {
  M: number;
  /** Row-major coalition masks (1 = segment present). */
  masks: Uint8Array;
  /** Kernel weight of each sample (full budget). */
  weights: Float64Array;
  n: number;
  /** Samples from complete enumeration of subset sizes; the rest are random. */
  nFixed: number;
  /** Total weight the random samples share (weight_vector[num_full_subsets:].sum()). */
  weightLeft: number;
  /** For each random draw, the sample index it created or added weight to (prefix → adaptive rounds). */
  drawLog: Int32Array;
  nsamples: number;
}

function binom(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r < 2 ** 52 ? Math.round(r) : r;
}

/**
 * shap.KernelExplainer.explain()'s sampling ('auto' nsamples = 2M + 2048) with its draws: `rand` plays
 * numpy's global RandomState after `np.random.seed(seed)`. One `np.random.choice(sizes, 4 × samples_left,
 * p=…)` for all subset sizes up front, then `np.random.permutation(M)[:size]` per draw; sums in numpy's order.
 */
export function kernelShapPlan(M: number, nsamplesIn: number | null, rand: RandomState): KernelPlan {
  let nsamples = nsamplesIn ?? 2 * M + 2048;
  const maxSamples = M <= 30 ? 2 ** M - 2 : 2 ** 30;
  if (nsamples > maxSamples) nsamples = maxSamples;
  const masks = new Uint8Array(nsamples * M);
  const weights = new Float64Array(nsamples);
  let n = 0;
  const add = (mask: Uint8Array, w: number) => {
    masks.set(mask, n * M);
    weights[n++] = w;
  };
  const numSubsetSizes = Math.ceil((M - 1) / 2);
  const numPaired = Math.floor((M - 1) / 2);
  const weightVector = new Float64Array(numSubsetSizes);
  for (let i = 1; i <= numSubsetSizes; i++) weightVector[i - 1] = (M - 1) / (i * (M - i));
  for (let i = 0; i < numPaired; i++) weightVector[i] *= 2;
  const wsum = numpySum(weightVector);
  for (let i = 0; i < numSubsetSizes; i++) weightVector[i] /= wsum;

  let numFull = 0;
  let left = nsamples;
  const remaining = Float64Array.from(weightVector);
  const mask = new Uint8Array(M);
  for (let size = 1; size <= numSubsetSizes; size++) {
    let nsubsets = binom(M, size);
    if (size <= numPaired) nsubsets *= 2;
    if (!((left * remaining[size - 1]) / nsubsets >= 1 - 1e-8)) break;
    numFull++;
    left -= nsubsets;
    if (remaining[size - 1] < 1) {
      const d = 1 - remaining[size - 1];
      for (let i = 0; i < remaining.length; i++) remaining[i] /= d;
    }
    let w = weightVector[size - 1] / binom(M, size);
    if (size <= numPaired) w /= 2;
    // itertools.combinations order.
    const idx = Array.from({ length: size }, (_, i) => i);
    for (;;) {
      mask.fill(0);
      for (const i of idx) mask[i] = 1;
      add(mask, w);
      if (size <= numPaired) {
        for (let j = 0; j < M; j++) mask[j] = 1 - mask[j];
        add(mask, w);
      }
      let i = size - 1;
      while (i >= 0 && idx[i] === M - size + i) i--;
      if (i < 0) break;
      idx[i]++;
      for (let j = i + 1; j < size; j++) idx[j] = idx[j - 1] + 1;
    }
  }
  const nFixed = n;
  let samplesLeft = nsamples - n;
  const drawLog: number[] = [];
  let weightLeft = 0;
  if (numFull !== numSubsetSizes) {
    const rw = Float64Array.from(weightVector);
    for (let i = 0; i < numPaired; i++) rw[i] /= 2;
    const tail = rw.subarray(numFull);
    const tsum = numpySum(tail);
    for (let i = 0; i < tail.length; i++) tail[i] /= tsum;
    const sizeDraws = rand.choice(tail.length, 4 * samplesLeft, true, tail);
    const used = new Map<string, number>();
    for (let draw = 0; samplesLeft > 0 && draw < sizeDraws.length; draw++) {
      const size = sizeDraws[draw] + numFull + 1;
      const perm = rand.permutation(M);
      mask.fill(0);
      for (let j = 0; j < size; j++) mask[perm[j]] = 1;
      const key = Buffer.from(mask).toString('latin1');
      const seen = used.get(key);
      const paired = size <= numPaired;
      if (seen === undefined) {
        used.set(key, n);
        samplesLeft--;
        drawLog.push(n);
        add(mask, 1);
        if (samplesLeft > 0 && paired) {
          for (let j = 0; j < M; j++) mask[j] = 1 - mask[j];
          samplesLeft--;
          drawLog.push(n);
          add(mask, 1);
        }
      } else {
        weights[seen] += 1;
        drawLog.push(seen);
        if (samplesLeft > 0 && paired) {
          weights[seen + 1] += 1;
          drawLog.push(seen + 1);
        }
      }
    }
    weightLeft = numpySum(weightVector, numFull);
    const rsum = numpySum(weights, nFixed, nsamples); // shap sums kernelWeights[nfixed:], unused zero slots included
    if (rsum > 0) for (let i = nFixed; i < n; i++) weights[i] *= weightLeft / rsum;
  }
  return {
    M,
    masks: masks.subarray(0, n * M),
    weights: weights.subarray(0, n),
    n,
    nFixed,
    weightLeft,
    drawLog: Int32Array.from(drawLog),
    nsamples,
  };
}

/** Kernel weights of the first `count` samples (fixed ones plus a prefix of the random draws). */
export function prefixWeights(plan: KernelPlan, count: number): Float64Array {
  const w = new Float64Array(count);
  for (let i = 0; i < Math.min(count, plan.nFixed); i++) w[i] = plan.weights[i];
  if (count <= plan.nFixed) return w;
  let rsum = 0;
  for (let e = 0; e < plan.drawLog.length; e++) {
    const s = plan.drawLog[e];
    if (s >= count) break; // the log creates samples in order
    w[s] += 1;
    rsum += 1;
  }
  if (rsum > 0) for (let i = plan.nFixed; i < count; i++) w[i] *= plan.weightLeft / rsum;
  return w;
}

/**
 * The reference's solve(): eliminate the last feature with the efficiency constraint and solve the
 * weighted least squares for the others. ey is n×k (model outputs per sample), fx/fnull per class.
 */
export function kernelShapSolve(
  masks: Uint8Array,
  n: number,
  M: number,
  weights: ArrayLike<number>,
  ey: Float64Array,
  k: number,
  fx: ArrayLike<number>,
  fnull: ArrayLike<number>,
): Float64Array[] {
  if (M === 1) return Array.from({ length: k }, (_, c) => Float64Array.of(fx[c] - fnull[c]));
  const P = M - 1;
  const last = M - 1;
  // A = EᵀWE with E[i, j] = mask[i, j] − mask[i, last]; shared by every class.
  const A = new Float64Array(P * P);
  const rhs = Array.from({ length: k }, () => new Float64Array(P));
  const e = new Float64Array(P);
  for (let i = 0; i < n; i++) {
    const wi = weights[i];
    if (wi === 0) continue;
    const row = i * M;
    const ml = masks[row + last];
    for (let j = 0; j < P; j++) e[j] = masks[row + j] - ml;
    for (let a = 0; a < P; a++) {
      const ea = wi * e[a];
      if (ea === 0) continue;
      const r = a * P;
      for (let b = a; b < P; b++) A[r + b] += ea * e[b];
    }
    for (let c = 0; c < k; c++) {
      const y2 = ey[i * k + c] - fnull[c] - ml * (fx[c] - fnull[c]);
      const wy = wi * y2;
      const out = rhs[c];
      for (let a = 0; a < P; a++) out[a] += wy * e[a];
    }
  }
  for (let a = 0; a < P; a++) for (let b = a + 1; b < P; b++) A[b * P + a] = A[a * P + b];
  return rhs.map((b, c) => {
    const w = solveSymmetric(A, b, P);
    const phi = new Float64Array(M);
    let s = 0;
    for (let j = 0; j < P; j++) {
      phi[j] = w[j];
      s += w[j];
    }
    phi[last] = fx[c] - fnull[c] - s;
    for (let j = 0; j < M; j++) if (Math.abs(phi[j]) < 1e-10) phi[j] = 0;
    return phi;
  });
}

/** Plan samples before adaptive sampling's first check: the enumerated subsets and enough draws to fit M segments. */
export const kernelShapFirstCheck = (plan: KernelPlan): number => plan.nFixed + Math.max(100, 2 * plan.M);

/**
 * Kernel SHAP's solve on the first n plan samples (prefix weights) and the distribution of its values;
 * ey is n×k, the Gaussian draws have their own stream. What adaptive sampling checks, in one place for
 * the explainer and the tests.
 */
export function kernelShapAssessor(plan: KernelPlan, ey: Float64Array, classes: readonly number[], fx: ArrayLike<number>, fnull: ArrayLike<number>, topK: number, seed: number) {
  const k = classes.length;
  const solve = (n: number, w: Float64Array = prefixWeights(plan, n)) => kernelShapSolve(plan.masks, n, plan.M, w, ey, k, fx, fnull);
  const assess = (n: number, w: Float64Array, phis: Float64Array[]) => kernelShapDistributions(plan, n, w, ey, classes, fx, fnull, phis, topK, seed);
  return { solve, assess };
}

export async function explainKernelShapWith(ctx: PerturbContext, req: ExplainRequest, ctl: RunControl): Promise<ExplainResult> {
  const prep = await prepareSegmented(req, ctx, 'kernelShap', ctl);
  const { p, runner, classes, seg, composer } = prep;
  const M = seg.count;
  const k = classes.length;
  const fx = classes.map((c) => prep.probs[c]);

  const plan = kernelShapPlan(M, p.nsamples, new RandomState(prep.seed));
  // Row 0 of the evaluation is the all-hidden image (f(∅), the base value); rows 1… are the plan's samples.
  const ey = new Float64Array(plan.n * k);
  const fnull = new Float64Array(k);
  const zeros = new Uint8Array(M);
  let evaluated = 0; // plan samples evaluated
  let started = false;
  const evaluate = async (upTo: number, progress?: { expected: number; stability: number | null }) => {
    const from = started ? evaluated + 1 : 0;
    const to = upTo + 1;
    await runner.run(
      to - from,
      (i, t, off) => {
        const r = from + i;
        if (r === 0) composer.compose(zeros, 0, t, off);
        else composer.compose(plan.masks, (r - 1) * M, t, off);
      },
      (start, count, probs) => {
        for (let j = 0; j < count; j++) {
          const r = from + start + j;
          if (r === 0) fnull.set(probs.subarray(j * k, (j + 1) * k));
          else ey.set(probs.subarray(j * k, (j + 1) * k), (r - 1) * k);
        }
      },
      ctl,
      'sample',
      // Progress counts plan samples, as nsamples and samplesUsed do: row 0 (f(∅)) is not one of them.
      { done: from - 1, total: progress ? progress.expected : plan.n, ...(progress?.stability != null ? { stability: progress.stability } : {}) },
    );
    started = true;
    evaluated = upTo;
  };

  const assessor = kernelShapAssessor(plan, ey, classes, fx, fnull, p.stabilityTopK, (prep.seed ^ BOOTSTRAP_SALT) >>> 0);
  const tSample = performance.now();
  let adaptive: AdaptiveRecord | null = null;
  let phis: Float64Array[] | null = null;
  let dists: WeightDistribution[] | null = null;
  let weights: Float64Array;
  if (!p.adaptive || plan.n === plan.nFixed) {
    await evaluate(plan.n);
    weights = plan.weights;
  } else {
    const run = await sampleUntilStable({
      first: kernelShapFirstCheck(plan),
      max: plan.n,
      rule: stoppingRuleOf(p),
      granularity: runner.plan.size,
      confidence: p.confidence,
      topK: p.stabilityTopK,
      evaluate: (upTo, progress) => evaluate(upTo, progress),
      assess: (n) => {
        const w = prefixWeights(plan, n);
        return assessor.assess(n, w, (phis = assessor.solve(n, w)));
      },
      onCheck: (c) => ctl.onProgress?.({ stage: 'sample', done: c.samples, total: c.expectedSamples, stability: c.stability }),
    });
    adaptive = run.record;
    dists = run.dists;
    weights = prefixWeights(plan, evaluated);
  }
  const sampleMs = performance.now() - tSample;
  ctl.onProgress?.({ stage: 'fit', done: 0, total: k });
  const tFit = performance.now();
  phis ??= assessor.solve(evaluated, weights);
  const fitMs = performance.now() - tFit;
  const tUnc = performance.now();
  dists ??= assessor.assess(evaluated, weights, phis);
  const uncertainty = summarizeUncertainty(dists, p.stabilityTopK, effectiveSampleSize(weights, evaluated));
  const uncertaintyMs = performance.now() - tUnc;
  ctl.onProgress?.({ stage: 'fit', done: k, total: k });
  const values = phis;

  return {
    method: 'KERNEL_SHAP',
    geometry: prep.crop.geometry,
    view: { crop: prep.rgb, original: prep.crop.original },
    attributions: classes.map((c, j) => {
      const sum = values[j].reduce((a, b) => a + b, 0);
      return attribution(req, prep, c, segmentMap(seg.labels, values[j]), {
        baseValue: fnull[j],
        fx: fx[j],
        efficiencyGap: sum - (fx[j] - fnull[j]),
      });
    }),
    segments: { segments: seg.labels, count: M, weights: classes.map((c, j) => ({ classIndex: c, values: values[j] })) },
    summary: {
      segments: M,
      nsamples: plan.nsamples,
      samplesUsed: evaluated,
      enumeratedSamples: plan.nFixed,
      ...sampledSummary(prep, uncertainty, adaptive, { uncertaintyMs, sampleMs, fitMs }),
    },
  };
}
