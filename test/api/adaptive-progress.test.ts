// Issue 15: progress under adaptive sampling, read from the real service's subscription. While an
// adaptive LIME / Kernel SHAP run samples, each check's stability is shown as it grows and the
// expected total is the check's expected stopping point (so the progress fraction, and the ETA drawn
// from it, follow it); when the run stops, the shown samples are the samples it used. The values
// asserted come from the run's own adaptive record, so the stream cannot show made-up numbers and pass.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explainAndWatch } from './explain-and-watch.js';
import { suiteService } from './suite-service.js';

const RESULT = `query($id: ID!) { explanation(id: $id) {
  status samplesDone samplesTotal stability progress result
  uncertainty { stability }
  adaptiveSampling { rule gainTolerance samplesUsed maxSamples stopReason checks { samples stability expectedGain expectedSamples } }
} }`;
const SLIC = { algorithm: 'SLIC', nSegments: 25, compactness: 10, sigma: 1 };
const GRAY = { kind: 'COLOR', rgb: [128, 128, 128] };
const BLUE = 3;
const MAX = 1000;
/** The sampling stage's share of the job's progress bar ends here (jobs/runner.ts MAIN_SPAN). */
const SAMPLING_ENDS = 0.9;

/** Consecutive repeats removed. */
const runs = (xs: number[]) => xs.filter((x, i) => i === 0 || x !== xs[i - 1]);

describe('progress of adaptive runs over the API (subscription)', () => {
  // Every progress report is written, so the stream shows each check.
  const svc = suiteService({ queue: { concurrency: 1, progressIntervalMs: 0 }, demoImage: 'blue-and-yellow.png' });

  // The blue square's top-3 segments among the rest: a few checks before the run settles.
  const cases: [string, string, object][] = [
    ['LIME', 'STABILITY', { lime: { numSamples: MAX, stoppingRule: 'STABILITY' } }],
    ['LIME', 'EXPECTED_GAIN', { lime: { numSamples: MAX, stoppingRule: 'EXPECTED_GAIN', gainTolerance: 0.25 } }],
    ['KERNEL_SHAP', 'STABILITY', { kernelShap: { nsamples: MAX, stoppingRule: 'STABILITY' } }],
    ['KERNEL_SHAP', 'EXPECTED_GAIN', { kernelShap: { nsamples: MAX, stoppingRule: 'EXPECTED_GAIN', gainTolerance: 0.05 } }],
  ];
  for (const [method, rule, parameters] of cases) {
    test(`${method}, ${rule}: the stability grows to the final one, the expected total moves to the stopping point, the final progress is the samples used`, async () => {
      const [block, p] = Object.entries(parameters)[0];
      const input = { ...svc.demo, method, seed: 3, target: { classIndices: [BLUE] }, parameters: { [block]: { ...p, segmentation: SLIC, hide: GRAY, adaptive: true, stabilityTopK: 3 } } };
      const { e, events } = await explainAndWatch(svc, input, RESULT);
      const a = e.adaptiveSampling;
      assert.equal(a.rule, rule);
      assert.equal(a.maxSamples, MAX);
      assert.ok(a.checks.length >= 2, `a few checks: ${JSON.stringify(a.checks)}`);
      const show = events.map((x) => `${x.stage} ${x.samplesDone}/${x.samplesTotal} ${x.stability ?? '-'}`).join(' | ');

      const sampling = events.filter((x) => x.status === 'RUNNING' && x.stage === 'sample');
      for (let i = 0; i < sampling.length; i++) {
        const x = sampling[i];
        assert.ok(x.samplesDone <= x.samplesTotal, `never more samples done than expected: ${show}`);
        assert.ok(i === 0 || x.samplesDone >= sampling[i - 1].samplesDone, show);
        // The bar is the samples done over the expected total, so the ETA drawn from it follows the stopping point.
        assert.ok(x.progress >= 0.05 + (SAMPLING_ENDS - 0.05) * (x.samplesDone / x.samplesTotal) - 1e-9, `progress ${x.progress} at ${x.samplesDone}/${x.samplesTotal}`);
      }
      // Until the first check there is no estimate: the budget is the total and no stability is shown.
      const first = sampling.findIndex((x) => x.stability !== null);
      assert.ok(first > 0, show);
      assert.ok(sampling.slice(0, first).every((x) => x.samplesTotal === MAX && x.stability === null), show);

      // Each check is shown: its stability, at its samples, with its expected stopping point as the total.
      for (const c of a.checks) {
        assert.ok(
          sampling.some((x) => x.samplesDone === c.samples && x.stability === c.stability && x.samplesTotal === c.expectedSamples),
          `check ${JSON.stringify(c)} in ${show}`,
        );
      }
      // The stabilities shown are the checks' own, in order, and grow to the final reported one.
      const live = sampling.slice(first).map((x) => x.stability as number);
      assert.deepEqual(runs(live), runs(a.checks.map((c: any) => c.stability)), show);
      assert.equal(e.stability, a.checks.at(-1).stability);
      assert.equal(e.stability, e.uncertainty.stability);
      assert.ok(live.every((s) => s <= e.stability) && live[0] < e.stability, `${live} grow to ${e.stability}`);
      if (a.stopReason === 'STABLE') assert.ok(e.stability >= 0.95 && a.checks.slice(0, -1).every((c: any) => c.stability < 0.95));

      // The expected total starts at the budget and ends at the stopping point; sampling's part of the bar is then complete.
      const last = sampling.at(-1);
      assert.equal(last.samplesDone, a.samplesUsed, show);
      assert.equal(last.samplesTotal, a.samplesUsed, show);
      assert.ok(Math.abs(last.progress - SAMPLING_ENDS) < 1e-9, `progress ${last.progress} when sampling stopped at ${a.samplesUsed}`);
      if (a.stopReason !== 'MAX_SAMPLES') assert.ok(a.samplesUsed < MAX && a.checks.at(-1).expectedSamples === a.samplesUsed);

      // The final state: samples done = samples total = samples used.
      const done = events.at(-1);
      assert.equal(done.status, 'SUCCEEDED');
      for (const x of [done, e]) {
        assert.equal(x.samplesDone, a.samplesUsed);
        assert.equal(x.samplesTotal, a.samplesUsed);
      }
      assert.equal(e.result.samplesUsed, a.samplesUsed);
      assert.equal(e.progress, 1);
    });
  }
});
