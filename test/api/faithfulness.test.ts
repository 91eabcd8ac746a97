// Faithfulness over the API (issue 12, item 5): deletion/insertion curves requested with an explanation,
// stored per explained class, queryable and sortable, on SQLite and PostgreSQL. The stored curves are
// checked against the engine run again on the downloaded raw map, and against ground truth on the
// demo model: deleting the Grad-CAM map's pixels first drops the class faster than deleting them last.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildDemoModel } from '../../src/engine/demo/index.js';
import type { ModelHandle } from '../../src/engine/explain/types.js';
import { deletionInsertion, checkFaithfulness } from '../../src/engine/metrics/index.js';
import { toRgbRaw } from '../../src/engine/preprocess.js';
import { decodeNpy } from '../../src/engine/render/raw.js';
import { SessionCache } from '../../src/engine/session.js';
import { waitUntil } from '../jobs/support.js';
import { POSTGRES_SKIP_MESSAGE, withPostgres } from '../support/postgres.js';
import { tmpDir } from '../support/tmp.js';
import { ERROR_FIELDS, REQUEST_EXPLANATION } from './operations.js';
import { databaseSuiteService, demoIds } from './suite-service.js';
import fs from 'node:fs';
import path from 'node:path';

const EXPLANATION = `query($id: ID!) { explanation(id: $id) { id status error { code message } targetClasses deletionAuc insertionAuc parameters
  faithfulness { classIndex steps fill blurSigma fractions deletion insertion deletionAuc insertionAuc }
  randomization { layers seed randomizedWeights spearman perClass { classIndex spearman } }
  artifacts { name url } image { url } } }`;

const ORDERED = `query($order: ExplanationOrder!, $first: Int, $after: String) {
  explanations(orderBy: $order, first: $first, after: $after) { edges { cursor node { id deletionAuc insertionAuc } } pageInfo { hasNextPage endCursor } } }`;

const trapezoid = (x: number[], y: number[]) => x.slice(1).reduce((a, _, i) => a + ((x[i + 1] - x[i]) * (y[i + 1] + y[i])) / 2, 0);

