// Issue 15 through the API: every LIME / Kernel SHAP result carries its uncertainty (typed fields),
// an adaptive run records why it stopped, and the stability streams while it samples.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explainAndWatch } from './explain-and-watch.js';
import { REQUEST_EXPLANATION } from './operations.js';
import { suiteService } from './suite-service.js';

const RESULT = `query($id: ID!) { explanation(id: $id) {
  status samplesDone samplesTotal stability parameters result
  uncertainty { estimator level topK effectiveSampleSize stability classes { classIndex stability topSet features { segment weight sd lower upper } } }
  adaptiveSampling { rule gainTolerance confidence topK samplesUsed maxSamples stopReason checks { samples stability expectedGain expectedSamples } }
} }`;
const SLIC = { algorithm: 'SLIC', nSegments: 25, compactness: 10, sigma: 1 };
const GRAY = { kind: 'COLOR', rgb: [128, 128, 128] };

describe('uncertainty and adaptive sampling over the API', () => {
  // Every progress report is written, so the stream shows each check's stability.
  const svc = suiteService({ queue: { concurrency: 1, progressIntervalMs: 0 }, demoImage: 'red-square.png' });

  const run = (method: string, parameters: object) =>
    explainAndWatch(svc, { ...svc.demo, method, seed: 3, target: { classIndices: [1] }, parameters }, RESULT);

  test('adaptive LIME: stability streams while sampling; the result has intervals, stability, ESS and the stopping record', async () => {
    const { e, events } = await run('LIME', { lime: { numSamples: 800, segmentation: SLIC, hide: GRAY, adaptive: true, stabilityTopK: 1 } });
    const a = e.adaptiveSampling;
    assert.equal(a.stopReason, 'STABLE');
    assert.equal(a.samplesUsed, e.samplesDone);
    assert.ok(a.samplesUsed < 800 && a.maxSamples === 800 && a.confidence === 0.95 && a.topK === 1);
    assert.equal(e.stability, e.uncertainty.stability);
    assert.ok(e.stability >= 0.95);
    assert.equal(e.parameters.lime.confidence, 0.95);
    const [c] = e.uncertainty.classes;
    assert.equal(c.classIndex, 1);
    assert.equal(c.features.length, e.result.segments);
    const top = c.features[c.topSet[0]];
    assert.ok(top.lower > 0 && top.lower <= top.weight && top.weight <= top.upper, JSON.stringify(top));
    assert.ok(e.uncertainty.effectiveSampleSize > 0 && e.uncertainty.effectiveSampleSize <= a.samplesUsed);
    const live = events.filter((x) => x.status === 'RUNNING' && typeof x.stability === 'number');
    assert.ok(live.length >= 1, 'the stability is shown while the run samples');
  });

  test('adaptive LIME with the EXPECTED_GAIN rule and antithetic masks: the record names the rule, its tolerance and why it stopped', async () => {
    const lime = { numSamples: 800, segmentation: SLIC, hide: GRAY, adaptive: true, stabilityTopK: 3, stoppingRule: 'EXPECTED_GAIN', gainTolerance: 0.25, maskDesign: 'ANTITHETIC' };
    const { e } = await run('LIME', { lime });
    const a = e.adaptiveSampling;
    assert.equal(a.rule, 'EXPECTED_GAIN');
    assert.equal(a.gainTolerance, 0.25);
    assert.equal(a.samplesUsed, e.samplesDone);
    assert.equal(e.parameters.lime.maskDesign, 'ANTITHETIC');
    assert.equal(e.parameters.lime.stoppingRule, 'EXPECTED_GAIN');
    const last = a.checks.at(-1);
    assert.equal(last.samples, a.samplesUsed);
    if (a.stopReason === 'NO_EXPECTED_GAIN') assert.ok(last.expectedGain < 0.25 && a.samplesUsed < 800, JSON.stringify(a));
    else if (a.stopReason === 'STABLE') assert.ok(last.stability >= 0.95);
    else assert.equal(a.samplesUsed, 800);
    assert.ok(a.checks.slice(0, -1).every((c: any) => c.expectedGain >= 0.25 && c.stability < 0.95), 'no earlier check met the rule');
    // The red square is the top segment either way.
    const [c] = e.uncertainty.classes;
    const best = c.features.reduce((m: any, f: any) => (Math.abs(f.weight) > Math.abs(m.weight) ? f : m));
    assert.ok(best.lower > 0 && c.topSet.includes(best.segment));
  });

  test('plain Kernel SHAP reports its uncertainty and no adaptive record; out-of-range confidence is refused', async () => {
    const { e } = await run('KERNEL_SHAP', { kernelShap: { nsamples: 300, segmentation: SLIC, hide: GRAY, stabilityTopK: 1 } });
    assert.equal(e.adaptiveSampling, null);
    assert.ok(e.uncertainty.classes[0].features.every((f: any) => f.sd >= 0 && f.lower <= f.upper));
    assert.equal(typeof e.stability, 'number');
    const bad = await svc.gql(REQUEST_EXPLANATION, { input: { ...svc.demo, method: 'LIME', parameters: { lime: { adaptive: true, confidence: 1.5 } } } });
    assert.equal(bad.data.requestExplanation.__typename, 'InvalidArgumentError');
    assert.match(bad.data.requestExplanation.message, /confidence/);
  });
});
