// Request keys across versions (issue 11): identical requests share one stored explanation through
// sha256(canonical { imageId, modelId, method, params, seed }). Options added later with a default
// (Gradient SHAP's alphaSampling, LIME/Kernel SHAP's confidence, stabilityTopK, stoppingRule,
// gainTolerance, maskDesign) once entered the normalised parameters, so a default request no longer
// found what was stored before the option existed. The expected keys here are hashed from the
// canonical JSON those versions wrote out, written down literally, not from the code under test.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { DEMO_LABELS } from '../../src/engine/demo/model.js';
import { ALPHA_SAMPLINGS, DEFAULTS, keyParameters, METHODS, normalizeParameters, parametersKeyFor, type Method } from '../../src/engine/methods.js';
import { requestKeysOf } from '../../src/services/explanation-queue.js';
import { suiteService } from './suite-service.js';
import { CREATE_STUDY, REQUEST_EXPLANATION } from './operations.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** The canonical JSON of a key's object, `params` being the canonical params' "params":{…} member. */
const keyJson = (imageId: string, modelId: string, method: string, params: string, seed: number | null) =>
  `{"imageId":${JSON.stringify(imageId)},"method":${JSON.stringify(method)},"modelId":${JSON.stringify(modelId)},${params},"seed":${JSON.stringify(seed)}}`;

// Sorted keys, no spaces: the canonical JSON of the key's object as each version stored it.
const GRADIENT_BLOCK = '"baseline":"BLACK","baselineImageIds":[],"batchSize":16,"noiseLevel":0.15,"samples":50,"steps":50';
const QUICKSHIFT = '"segmentation":{"algorithm":"QUICKSHIFT","kernelSize":4,"maxDist":200,"ratio":0.2,"sigma":0}';
const KERNEL_SHAP_BLOCK = (extra: string) =>
  `"adaptive":false,"batchSize":50${extra},"hide":{"kind":"MEAN"},"nsamples":null,"segmentation":{"algorithm":"SLIC","compactness":10,"nSegments":50,"sigma":0}`;

/**
 * The forms a default request was stored under, oldest first (the first is what its key must be
 * again). Each equals the canonical JSON that version's normalizeParameters gave (checked once
 * against commits ddfe67b, e30affb, 0ce1221 and 96e90af).
 */
const FORMS = {
  GRADIENT_SHAP: [
    // Before alphaSampling, and (issue 11 item 4) with it, filled with its default SHAP.
    `"params":{"gradient":{${GRADIENT_BLOCK}},"target":{"k":1,"kind":"TOP"}}`,
    `"params":{"gradient":{"alphaSampling":"SHAP",${GRADIENT_BLOCK}},"target":{"k":1,"kind":"TOP"}}`,
  ],
  LIME: [
    // Before the uncertainty report, with confidence and stabilityTopK, and with the stopping rule and mask design too.
    `"params":{"lime":{"adaptive":false,"batchSize":10,"featureSelection":"AUTO","hide":{"kind":"MEAN"},"kernelWidth":0.25,"numFeatures":100000,"numSamples":1000,${QUICKSHIFT},"topLabels":5},"target":{"k":5,"kind":"TOP"}}`,
    `"params":{"lime":{"adaptive":false,"batchSize":10,"confidence":0.95,"featureSelection":"AUTO","hide":{"kind":"MEAN"},"kernelWidth":0.25,"numFeatures":100000,"numSamples":1000,${QUICKSHIFT},"stabilityTopK":5,"topLabels":5},"target":{"k":5,"kind":"TOP"}}`,
    `"params":{"lime":{"adaptive":false,"batchSize":10,"confidence":0.95,"featureSelection":"AUTO","gainTolerance":0.25,"hide":{"kind":"MEAN"},"kernelWidth":0.25,"maskDesign":"LIME","numFeatures":100000,"numSamples":1000,${QUICKSHIFT},"stabilityTopK":5,"stoppingRule":"STABILITY","topLabels":5},"target":{"k":5,"kind":"TOP"}}`,
  ],
  KERNEL_SHAP: [
    `"params":{"kernelShap":{${KERNEL_SHAP_BLOCK('')}},"target":{"k":1,"kind":"TOP"}}`,
    `"params":{"kernelShap":{${KERNEL_SHAP_BLOCK(',"confidence":0.95')},"stabilityTopK":5},"target":{"k":1,"kind":"TOP"}}`,
    `"params":{"kernelShap":{${KERNEL_SHAP_BLOCK(',"confidence":0.95,"gainTolerance":0.25')},"stabilityTopK":5,"stoppingRule":"STABILITY"},"target":{"k":1,"kind":"TOP"}}`,
  ],
} satisfies Partial<Record<Method, string[]>>;

