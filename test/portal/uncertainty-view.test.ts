// The portal's reading of result.uncertainty / result.adaptive (client/portal/src/uncertainty-view.ts)
// on what the engine writes (summarizeUncertainty over a real fit's distribution).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adaptiveOf, barScale, errorBars, stabilityText, uncertaintyOf } from '../../client/portal/src/uncertainty-view.ts';
import { gaussianStream } from '../../src/engine/random.ts';
import { summarizeUncertainty, WeightDistribution } from '../../src/engine/perturb/uncertainty.ts';

const values = Float64Array.of(0.1, -0.5, 0.3, 0.02, -0.2, 0.25);
const cov = Float64Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? 0.01 * 0.01 : 0));
const stored = JSON.parse(JSON.stringify({ uncertainty: summarizeUncertainty([new WeightDistribution(3, values, cov, 2, gaussianStream(1))], 2, 812.4), adaptive: { confidence: 0.95, topK: 2, samplesUsed: 400, maxSamples: 1000, stopReason: 'STABLE', checks: [], bookkeepingMs: 1 } }));

test('the portal reads the stored uncertainty and says how stable the top-k set is and why sampling stopped', () => {
  const u = uncertaintyOf(stored)!;
  assert.equal(u.classes.length, 1);
  assert.equal(u.classes[0].classIndex, 3);
  assert.equal(stabilityText(u, u.classes[0], adaptiveOf(stored)), 'top-2 stability 100% · 812 effective samples · stopped stable (≥ 95%) at 400 of 1000 samples');
  assert.equal(stabilityText(u, u.classes[0], { confidence: 0.9, samplesUsed: 1000, maxSamples: 1000, stopReason: 'MAX_SAMPLES' }), 'top-2 stability 100% · 812 effective samples · not stable at 90% within 1000 samples');
  const gain = adaptiveOf({ adaptive: { ...stored.adaptive, samplesUsed: 288, stopReason: 'NO_EXPECTED_GAIN' } });
  assert.equal(gain?.stopReason, 'NO_EXPECTED_GAIN');
  assert.equal(stabilityText(u, u.classes[0], gain), 'top-2 stability 100% · 812 effective samples · stopped at 288 of 1000 samples: more would hardly change the top set');
  assert.equal(uncertaintyOf({ samplesUsed: 10 }), null, 'results without uncertainty show nothing');
  assert.equal(uncertaintyOf(null), null);
  assert.equal(adaptiveOf({ uncertainty: stored.uncertainty }), null);
});

test('error bars: the largest |weights| first with their intervals, all inside the drawing', () => {
  const c = uncertaintyOf(stored)!.classes[0];
  const bars = errorBars(c, 4);
  assert.deepEqual(bars.map((b) => b.segment), [1, 2, 5, 4]);
  assert.deepEqual(bars.map((b) => b.inTop), [true, true, false, false]);
  for (const b of bars) assert.ok(b.lower < b.weight && b.weight < b.upper);
  const x = barScale(bars, 100);
  for (const b of bars) for (const v of [b.lower, b.upper, b.weight, 0]) assert.ok(x(v) >= -1e-9 && x(v) <= 100 + 1e-9);
  assert.ok(x(-0.5) < x(0) && x(0) < x(0.3));
});
