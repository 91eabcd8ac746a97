// Issue 14, case 8: a finished job shows its final progress (samples done = samples used) and the
// parameters the run actually used (the batch size the runner chose, CAM's layer, Kernel SHAP's
// number of samples), not the last throttled progress report and the requested defaults. Progress
// writes are throttled to one an hour here, so only the first report reaches the database and a
// finished job can only show its final counts if they are written with its result.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REQUEST_EXPLANATION } from '../api/operations.js';
import { suiteService } from '../api/suite-service.js';
import { waitUntil } from './support.js';

const STATE = `query($id: ID!) { explanation(id: $id) { status progress stage samplesDone samplesTotal parameters result } }`;

describe('the state of finished jobs', () => {
  const svc = suiteService({ queue: { concurrency: 1, progressIntervalMs: 3_600_000 }, demoImage: 'red-square.png' });

  const run = async (method: string, parameters: object) => {
    const r = await svc.gql(REQUEST_EXPLANATION, { input: { ...svc.demo, method, seed: 5, parameters } });
    const id = r.data.requestExplanation.data?.id;
    assert.ok(id, JSON.stringify(r));
    let e: any;
    await waitUntil(async () => {
      e = (await svc.gql(STATE, { id })).data.explanation;
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.status);
    }, 120_000);
    assert.equal(e.status, 'SUCCEEDED', JSON.stringify(e));
    return e;
  };

  test('LIME: samples done equal the samples used, and the stored batch size is the one the run used', async () => {
    const e = await run('LIME', { lime: { numSamples: 600 } });
    assert.equal(e.progress, 1);
    assert.equal(e.result.samplesUsed, 600);
    assert.equal(e.samplesDone, e.result.samplesUsed);
    assert.equal(e.samplesTotal, 600);
    assert.equal(e.parameters.lime.batchSize, e.result.batchSize);
    assert.equal(e.parameters.lime.numSamples, 600);
  });

  test('Kernel SHAP and Grad-CAM: the resolved sample count and target layer are stored', async () => {
    const shap = await run('KERNEL_SHAP', { kernelShap: { segmentation: { algorithm: 'SLIC', nSegments: 8 } } });
    assert.equal(shap.parameters.kernelShap.nsamples, shap.result.nsamples);
    assert.ok(shap.result.segments > 1 && shap.parameters.kernelShap.nsamples > 0, JSON.stringify(shap.result));
    assert.equal(shap.samplesDone, shap.result.samplesUsed);
    assert.equal(shap.samplesTotal, shap.samplesDone, JSON.stringify(shap));
    const cam = await run('GRAD_CAM', {});
    assert.equal(cam.parameters.cam.targetLayer, cam.result.targetLayer);
    assert.ok(cam.parameters.cam.targetLayer, 'the default layer is named');
    assert.equal(cam.parameters.cam.batchSize, cam.result.batchSize);
    assert.equal(cam.progress, 1);
    assert.ok(cam.samplesTotal >= 1 && cam.samplesDone === cam.samplesTotal, JSON.stringify(cam));
  });
});
