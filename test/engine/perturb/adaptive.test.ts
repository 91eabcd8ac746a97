// Adaptive sampling and the reported uncertainty end to end on the demo model, whose true
// attribution is known: class "red" depends only on the red square, which SLIC_OWN puts in one
// segment, so that segment is the true top-1 and every other segment's true weight is 0.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ExplainResult } from '../../../src/engine/explain/types.ts';
import { DEFAULT_GROWTH, type AdaptiveRecord } from '../../../src/engine/perturb/adaptive.ts';
import { limeGrowth, type MaskDesign } from '../../../src/engine/perturb/lime.ts';
import { createPerturbExplainers } from '../../../src/engine/perturb/index.ts';
import type { Uncertainty } from '../../../src/engine/perturb/uncertainty.ts';
import type { Progress } from '../../../src/engine/types.ts';
import { demoModel, fileSessions, request } from '../fixtures.ts';
import { redSquare } from './helpers.ts';

const sessions = fileSessions();
const ex = createPerturbExplainers({ sessions });
const GRAY = { kind: 'COLOR', rgb: [128, 128, 128] };
const SLIC_OWN = { algorithm: 'SLIC', nSegments: 25, compactness: 10, sigma: 1 };
const RED = 1;

let image: Buffer;
async function img(): Promise<Buffer> {
  image ??= await redSquare(40, 40, 40);
  return image;
}

const lime = async (lime: Record<string, unknown>, seed = 1, onProgress?: (p: Progress) => void) =>
  ex.explainLime(request(demoModel(), await img(), 'LIME', { target: { kind: 'CLASSES', classes: [RED] }, lime: { hide: GRAY, segmentation: SLIC_OWN, ...lime } }, seed), { onProgress });
const uncertaintyOf = (r: ExplainResult) => r.summary.uncertainty as Uncertainty;
const adaptiveOf = (r: ExplainResult) => r.summary.adaptive as AdaptiveRecord;
const topSegment = (r: ExplainResult) => {
  const w = r.segments!.weights[0].values;
  return [...w.keys()].sort((a, b) => Math.abs(w[b]) - Math.abs(w[a]))[0];
};

test('adaptive LIME stops at once on an easy question (the top segment) and spends the budget on a hard one (the order of zeros)', async () => {
  const seen: Progress[] = [];
  const easy = await lime({ numSamples: 400, adaptive: true, stabilityTopK: 1 }, 1, (p) => seen.push(p));
  const hard = await lime({ numSamples: 300, adaptive: true, stabilityTopK: 3 });
  const e = adaptiveOf(easy);
  const h = adaptiveOf(hard);
  assert.equal(e.stopReason, 'STABLE');
  assert.ok(e.samplesUsed < 400 && e.samplesUsed === easy.summary.samplesUsed, `easy used ${e.samplesUsed}`);
  assert.ok(e.checks.at(-1)!.stability >= 0.95 && uncertaintyOf(easy).stability >= 0.95);
  // Past the red square every true weight is 0: their order is noise, and the run says so.
  assert.equal(h.stopReason, 'MAX_SAMPLES');
  assert.equal(h.samplesUsed, 300);
  assert.ok(uncertaintyOf(hard).stability < 0.95, `hard stability ${uncertaintyOf(hard).stability}`);
  assert.ok(h.checks.length >= 2 && h.checks.every((c) => c.stability < 0.95));
  // Progress carries the stability of each check, and the total is the expected stopping point.
  const withStability = seen.filter((p) => p.stage === 'sample' && p.stability !== undefined);
  assert.ok(withStability.length >= 1);
  assert.equal(withStability.at(-1)!.total, e.samplesUsed);
});

test('adaptive LIME: the samples are a prefix of the plain run, and results are reproducible bit for bit', async () => {
  const a = await lime({ numSamples: 400, adaptive: true, stabilityTopK: 1 }, 5);
  const b = await lime({ numSamples: 400, adaptive: true, stabilityTopK: 1 }, 5);
  assert.deepEqual(b.segments!.weights, a.segments!.weights);
  assert.deepEqual(uncertaintyOf(b), uncertaintyOf(a));
  assert.deepEqual(adaptiveOf(b).checks, adaptiveOf(a).checks);
  const plain = await lime({ numSamples: adaptiveOf(a).samplesUsed, stabilityTopK: 1 }, 5);
  assert.deepEqual(plain.segments!.weights, a.segments!.weights);
  assert.deepEqual(uncertaintyOf(plain), uncertaintyOf(a));
  assert.equal(plain.summary.adaptive, undefined);
});