/** The key an earlier version stored a default `method` request under (form k of FORMS). */
function storedKey(method: keyof typeof FORMS, k: number, imageId: string, modelId: string, seed: number | null): string {
  const params = FORMS[method][k];
  assert.ok(params, `${method} has no stored form ${k}`);
  return sha256(keyJson(imageId, modelId, method, params, seed));
}

const keysOf = (method: Method, parameters: Record<string, object> = {}, numClasses = 1000, seed: number | null = 0) =>
  requestKeysOf('img', 'mod', method, normalizeParameters(method, { target: null, ...parameters }, numClasses), seed);

describe('request keys of default requests', () => {
  test('a default Gradient SHAP, LIME or Kernel SHAP request hashes as before its later options existed', () => {
    for (const method of ['GRADIENT_SHAP', 'LIME', 'KERNEL_SHAP'] as const) {
      assert.equal(keysOf(method)[0], storedKey(method, 0, 'img', 'mod', 0), method);
    }
    assert.equal(keysOf('GRADIENT_SHAP', {}, 1000, null)[0], storedKey('GRADIENT_SHAP', 0, 'img', 'mod', null));
    // Given explicitly at its default, an option is the same request as leaving it out.
    assert.equal(keysOf('GRADIENT_SHAP', { gradient: { alphaSampling: 'SHAP' } })[0], storedKey('GRADIENT_SHAP', 0, 'img', 'mod', 0));
    assert.equal(keysOf('LIME', { lime: { stoppingRule: 'STABILITY', gainTolerance: 0.25, maskDesign: 'LIME', confidence: 0.95 } })[0], storedKey('LIME', 0, 'img', 'mod', 0));
  });

  test('rows stored while the options were filled in are found under their keys too', () => {
    const gradient = keysOf('GRADIENT_SHAP');
    assert.deepEqual(gradient, [storedKey('GRADIENT_SHAP', 0, 'img', 'mod', 0), storedKey('GRADIENT_SHAP', 1, 'img', 'mod', 0)]);
    assert.deepEqual(keysOf('LIME'), [0, 1, 2].map((k) => storedKey('LIME', k, 'img', 'mod', 0)));
    assert.deepEqual(keysOf('KERNEL_SHAP'), [0, 1, 2].map((k) => storedKey('KERNEL_SHAP', k, 'img', 'mod', 0)));
  });

  test('non-default values keep keys of their own', () => {
    const gradient = ALPHA_SAMPLINGS.map((alphaSampling) => keysOf('GRADIENT_SHAP', { gradient: { alphaSampling } }));
    assert.equal(new Set(gradient.map((k) => k[0])).size, ALPHA_SAMPLINGS.length, 'one key per α design');
    for (const [i, keys] of gradient.entries()) {
      if (ALPHA_SAMPLINGS[i] === 'SHAP') continue;
      // Only ever stored with the field: none of its keys is a default request's.
      assert.ok(!keys.some((k) => keysOf('GRADIENT_SHAP').includes(k)), ALPHA_SAMPLINGS[i]);
      const stored = `"params":{"gradient":{"alphaSampling":"${ALPHA_SAMPLINGS[i]}",${GRADIENT_BLOCK}},"target":{"k":1,"kind":"TOP"}}`;
      assert.ok(keys.includes(sha256(keyJson('img', 'mod', 'GRADIENT_SHAP', stored, 0))), 'as stored since the option came');
    }
    const lime = [{}, { maskDesign: 'ANTITHETIC' }, { stoppingRule: 'EXPECTED_GAIN' }, { stoppingRule: 'EXPECTED_GAIN', gainTolerance: 0.1 }, { confidence: 0.9 }, { stabilityTopK: 3 }];
    const limeKeys = lime.map((l) => keysOf('LIME', { lime: l })[0]);
    assert.equal(new Set(limeKeys).size, lime.length, 'one key per LIME setting');
    const shap = [{}, { stoppingRule: 'EXPECTED_GAIN' }, { gainTolerance: 0.5 }, { confidence: 0.99 }].map((s) => keysOf('KERNEL_SHAP', { kernelShap: s })[0]);
    assert.equal(new Set(shap).size, 4, 'one key per Kernel SHAP setting');
  });

  // Fails when a defaulted field joins DEFAULTS without joining LATER_FIELDS (methods.ts).
  test("every method's default request keys the fields its block had when request keys began", () => {
    const ORIGINAL: Record<string, string[]> = {
      cam: ['augSmooth', 'batchSize', 'eigenSmooth', 'targetLayer'],
      gradient: ['baseline', 'baselineImageIds', 'batchSize', 'noiseLevel', 'samples', 'steps'],
      lime: ['adaptive', 'batchSize', 'featureSelection', 'hide', 'kernelWidth', 'numFeatures', 'numSamples', 'segmentation', 'topLabels'],
      kernelShap: ['adaptive', 'batchSize', 'hide', 'nsamples', 'segmentation'],
      partitionShap: ['batchSize', 'masker', 'maxEvals'],
    };
    assert.deepEqual(Object.keys(ORIGINAL).sort(), Object.keys(DEFAULTS).sort());
    for (const method of METHODS) {
      const block = parametersKeyFor(method);
      const keyed = keyParameters(normalizeParameters(method, { target: null }, 1000))!;
      assert.deepEqual(Object.keys(keyed).sort(), [block, 'target'].sort(), method);
      assert.deepEqual(Object.keys(keyed[block]!).sort(), ORIGINAL[block], `${method}: a new defaulted field must be listed in LATER_FIELDS`);
    }
  });
});

