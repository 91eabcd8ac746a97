// The CAM family over one core, following pytorch-grad-cam's BaseCAM:
//
//   activations A [K,h,w] (and gradients G of the target score w.r.t. A, one backward run per
//   batch with one one-hot seed row per (augmentation, class)) → per variant a channel weighting
//   w_k (cam = Σ_k w_k·A_k), an elementwise combination, or its own algorithm on the activations
//   → optional eigen-smooth → ReLU → scale_cam_image (min-max, then cv2-style bilinear resize to
//   the input size) → aggregate_multi_layers (ReLU, min-max again) → with aug-smooth: de-augment
//   and average over ttach's HorizontalFlip × Multiply([0.9, 1, 1.1]).
//
// The variants are rows of the registry (engine/methods.ts) with their formula in variants/.
// Gradient-free variants (Eigen-CAM, Score-CAM) run on the forward graph (with the layer as an
// extra, dequantized output) and work on int8 models; the gradient variants need a backward graph
// and fail with NOT_DIFFERENTIABLE there.
import { throwIfAborted } from '../errors.ts';
import type { EngineContext } from '../explain/context.ts';
import { resolveLayer } from '../explain/model-facts.ts';
import { attributionRecord, fixedBatch, floatData, forwardSession, loadImage, probabilitiesOf, resolveTargets, runRows, type ImageInput } from '../explain/toolkit.ts';
import type { ExplainRequest, ExplainResult } from '../explain/types.ts';
import { blockParams, checkRunsOn, methodInfo, type CamParams, type Method, type MethodOf } from '../methods.ts';
import type { RunControl } from '../types.ts';
import { activationsOf, rowsPerRun, type ActivationMemo, type Activations, type CamRun } from './activations.ts';
import { accumulate, accumulator, augmentInto, AUG_SMOOTH, averaged, identityIndex, IDENTITY, type Augmentation } from './augment.ts';
import { isGradientFormula, type ActivationJob, type ActivationVariant, type CamOptions, type CamVariant, type GradientFormula } from './formula.ts';
import { gradientCam } from './gradient.ts';
import { finishCam } from './maps.ts';

export type CamMethod = MethodOf<'CAM'>;

function variantOf(m: CamMethod): CamVariant {
  return methodInfo(m).cam!;
}

/** Runs one CAM method on one request. */
export async function explainCam(ctx: EngineContext, method: CamMethod, req: ExplainRequest, ctl: RunControl, opts: CamOptions = {}): Promise<ExplainResult> {
  return (await explainCamGroup(ctx, [method], req, ctl, opts))[0];
}

/**
 * Several CAM methods on one request (same image, model, layer, classes and parameters): the image is
 * decoded once, the activations come from one forward pass per augmentation, and every gradient
 * variant is formed from one backward run — they differ only in how the channels are weighted.
 * Results are in `methods` order, each the same as the method run alone.
 */
export async function explainCamGroup(ctx: EngineContext, methods: readonly CamMethod[], req: ExplainRequest, ctl: RunControl, opts: CamOptions = {}): Promise<ExplainResult[]> {
  const t0 = performance.now();
  const p = blockParams(req.params, 'cam');
  const img = await loadImage(req, ctl);
  const tImage = performance.now();
  const augs = p.augSmooth ? AUG_SMOOTH : IDENTITY;
  const memo = new Map<string, Promise<Activations>>();
  const activations: ActivationMemo = (layer) => {
    let a = memo.get(layer);
    if (!a) memo.set(layer, (a = activationsOf(ctx, req, img, layer, augs, p.batchSize, ctl)));
    return a;
  };
  const gradient = methods.filter((m) => isGradientFormula(variantOf(m)));
  const gradRuns = new Map<CamMethod, CamRun>();
  if (gradient.length) {
    const facts = await ctx.models.modelFacts(req.model);
    checkRunsOn(gradient, facts.quantized);
    const layer = resolveLayer(facts, p.targetLayer, 'gradient');
    const formulas = gradient.map((m) => variantOf(m) as GradientFormula);
    const runs = await gradientCam(ctx, formulas, req, facts, layer, img, p, augs, ctl, activations);
    gradient.forEach((m, i) => gradRuns.set(m, runs[i]));
  }
  const runs: CamRun[] = [];
  for (const method of methods) {
    const v = variantOf(method);
    runs.push(isGradientFormula(v) ? gradRuns.get(method)! : await activationCam(ctx, v, req, img, p, augs, ctl, opts, activations));
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
        eigenSmooth: p.eigenSmooth,
        ...run.summary,
        ...shared,
        timingsMs: { image: round(tImage - t0), total: round(performance.now() - t0) },
      },
    };
  });
}

const round = (x: number) => Math.round(x * 10) / 10;

/** A gradient-free variant on the target layer's activations: the job it gets, and its maps finished and aug-averaged. */
async function activationCam(
  ctx: EngineContext,
  variant: ActivationVariant,
  req: ExplainRequest,
  img: ImageInput,
  p: CamParams,
  augs: readonly Augmentation[],
  ctl: RunControl,
  opts: CamOptions,
  activations: ActivationMemo,
): Promise<CamRun> {
  const model = req.model;
  const facts = await ctx.models.modelFacts(model);
  const layer = resolveLayer(facts, p.targetLayer, 'activation');
  const { acts, logits, K, h, w, activationName } = await activations(layer);
  const id = identityIndex(augs);
  const probs = probabilitiesOf(logits[id], model);
  const classes = resolveTargets(req.params.target, probs);
  const { width: W, height: H, per, spec } = img;
  const acc = accumulator(classes.length, W * H);
  const job: ActivationJob = {
    acts,
    K,
    h,
    w,
    H,
    W,
    layout: spec.layout,
    classes,
    identity: id,
    eigenSmooth: p.eigenSmooth,
    options: opts,
    input: (a) => {
      const x = new Float32Array(per);
      augmentInto(img, augs[a], x, 0);
      return x;
    },
    forward: async () => {
      const fwd = await forwardSession(ctx.sessions, model);
      return {
        batch: rowsPerRun(p.batchSize, fixedBatch(fwd, facts.inputName)),
        scores: async (inputs, n) => {
          const out = await runRows(fwd, spec, facts.inputName, inputs, n, [facts.outputName]);
          const data = floatData(out[facts.outputName], facts.outputName);
          return { data, classes: data.length / out[facts.outputName].dims[0] };
        },
      };
    },
    emit: (a, ci, cam) => {
      const res = finishCam(cam, h, w, H, W);
      if (ci !== 'every') return accumulate(acc, ci, augs[a], res, H, W);
      classes.forEach((_, c) => accumulate(acc, c, augs[a], c === classes.length - 1 ? res : { map: res.map.slice(), rawMax: res.rawMax }, H, W));
    },
    checkAborted: () => throwIfAborted(ctl.signal),
    progress: (stage, done, total) => ctl.onProgress?.({ stage, done, total }),
  };
  const summary = await variant.run(job);
  return {
    classes,
    probs,
    scores: Float64Array.from(classes, (c) => logits[id][c]),
    maps: averaged(acc, augs.length),
    rawMax: acc.rawMax,
    layer,
    activationShape: [1, K, h, w],
    summary: { forwardPasses: augs.length, ...summary, activationTensor: activationName },
  };
}