test('ORTHOGONAL masks end to end: adaptive LIME finds the square and stops early, on a prefix of the plain ORTHOGONAL run', async () => {
  const design = { maskDesign: 'ORTHOGONAL', stabilityTopK: 1 };
  const a = await lime({ ...design, numSamples: 400, adaptive: true }, 3);
  const rec = adaptiveOf(a);
  assert.equal(rec.stopReason, 'STABLE');
  assert.ok(rec.samplesUsed < 400, `used ${rec.samplesUsed}`);
  const plain = await lime({ ...design, numSamples: rec.samplesUsed }, 3);
  assert.deepEqual(plain.segments!.weights, a.segments!.weights);
  assert.deepEqual(uncertaintyOf(plain), uncertaintyOf(a));
  const reference = await lime({ numSamples: 400, stabilityTopK: 1 }, 3);
  assert.equal(topSegment(a), topSegment(reference));
  assert.ok(uncertaintyOf(a).classes[0].lower[topSegment(a)] > 0.3);
});

test("adaptive LIME's checks are at most limeGrowth(design) × apart: 1.25× with ORTHOGONAL masks, 1.5× with plain ones", async () => {
  // Past the square the top-3 never settles, so each run checks up to its budget at the largest steps allowed.
  const steps = async (maskDesign: MaskDesign) => {
    const r = await lime({ maskDesign, numSamples: 600, batchSize: 10, adaptive: true, stabilityTopK: 3 });
    const g = r.summary.batchSize as number;
    const n = adaptiveOf(r).checks.map((c) => c.samples);
    assert.equal(n.at(-1), 600);
    for (let i = 1; i < n.length; i++) assert.ok(n[i] <= Math.ceil(Math.floor(limeGrowth(maskDesign) * n[i - 1]) / g) * g, `${maskDesign} checks ${n}`);
    return n;
  };
  assert.equal(limeGrowth('LIME'), DEFAULT_GROWTH);
  const orthogonal = await steps('ORTHOGONAL');
  const plain = await steps('LIME');
  assert.ok(orthogonal.length > plain.length, `orthogonal checks ${orthogonal}, plain ${plain}`);
});

test('LIME on the demo model: the square ranks first with a tight interval, and the 95% intervals of the zero-weight segments cover 0', async () => {
  let covered = 0;
  let total = 0;
  for (const seed of [1, 2]) {
    const r = await lime({ numSamples: 250 }, seed);
    const u = uncertaintyOf(r).classes[0];
    const sq = topSegment(r);
    const w = r.segments!.weights[0].values;
    assert.ok(u.lower[sq] > 0.3, `the square's interval [${u.lower[sq]}, ${u.upper[sq]}] is far from 0`);
    assert.ok(uncertaintyOf(r).effectiveSampleSize > 100 && uncertaintyOf(r).effectiveSampleSize <= 250);
    for (let j = 0; j < w.length; j++) {
      if (j === sq) continue;
      total++;
      if (u.lower[j] <= 0 && u.upper[j] >= 0) covered++;
      assert.ok(u.lower[j] <= w[j] && w[j] <= u.upper[j]);
    }
  }
  assert.ok(covered / total >= 0.85, `${covered}/${total} intervals cover 0`);
});

test('adaptive Kernel SHAP records why it stopped; plain Kernel SHAP reports its uncertainty too', async () => {
  const params = { hide: GRAY, segmentation: SLIC_OWN, nsamples: 600, stabilityTopK: 1 };
  const run = async (adaptive: boolean) =>
    ex.explainKernelShap(request(demoModel(), await img(), 'KERNEL_SHAP', { target: { kind: 'CLASSES', classes: [RED] }, kernelShap: { ...params, adaptive } }), {});
  const ad = await run(true);
  const rec = adaptiveOf(ad);
  assert.equal(rec.stopReason, 'STABLE');
  assert.ok(rec.samplesUsed < (ad.summary.nsamples as number));
  assert.equal(ad.summary.samplesUsed, rec.samplesUsed);
  assert.ok(Math.abs(ad.attributions[0].metrics.efficiencyGap) < 1e-9);
  const plain = await run(false);
  assert.equal(plain.summary.adaptive, undefined);
  const u = uncertaintyOf(plain);
  assert.equal(topSegment(plain), topSegment(ad));
  assert.ok(u.stability >= 0.95 && u.classes[0].sd.every((s) => Number.isFinite(s) && s >= 0));
});
