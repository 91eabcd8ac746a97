// Known-answer tests on the demo model: class "red" depends only on red pixels, so the superpixel /
// region covering a drawn red square must rank first for every perturbation method.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../../../src/engine/errors.ts';
import type { ExplainResult } from '../../../src/engine/explain/types.ts';
import { createPerturbExplainers } from '../../../src/engine/perturb/index.ts';
import type { Progress } from '../../../src/engine/types.ts';
import { demoModel, fileSessions, request } from '../fixtures.ts';
import { redSquare } from './helpers.ts';

const sessions = fileSessions();
const ex = createPerturbExplainers({ sessions });
const SQ = { x: 40, y: 40, size: 40 };
const GRAY = { kind: 'COLOR', rgb: [128, 128, 128] };
const SLIC_OWN = { algorithm: 'SLIC', nSegments: 25, compactness: 10, sigma: 1 };
const RED = 1;

let image: Buffer;
async function img(): Promise<Buffer> {
  image ??= await redSquare(SQ.size, SQ.x, SQ.y);
  return image;
}

const inSquare = (i: number) => {
  const x = i % 224;
  const y = (i - x) / 224;
  return x >= SQ.x && x < SQ.x + SQ.size && y >= SQ.y && y < SQ.y + SQ.size;
};

/** The top segment for `red` lies inside the square, and the square's pixels all belong to top-ranked segments. */
function assertSquareRanksFirst(r: ExplainResult): void {
  const s = r.segments!;
  const w = s.weights.find((x) => x.classIndex === RED)!.values;
  const order = [...w.keys()].sort((a, b) => w[b] - w[a]);
  const inside = new Float64Array(s.count);
  const total = new Float64Array(s.count);
  s.segments.forEach((l, i) => {
    total[l]++;
    if (inSquare(i)) inside[l]++;
  });
  const squareSegs = [...inside.keys()].filter((l) => inside[l] > 0);
  assert.ok(inside[order[0]] / total[order[0]] > 0.9, `top segment ${order[0]} is mostly inside the square`);
  // Every segment mostly inside the square ranks above every segment outside it.
  const worstInside = Math.min(...squareSegs.filter((l) => inside[l] / total[l] > 0.9).map((l) => w[l]));
  const bestOutside = Math.max(...[...w.keys()].filter((l) => inside[l] === 0).map((l) => w[l]));
  assert.ok(worstInside > bestOutside, `inside ${worstInside} > outside ${bestOutside}`);
  assert.ok(w[order[0]] > 0.05, `top weight ${w[order[0]]} is substantial`);
}

test('LIME: the red square segment ranks first (SLIC where the square is one segment, and quickshift defaults)', async () => {
  for (const segmentation of [SLIC_OWN, { algorithm: 'QUICKSHIFT' }]) {
    const r = await ex.explainLime(request(demoModel(), await img(), 'LIME', { target: { kind: 'CLASSES', classes: [RED] }, lime: { numSamples: 200, hide: GRAY, segmentation } }), {});
    assert.equal(r.attributions[0].classIndex, RED);
    assertSquareRanksFirst(r);
    const m = r.attributions[0].metrics;
    assert.ok(m.score > 0.5 && m.score <= 1, `R² ${m.score}`);
    assert.equal(r.summary.samplesUsed, 200);
  }
});

test('LIME feature selections all put the square first', async () => {
  for (const featureSelection of ['FORWARD_SELECTION', 'HIGHEST_WEIGHTS', 'LASSO_PATH', 'NONE', 'AUTO']) {
    const r = await ex.explainLime(
      request(demoModel(), await img(), 'LIME', { target: { kind: 'CLASSES', classes: [RED] }, lime: { numSamples: 100, numFeatures: 3, hide: GRAY, segmentation: SLIC_OWN, featureSelection } }),
      {},
    );
    const w = r.segments!.weights[0].values;
    const nonzero = [...w].filter((v) => v !== 0).length;
    if (featureSelection !== 'NONE') assert.ok(nonzero <= 3, `${featureSelection}: ${nonzero} features`);
    assertSquareRanksFirst(r);
  }
});

