// Gradient SHAP's α design (parameters.gradient.alphaSampling) through the API: each design is stored
// with the explanation and its result shows it was used. On a model registered over the API whose
// output is quadratic in the input (test/support/models.ts), the integrand along the path is linear in
// α, so the designs differ in a way the stored completeness gap Σ attributions − (f(x) − f(b)) shows:
// shap's i.i.d. α misses by a visible share of f(x) − f(b), strata spread far less over seeds, and
// the mirrored designs are exact on every seed. None of this can hold if the option were ignored.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ALPHA_SAMPLINGS, type AlphaSampling } from '../../src/engine/methods.js';
import { waitUntil } from '../jobs/support.js';
import { polynomialModel } from '../support/models.js';
import { startTestService, type TestService } from '../support/service.js';
import { REGISTER_MODEL, REQUEST_EXPLANATION } from './operations.js';

const EXPLANATION = `query($id: ID!) { explanation(id: $id) { status error { code message } seed parameters result } }`;
const SEEDS = [0, 1, 2, 3, 4, 5, 6, 7];

const sd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

describe('Gradient SHAP alphaSampling over the API', () => {
  let svc: TestService;
  let image: string;
  let model: string;
  before(async () => {
    svc = await startTestService({ jobs: true });
    const reg = await svc.upload(REGISTER_MODEL, { input: { name: 'quadratic', file: null } }, { 'input.file': { bytes: polynomialModel('quadratic'), name: 'quadratic.onnx' } });
    model = reg.data?.registerModel?.data?.id;
    assert.ok(model, JSON.stringify(reg));
    const d = (await svc.gql(`{ images { edges { node { id originalName } } } }`)).data;
    image = d.images.edges.find((e: any) => e.node.originalName === 'red-square.png').node.id;
  });
  after(async () => svc?.close());

  /** The stored completeness gaps of class 0 over SEEDS, 20 samples, and f(x) − f(b). */
  const gaps = async (alphaSampling: AlphaSampling | undefined) => {
    const out: number[] = [];
    let delta = NaN;
    for (const seed of SEEDS) {
      const gradient = { samples: 20, ...(alphaSampling ? { alphaSampling } : {}) };
      const r = await svc.gql(REQUEST_EXPLANATION, { input: { image, model, method: 'GRADIENT_SHAP', seed, target: { classIndices: [0] }, parameters: { gradient } } });
      const id = r.data?.requestExplanation?.data?.id;
      assert.ok(id, JSON.stringify(r));
      const e = await waitUntil(async () => {
        const x = (await svc.gql(EXPLANATION, { id })).data.explanation;
        return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(x.status) && x;
      }, 120_000);
      assert.equal(e.status, 'SUCCEEDED', JSON.stringify(e.error));
      assert.equal(e.seed, seed);
      assert.equal(e.parameters.gradient.alphaSampling, alphaSampling ?? 'SHAP', 'the design is stored with the explanation');
      assert.equal(e.result.alphaSampling, alphaSampling ?? 'SHAP', 'and is the one the run used');
      const { index, sumAttributions, outputDelta } = e.result.classes[0];
      assert.equal(index, 0);
      out.push(sumAttributions - outputDelta);
      delta = outputDelta;
    }
    return { gaps: out, delta };
  };

  test('every design is stored and used; the completeness gap over seeds behaves as each design promises', async () => {
    const results = new Map<string, { gaps: number[]; delta: number }>();
    results.set('default', await gaps(undefined));
    for (const mode of ALPHA_SAMPLINGS) results.set(mode, await gaps(mode));
    const line = (m: string) => `${m.padEnd(12)} sd ${sd(results.get(m)!.gaps).toExponential(2)}  gaps ${results.get(m)!.gaps.map((g) => g.toExponential(1)).join(' ')}`;
    console.log(`# quadratic model over the API, f(x) − f(b) = ${results.get('SHAP')!.delta.toFixed(4)}, 20 samples, seeds 0..7\n${[...results.keys()].map((m) => `# ${line(m)}`).join('\n')}`);
    const shap = results.get('SHAP')!;
    // The default is shap's estimator: the same stored numbers as asking for SHAP.
    assert.deepEqual(results.get('default')!.gaps, shap.gaps);
    // shap's α is not exact on this model, else the comparisons below would say nothing.
    assert.ok(sd(shap.gaps) > 1e-3 * Math.abs(shap.delta), `SHAP sd ${sd(shap.gaps)} of Δ ${shap.delta}`);
    // Strata: the sd falls by about n = 20 for a linear integrand; 4 leaves room for 8 seeds' noise.
    assert.ok(sd(results.get('STRATIFIED')!.gaps) < sd(shap.gaps) / 4, line('STRATIFIED'));
    // Mirrored designs are exact for a linear integrand up to the float32 evaluation of f.
    for (const mode of ['ANTITHETIC', 'QUASI_RANDOM'] as const) {
      for (const g of results.get(mode)!.gaps) assert.ok(Math.abs(g) <= 1e-3 * Math.abs(shap.delta), `${line(mode)}`);
    }
  });

  test('an unknown design is a GraphQL validation error naming the enum', async () => {
    const r = await svc.gql(REQUEST_EXPLANATION, { input: { image, model, method: 'GRADIENT_SHAP', parameters: { gradient: { alphaSampling: 'SOBOL' } } } });
    assert.ok(r.errors?.length, 'an enum value the schema does not know is a GraphQL validation error');
    assert.match(r.errors![0].message, /AlphaSampling/);
  });
});
