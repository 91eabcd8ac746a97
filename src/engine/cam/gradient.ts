// The gradient CAM variants of one group from one backward run: one forward pass per augmentation
// through the activation model gives the prediction (for TOP-k) and the activations; the gradients
// then only need the tail layer → logits (the classifier head) differentiated, for every class at
// once. When the tail is not self-contained, the full backward model reruns the forward with the
// seeds. Each variant's formula turns (A, G) into its map.
import { EngineError, throwIfAborted } from '../errors.ts';
import type { EngineContext } from '../explain/context.ts';
import type { ModelFacts } from '../explain/model-facts.ts';
import { probabilitiesOf, resolveTargets, type ImageInput } from '../explain/toolkit.ts';
import type { ExplainRequest } from '../explain/types.ts';
import { oneHotSeed } from '../grad/index.ts';
import type { CamParams } from '../methods.ts';
import type { RunControl } from '../types.ts';
import { checkActivation, rowsPerRun, type ActivationMemo, type CamRun } from './activations.ts';
import { accumulate, accumulator, augmentInto, averaged, identityIndex, type Augmentation } from './augment.ts';
import { camFromElements, camFromWeights } from './combine.ts';
import type { GradientFormula } from './formula.ts';
import { finishCam } from './maps.ts';

const round = (x: number) => Math.round(x * 10) / 10;

/** One CamRun per formula, in order. */
export async function gradientCam(
  ctx: EngineContext,
  formulas: readonly GradientFormula[],
  req: ExplainRequest,
  facts: ModelFacts,
  layer: string,
  img: ImageInput,
  p: CamParams,
  augs: readonly Augmentation[],
  ctl: RunControl,
  activations: ActivationMemo,
): Promise<CamRun[]> {
  const model = req.model;
  const tFwd = performance.now();
  const first = await activations(layer);
  const id = identityIndex(augs);
  const probs = probabilitiesOf(first.logits[id], model);
  const classes = resolveTargets(req.params.target, probs);
  const tail = await ctx.models.tailRunner(model, layer, facts, [1, first.K, first.h, first.w]);
  const runner = tail ?? (await ctx.models.gradientRunner(model, layer, facts));
  throwIfAborted(ctl.signal);
  const tClasses = performance.now();
  const C = runner.numClasses ?? first.logits[id].length;
  const rows: { aug: number; ci: number }[] = [];
  augs.forEach((_, a) => classes.forEach((_, ci) => rows.push({ aug: a, ci })));
  const fixed = tail ? null : facts.fixedBatch;
  const B = rowsPerRun(p.batchSize, fixed);
  const { width: W, height: H, per } = img;
  const accs = formulas.map(() => accumulator(classes.length, W * H));
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
  return accs.map((acc) => ({ classes, probs, scores, maps: averaged(acc, augs.length), rawMax: acc.rawMax, layer, activationShape, summary }));
}