describe('explanations stored before an option existed, over the API', () => {
  const svc = suiteService({ demoImage: 'red-square.png' });
  const dbId = (globalId: string) => Buffer.from(globalId, 'base64').toString('utf8').split(':')[1];

  /** A finished explanation as an earlier version stored it: its parameters and key, form k. */
  async function storeOld(method: keyof typeof FORMS, k: number, seed: number) {
    const imageId = dbId(svc.demo.image);
    const modelId = dbId(svc.demo.model);
    const params = JSON.parse(`{${FORMS[method][k]}}`).params;
    return svc.app.prisma.explanation.create({
      data: {
        imageId, modelId, method, seed, parameters: params, targetClasses: [], status: 'SUCCEEDED',
        requestKey: storedKey(method, k, imageId, modelId, seed), createdBy: 'local', finishedAt: new Date(),
      },
    });
  }
  const request = async (method: Method, seed: number, parameters?: object) => {
    const r = await svc.gql(REQUEST_EXPLANATION, { input: { image: svc.demo.image, model: svc.demo.model, method, seed, parameters } });
    assert.ok(r.data?.requestExplanation?.data, JSON.stringify(r));
    return r.data.requestExplanation.data;
  };

  test('an identical default request reuses it; a non-default option gets a new explanation', async () => {
    assert.ok(DEMO_LABELS.length >= 5, 'the LIME form above explains the top 5');
    const gradient = await storeOld('GRADIENT_SHAP', 0, 11);
    const lime = await storeOld('LIME', 0, 11);
    const before = await svc.app.prisma.explanation.count();
    assert.equal(dbId((await request('GRADIENT_SHAP', 11)).id), gradient.id);
    assert.equal(dbId((await request('GRADIENT_SHAP', 11, { gradient: { alphaSampling: 'SHAP' } })).id), gradient.id);
    assert.equal(dbId((await request('LIME', 11)).id), lime.id);
    assert.equal(await svc.app.prisma.explanation.count(), before, 'nothing new was queued');

    const stratified = await request('GRADIENT_SHAP', 11, { gradient: { alphaSampling: 'STRATIFIED' } });
    assert.notEqual(dbId(stratified.id), gradient.id);
    assert.equal(stratified.parameters.gradient.alphaSampling, 'STRATIFIED');
    const antithetic = await request('LIME', 11, { lime: { maskDesign: 'ANTITHETIC' } });
    assert.notEqual(dbId(antithetic.id), lime.id);
  });

  test('rows stored with the options filled in are reused as well, by requests and by study cells', async () => {
    const gradient = await storeOld('GRADIENT_SHAP', 1, 12);
    const lime = await storeOld('LIME', 2, 12);
    assert.equal(dbId((await request('GRADIENT_SHAP', 12)).id), gradient.id);
    assert.equal(dbId((await request('LIME', 12)).id), lime.id);
    const old = await storeOld('GRADIENT_SHAP', 0, 13);
    const created = await svc.gql(CREATE_STUDY, {
      input: { name: 'old rows', seed: 13, images: [svc.demo.image], models: [svc.demo.model], methods: [{ method: 'GRADIENT_SHAP' }] },
    });
    const cells = created.data?.createStudy?.data?.cells;
    assert.ok(cells, JSON.stringify(created));
    assert.deepEqual(cells.map((c: { explanation: { id: string } | null }) => c.explanation && dbId(c.explanation.id)), [old.id]);
  });
});