test('Kernel SHAP: square first, efficiency exact, base value = f(all hidden)', async () => {
  for (const segmentation of [SLIC_OWN, { algorithm: 'QUICKSHIFT' }]) {
    const r = await ex.explainKernelShap(request(demoModel(), await img(), 'KERNEL_SHAP', { target: { kind: 'TOP', k: 2 }, kernelShap: { nsamples: 300, hide: GRAY, segmentation } }), {});
    assert.deepEqual(r.attributions.map((a) => a.classIndex).sort(), [0, RED]);
    assertSquareRanksFirst(r);
    for (const a of r.attributions) {
      const gap = a.metrics.efficiencyGap;
      const delta = a.metrics.fx - a.metrics.baseValue;
      assert.ok(Math.abs(gap) <= 1e-4 * Math.max(Math.abs(delta), 1e-3), `gap ${gap} for class ${a.classIndex}`);
      const values = r.segments!.weights.find((x) => x.classIndex === a.classIndex)!.values;
      const total = values.reduce((s, v) => s + v, 0);
      assert.ok(Math.abs(total - delta) <= 1e-6);
    }
  }
});

test('Partition SHAP: the square carries the red attribution, efficiency holds for every masker', async () => {
  for (const masker of [{ kind: 'BLUR', kernel: 128 }, GRAY]) {
    const r = await ex.explainPartitionShap(request(demoModel(), await img(), 'PARTITION_SHAP', { target: { kind: 'TOP', k: 2 }, partitionShap: { maxEvals: 300, masker } }), {});
    const red = r.attributions.find((a) => a.classIndex === RED)!;
    let inside = 0;
    let outside = 0;
    let best = -Infinity;
    let arg = -1;
    red.map.forEach((v, i) => {
      if (inSquare(i)) inside += v;
      else outside += v;
      if (v > best) [best, arg] = [v, i];
    });
    assert.ok(inSquare(arg), `the strongest pixel (${arg % 224}, ${Math.floor(arg / 224)}) is in the square`);
    assert.ok(inside / (40 * 40) > 10 * Math.abs(outside / (224 * 224 - 1600)), `per-pixel mass inside ${inside} vs outside ${outside}`);
    for (const a of r.attributions) {
      const delta = a.metrics.fx - a.metrics.baseValue;
      let sum = 0;
      for (const v of a.map) sum += v;
      assert.ok(Math.abs(sum - delta) <= 1e-4 * Math.abs(delta), `sum ${sum} vs f(x) − f(masked) ${delta}`);
    }
    assert.equal(r.summary.evaluations, 300);
  }
  // Inpainting on a small budget: still efficient.
  const r = await ex.explainPartitionShap(request(demoModel(), await img(), 'PARTITION_SHAP', { target: { kind: 'CLASSES', classes: [RED] }, partitionShap: { maxEvals: 40, masker: { kind: 'INPAINT_TELEA' } } }), {});
  const a = r.attributions[0];
  const delta = a.metrics.fx - a.metrics.baseValue;
  assert.ok(Math.abs(a.metrics.efficiencyGap) <= 1e-4 * Math.abs(delta));
});

test('a seed reproduces every method bit for bit', async () => {
  const cases = [
    ['LIME', { lime: { numSamples: 60, segmentation: { algorithm: 'QUICKSHIFT' } } }],
    ['KERNEL_SHAP', { kernelShap: { nsamples: 60, hide: GRAY } }],
    ['PARTITION_SHAP', { partitionShap: { maxEvals: 60 } }],
  ] as const;
  for (const [method, params] of cases) {
    const run = (seed: number) => {
      const req = request(demoModel(), image, method, { target: { kind: 'TOP', k: 2 }, ...params }, seed);
      return method === 'LIME' ? ex.explainLime(req, {}) : method === 'KERNEL_SHAP' ? ex.explainKernelShap(req, {}) : ex.explainPartitionShap(req, {});
    };
    const [a, b, c] = [await run(11), await run(11), await run(12)];
    for (let j = 0; j < a.attributions.length; j++) {
      assert.deepEqual(Buffer.from(a.attributions[j].map.buffer), Buffer.from(b.attributions[j].map.buffer), `${method} is deterministic`);
    }
    // (Kernel SHAP on this nearly additive game gives the same values from any sample set.)
    if (method === 'LIME') {
      assert.notDeepEqual(Buffer.from(a.attributions[0].map.buffer), Buffer.from(c.attributions[0].map.buffer), `${method}: another seed samples differently`);
    }
  }
});