function defineSuite(label: string, databaseUrl: () => Promise<string | null>) {
  describe(`faithfulness over the API on ${label}`, () => {
    const svc = databaseSuiteService(databaseUrl, POSTGRES_SKIP_MESSAGE, { jobs: true, demoImage: true });
    let images: string[];
    let model: string;
    before(async () => {
      if (svc.skipped) return;
      // Pictures with one colored shape (the noise picture's Grad-CAM map is flat: no order to test).
      images = await Promise.all(['red-square.png', 'green-disc.png', 'blue-triangle.png'].map(async (n) => (await demoIds(svc, n)).image));
      model = svc.demo.model;
    });

    const request = async (image: string, evaluation?: object) => {
      const r = await svc.gql(REQUEST_EXPLANATION, { input: { image, model, method: 'GRAD_CAM', ...(evaluation ? { evaluation } : {}) } });
      return r.data.requestExplanation;
    };
    const finished = (id: string) =>
      waitUntil(async () => {
        const e = (await svc.gql(EXPLANATION, { id })).data.explanation;
        return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.status) && e;
      }, 120_000);
    const EVAL = { faithfulness: { steps: 10, fill: 'BLACK' }, randomization: { layers: 1, seed: 7 } };
    const evaluated: any[] = [];

    test('curves are stored per explained class, with the parameters used, and match the engine on the downloaded map', async (t) => {
      if (svc.skipped) return t.skip(svc.skipped);
      for (const image of images) {
        const r = await request(image, EVAL);
        assert.ok(r.data, JSON.stringify(r));
        assert.deepEqual(r.data.parameters.evaluation, { faithfulness: { steps: 10, fill: 'BLACK', blurSigma: 5, batchSize: 32 }, randomization: { layers: 1, seed: 7 } });
        const e = await finished(r.data.id);
        assert.equal(e.status, 'SUCCEEDED', JSON.stringify(e.error));
        evaluated.push(e);
      }
      const demo = buildDemoModel();
      const file = path.join(tmpDir('xai-faith-'), 'demo.onnx');
      fs.writeFileSync(file, demo.onnx);
      const handle: ModelHandle = { key: 'demo-faith-test', path: file, spec: demo.spec, numClasses: demo.labels.length, labels: demo.labels, outputKind: 'LOGITS', quantized: false };
      const sessions = new SessionCache();
      try {
        for (const e of evaluated) {
          assert.equal(e.faithfulness.length, e.targetClasses.length);
          const [f] = e.faithfulness;
          assert.equal(f.classIndex, e.targetClasses[0]);
          assert.deepEqual([f.steps, f.fill, f.blurSigma], [10, 'BLACK', 5]);
          assert.equal(f.fractions.length, 11);
          assert.equal(f.fractions[0], 0);
          assert.equal(f.fractions[10], 1);
          // Both curves run between the unmodified input and the all-black one.
          assert.equal(f.deletion[0], f.insertion[10]);
          assert.equal(f.deletion[10], f.insertion[0]);
          assert.ok(Math.abs(f.deletionAuc - trapezoid(f.fractions, f.deletion)) < 1e-12);
          assert.ok(Math.abs(f.insertionAuc - trapezoid(f.fractions, f.insertion)) < 1e-12);
          assert.equal(e.deletionAuc, f.deletionAuc, 'the sortable copy is the first class');
          assert.equal(e.insertionAuc, f.insertionAuc);

          // The engine again, on what a user downloads: the raw map and the original image.
          const raw = e.artifacts.find((a: any) => a.name === `raw-${f.classIndex}.npy`);
          const map = decodeNpy(Buffer.from(await (await fetch(svc.url + raw.url)).arrayBuffer())).data as Float32Array;
          const original = Buffer.from(await (await fetch(svc.url + e.image.url)).arrayBuffer());
          const rgb = new Uint8Array((await toRgbRaw(original, demo.spec)).data);
          const params = checkFaithfulness({ steps: 10, fill: 'BLACK' });
          const [again, reversed] = await deletionInsertion(sessions, { model: handle, rgb, maps: [{ classIndex: f.classIndex, map }, { classIndex: f.classIndex, map: map.map((v) => -v) }] }, params);
          for (let i = 0; i <= 10; i++) {
            assert.ok(Math.abs(again.deletion.probabilities[i] - f.deletion[i]) < 1e-4, `deletion step ${i}: ${again.deletion.probabilities[i]} vs stored ${f.deletion[i]}`);
            assert.ok(Math.abs(again.insertion.probabilities[i] - f.insertion[i]) < 1e-4, `insertion step ${i}`);
          }
          // Ground truth: the demo model reads the drawn shape, and Grad-CAM points at it.
          assert.ok(f.deletionAuc < reversed.deletion.auc, `most relevant first ${f.deletionAuc} < least relevant first ${reversed.deletion.auc}`);
          assert.ok(f.insertionAuc > reversed.insertion.auc, `insertion ${f.insertionAuc} > ${reversed.insertion.auc}`);

          assert.equal(e.randomization.layers, 1);
          assert.equal(e.randomization.seed, 7);
          assert.ok(e.randomization.randomizedWeights.length === 1, JSON.stringify(e.randomization));
          assert.equal(e.randomization.perClass[0].classIndex, f.classIndex);
          const rho = e.randomization.spearman;
          assert.ok(rho === null || (rho >= -1 && rho <= 1), `spearman ${rho}`);
        }
      } finally {
        await sessions.close();
      }
    });

    test('the evaluation is part of the request: the same one is reused, another is a new explanation', async (t) => {
      if (svc.skipped) return t.skip(svc.skipped);
      const again = await request(images[0], EVAL);
      assert.equal(again.data.id, evaluated[0].id);
      const plain = await request(images[0]);
      assert.notEqual(plain.data.id, evaluated[0].id);
      const e = await finished(plain.data.id);
      assert.equal(e.status, 'SUCCEEDED');
      assert.deepEqual(e.faithfulness, []);
      assert.equal(e.deletionAuc, null);
      assert.equal(e.randomization, null);
      assert.equal(e.parameters.evaluation, undefined);
    });

    test('explanations ordered by deletion or insertion AUC, paged; those without are left out', async (t) => {
      if (svc.skipped) return t.skip(svc.skipped);
      const byId = new Map(evaluated.map((e) => [e.id, e]));
      const all = async (order: string) => {
        const out: any[] = [];
        let after: string | null = null;
        for (;;) {
          const r: any = (await svc.gql(ORDERED, { order, first: 2, after })).data.explanations;
          out.push(...r.edges.map((x: any) => x.node));
          if (!r.pageInfo.hasNextPage) return out;
          after = r.pageInfo.endCursor;
        }
      };
      const asc = await all('DELETION_AUC_ASC');
      assert.deepEqual(new Set(asc.map((n) => n.id)), new Set(byId.keys()), 'exactly the evaluated explanations');
      const aucs = asc.map((n) => n.deletionAuc);
      assert.deepEqual(aucs, [...aucs].sort((a, b) => a - b));
      const desc = await all('DELETION_AUC_DESC');
      assert.deepEqual(desc.map((n) => n.deletionAuc), [...aucs].reverse());
      const ins = (await all('INSERTION_AUC_DESC')).map((n) => n.insertionAuc);
      assert.deepEqual(ins, [...ins].sort((a, b) => b - a));
      const newest = (await svc.gql(ORDERED, { order: 'NEWEST', first: 100 })).data.explanations.edges;
      assert.equal(newest.length, evaluated.length + 1, 'the default order lists every explanation');
      const bad = await svc.gql(ORDERED, { order: 'DELETION_AUC_ASC', first: 1, after: newest[0].cursor });
      assert.equal(bad.errors?.[0]?.extensions?.code, 'BAD_USER_INPUT', 'a cursor of another order is refused');
    });

    test('invalid evaluation parameters are refused naming the field; nothing is queued', async (t) => {
      if (svc.skipped) return t.skip(svc.skipped);
      const count = await svc.app.prisma.explanation.count();
      for (const evaluation of [{ faithfulness: { steps: 0 } }, { faithfulness: { blurSigma: -1 } }, { randomization: { layers: 0 } }]) {
        const r = (await svc.gql(`mutation($input: RequestExplanationInput!) { requestExplanation(input: $input) { ${ERROR_FIELDS} } }`, { input: { image: images[1], model, method: 'GRAD_CAM', evaluation } })).data.requestExplanation;
        assert.equal(r.__typename, 'InvalidArgumentError', JSON.stringify(r));
        assert.equal(r.field, 'input.evaluation');
      }
      assert.equal(await svc.app.prisma.explanation.count(), count);
    });
  });
}

defineSuite('SQLite', async () => '');
let drop: (() => Promise<void>) | undefined;
after(async () => drop?.());
defineSuite('PostgreSQL', async () => {
  const pg = await withPostgres('faithfulness');
  if (!pg) return null;
  drop = () => pg.drop();
  return pg.url;
});