test('cancellation stops within one batch', async () => {
  const model = demoModel();
  const session = await sessions.get(model.key, () => model.path);
  const realRun = session.run.bind(session);
  let runs = 0;
  (session as { run: typeof session.run }).run = ((...args: Parameters<typeof session.run>) => {
    runs++;
    return realRun(...args);
  }) as typeof session.run;
  try {
    for (const method of ['LIME', 'KERNEL_SHAP', 'PARTITION_SHAP'] as const) {
      const ac = new AbortController();
      let runsAtAbort = -1;
      const onProgress = (p: Progress) => {
        if (p.stage === 'sample' && p.done > 0 && runsAtAbort < 0) {
          runsAtAbort = runs;
          ac.abort();
        }
      };
      const params = { target: { kind: 'TOP', k: 1 }, lime: { numSamples: 1000, batchSize: 16 }, kernelShap: { nsamples: 1000, batchSize: 16 }, partitionShap: { maxEvals: 1000, batchSize: 16 } };
      const key = method === 'LIME' ? 'lime' : method === 'KERNEL_SHAP' ? 'kernelShap' : 'partitionShap';
      const req = request(model, image, method, { target: params.target, [key]: params[key] });
      const fn = method === 'LIME' ? ex.explainLime : method === 'KERNEL_SHAP' ? ex.explainKernelShap : ex.explainPartitionShap;
      await assert.rejects(fn(req, { signal: ac.signal, onProgress }), (e: unknown) => e instanceof EngineError && e.code === 'ABORTED');
      assert.ok(runsAtAbort > 0, `${method} reported sampling progress`);
      assert.ok(runs - runsAtAbort <= 1, `${method}: ${runs - runsAtAbort} runs after the abort`);
      runs = 0;
    }
  } finally {
    (session as { run: typeof session.run }).run = realRun;
  }
});

test('progress reports segment, sample and fit stages with a monotone count', async () => {
  const seen: Progress[] = [];
  await ex.explainLime(request(demoModel(), await img(), 'LIME', { target: { kind: 'TOP', k: 1 }, lime: { numSamples: 100, segmentation: SLIC_OWN } }), { onProgress: (p) => seen.push(p) });
  assert.deepEqual([...new Set(seen.map((p) => p.stage))], ['segment', 'sample', 'fit']);
  const sample = seen.filter((p) => p.stage === 'sample');
  for (let i = 1; i < sample.length; i++) assert.ok(sample[i].done > sample[i - 1].done);
  assert.equal(sample.at(-1)!.done, 100);
});

test('adaptive LIME and Kernel SHAP stop early once the top segment is stable', async () => {
  const lime = await ex.explainLime(
    request(demoModel(), await img(), 'LIME', { target: { kind: 'CLASSES', classes: [RED] }, lime: { numSamples: 2000, hide: GRAY, segmentation: SLIC_OWN, adaptive: true, stabilityTopK: 1 } }),
    {},
  );
  assert.ok((lime.summary.stability as number) >= 0.95, `stability ${lime.summary.stability}`);
  assert.ok((lime.summary.samplesUsed as number) < 2000, `LIME used ${lime.summary.samplesUsed}`);
  assertSquareRanksFirst(lime);
  const ks = await ex.explainKernelShap(
    request(demoModel(), await img(), 'KERNEL_SHAP', { target: { kind: 'CLASSES', classes: [RED] }, kernelShap: { hide: GRAY, segmentation: SLIC_OWN, adaptive: true, stabilityTopK: 1 } }),
    {},
  );
  assert.ok((ks.summary.stability as number) >= 0.95);
  assert.ok((ks.summary.samplesUsed as number) < (ks.summary.nsamples as number));
  assertSquareRanksFirst(ks);
  assert.ok(Math.abs(ks.attributions[0].metrics.efficiencyGap) < 1e-9);
});
