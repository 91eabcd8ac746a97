// The embedded job queue on the real stack: jobs run in worker threads of the service process,
// progress streams over websocket, cancellation, priorities and retries.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import type { Explanation } from '../../src/generated/sqlite/client.js';
import { startTestService, type TestService } from '../support/service.js';
import { CREATE_STUDY, REQUEST_EXPLANATION } from '../api/operations.js';
import { EXPLANATION_FIELDS, watch, waitUntil, wsClient } from './support.js';

const CANCEL = `mutation($id: ID!) { cancelExplanation(id: $id) { ... on CancelExplanationSuccess { data { id status } } } }`;
const RETRY = `mutation($id: ID!) { retryExplanation(id: $id) { ... on RetryExplanationSuccess { data { id status } } ... on Error { code message } } }`;

describe('embedded job queue', () => {
  let svc: TestService;
  let image: string;
  let model: string;
  const request = async (extra: Record<string, unknown>) => {
    const r = await svc.gql(REQUEST_EXPLANATION, { input: { image, model, method: 'LIME', ...extra } });
    const e = r.data.requestExplanation.data;
    assert.ok(e, JSON.stringify(r));
    return e;
  };
  const get = async (id: string) => (await svc.gql(`query($id: ID!) { explanation(id: $id) { ${EXPLANATION_FIELDS} } }`, { id })).data.explanation;

  before(async () => {
    svc = await startTestService({ jobs: true, env: { XAI_JOB_CONCURRENCY: '1' } });
    const d = (await svc.gql(`{ images(filter: { format: "png" }) { edges { node { id originalName } } } models { edges { node { id } } } }`)).data;
    image = d.images.edges.find((e: any) => e.node.originalName === 'red-square.png').node.id;
    model = d.models.edges[0].node.id;
  });
  after(async () => svc?.close());

  test('a LIME job runs to SUCCEEDED; the subscriber sees throttled progress and the terminal event; artifacts are served', async () => {
    const e = await request({ seed: 1, parameters: { lime: { numSamples: 400, batchSize: 20 } } });
    const client = wsClient(svc.url);
    try {
      const events = await watch(client, e.id).done;
      const last = events.at(-1);
      assert.equal(last.status, 'SUCCEEDED', JSON.stringify(last));
      assert.equal(last.progress, 1);
      assert.ok(events.some((x) => x.status === 'RUNNING'), 'progress was streamed');
      const progress = events.filter((x) => x.status === 'RUNNING').map((x) => x.progress);
      assert.deepEqual(progress, [...progress].sort((a, b) => a - b), 'progress never goes back');
      // The rate limit itself is checked on a mocked clock (throttle.test.ts): arrival times here
      // depend on how busy the machine is.
      assert.match(last.caption, /^lime on/);
      assert.ok(last.artifacts.length >= 3, JSON.stringify(last.artifacts));
      for (const a of last.artifacts.filter((x: any) => x.url.endsWith('.png'))) {
        const res = await fetch(svc.url + a.url);
        assert.equal(res.status, 200);
        const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
        assert.equal(meta.format, 'png');
      }
      // Idempotent: the same request returns the finished explanation.
      const again = await request({ seed: 1, parameters: { lime: { numSamples: 400, batchSize: 20 } } });
      assert.equal(again.id, e.id);
      assert.equal(again.status, 'SUCCEEDED');
    } finally {
      await client.dispose();
    }
  });

  test('cancel during a run stops it; the worker is free for the next job; retry runs it to the end', async () => {
    // As long as LIME may run: with one worker slot, the next job can only finish if cancelling frees it.
    const long = await request({ seed: 2, parameters: { lime: { numSamples: 100000, batchSize: 10 } } });
    await waitUntil(async () => {
      const e = await get(long.id);
      return e.status === 'RUNNING' && e.samplesDone > 0 && e;
    });
    const c = await svc.gql(CANCEL, { id: long.id });
    assert.equal(c.data.cancelExplanation.data.status, 'CANCELLED');
    const next = await request({ seed: 3, parameters: { lime: { numSamples: 100, batchSize: 20 } } });
    const done = await waitUntil(async () => {
      const e = await get(next.id);
      return ['SUCCEEDED', 'FAILED'].includes(e.status) && e;
    });
    assert.equal(done.status, 'SUCCEEDED', 'the cancelled job released its worker');
    const cancelled = await get(long.id);
    assert.equal(cancelled.status, 'CANCELLED');
    assert.ok(cancelled.samplesDone < 100000, `stopped early: ${cancelled.samplesDone} samples`);

    const retried = await svc.gql(RETRY, { id: long.id });
    assert.equal(retried.data.retryExplanation.data.status, 'QUEUED');
    await svc.gql(CANCEL, { id: long.id });
    const notRetryable = await svc.gql(RETRY, { id: done.id });
    assert.equal(notRetryable.data.retryExplanation.code, 'INVALID_ARGUMENT');
  });

  test('Grad-CAM and Gradient SHAP (with uploaded baseline images) run as jobs end to end', async () => {
    const others = (await svc.gql(`{ images(filter: { format: "png" }) { edges { node { id originalName } } } }`)).data.images.edges;
    const noise = others.find((e: any) => e.node.originalName === 'noise.png').node.id;
    const cam = await svc.gql(REQUEST_EXPLANATION, { input: { image, model, method: 'GRAD_CAM' } });
    const shap = await svc.gql(REQUEST_EXPLANATION, {
      input: { image, model, method: 'GRADIENT_SHAP', seed: 4, parameters: { gradient: { samples: 16, baselineImages: [noise] } } },
    });
    const ghost = await svc.gql(REQUEST_EXPLANATION, {
      input: { image, model, method: 'GRADIENT_SHAP', parameters: { gradient: { baselineImages: [encodeGlobalID('Image', 'gone')] } } },
    });
    assert.equal(ghost.data.requestExplanation.__typename, 'NotFoundError');
    for (const r of [cam, shap]) {
      const id = r.data.requestExplanation.data.id;
      const done = await waitUntil(async () => {
        const e = await get(id);
        return ['SUCCEEDED', 'FAILED'].includes(e.status) && e;
      });
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
      assert.deepEqual(done.artifacts.map((a: any) => a.name).sort(), ['heatmap-1.png', 'overlay-1.png', 'raw-1.npy']);
    }
    const shapDone = await get(shap.data.requestExplanation.data.id);
    assert.equal(shapDone.result.baselines, 1);
    assert.match(shapDone.caption, /^gradient_shap on red/);
  });

  test('higher priority runs first, FIFO otherwise', async () => {
    const blocker = await request({ seed: 10, parameters: { lime: { numSamples: 3000, batchSize: 10 } } });
    await waitUntil(async () => (await get(blocker.id)).status === 'RUNNING');
    const low1 = await request({ seed: 11, parameters: { lime: { numSamples: 50, batchSize: 50 } } });
    const low2 = await request({ seed: 12, parameters: { lime: { numSamples: 50, batchSize: 50 } } });
    const high = await request({ seed: 13, priority: 5, parameters: { lime: { numSamples: 50, batchSize: 50 } } });
    await svc.gql(CANCEL, { id: blocker.id });
    const rows = await waitUntil(async () => {
      const all = await Promise.all([low1, low2, high].map((e) => get(e.id)));
      return all.every((e) => e.status === 'SUCCEEDED') && all;
    });
    const [l1, l2, h] = rows.map((e: any) => new Date(e.startedAt).getTime());
    assert.ok(h <= l1 && l1 <= l2, `started: high ${h}, low1 ${l1}, low2 ${l2}`);
  });

  test('the dashboard feed delivers only explanations matching its study, model and status filters', async () => {
    // Two studies of one cheap cell each, to file requests under.
    const study = async (name: string) => {
      const r = await svc.gql(CREATE_STUDY, { input: { name, images: [image], models: [model], methods: [{ method: 'EIGEN_CAM' }] } });
      assert.ok(r.data.createStudy.data, JSON.stringify(r));
      return r.data.createStudy.data.id as string;
    };
    const feedA = await study('feed-a');
    const feedB = await study('feed-b');
    // Their cells (one explanation: B reuses A's identical cell) finish before the feeds listen.
    await waitUntil(async () => {
      const s = await svc.gql(`query($a: ID!, $b: ID!) { a: study(id: $a) { state } b: study(id: $b) { state } }`, { a: feedA, b: feedB });
      return s.data.a.state === 'SUCCEEDED' && s.data.b.state === 'SUCCEEDED';
    });
    const client = wsClient(svc.url);
    const seen: { study: any[]; succeededOfStudy: any[]; ofModel: any[] } = { study: [], succeededOfStudy: [], ofModel: [] };
    const feed = (variables: Record<string, unknown>, into: any[]) =>
      client.subscribe(
        { query: `subscription($study: ID, $model: ID, $status: [ExplanationStatus!]) { explanationsUpdated(study: $study, model: $model, status: $status) { id status study { name } } }`, variables },
        { next: (v: any) => (isProbe(v.data.explanationsUpdated) ? heard.add(into) : into.push(v.data.explanationsUpdated)), error: () => {}, complete: () => {} },
      );
    const heard = new Set<any[]>();
    try {
      feed({ study: feedA }, seen.study);
      feed({ study: feedA, status: ['SUCCEEDED'] }, seen.succeededOfStudy);
      feed({ model, status: ['SUCCEEDED'] }, seen.ofModel);
      await untilFeedsListen(svc, model, feedA, () => heard.size === 3);
      const lime = { lime: { numSamples: 40, batchSize: 20 } };
      const a = await request({ seed: 71, study: feedA, parameters: lime });
      const b = await request({ seed: 71, study: feedB, parameters: lime });
      assert.notEqual(a.id, b.id, 'the same request in another study is its own record');
      // Each feed's own terminal events, not the database, say when everything has been delivered.
      const ended = (feed: any[], id: string) => feed.some((e) => e.id === id && e.status === 'SUCCEEDED');
      await waitUntil(async () => ended(seen.study, a.id) && ended(seen.succeededOfStudy, a.id) && ended(seen.ofModel, a.id) && ended(seen.ofModel, b.id));
      assert.ok(seen.study.length >= 2 && seen.study.every((e) => e.id === a.id && e.study.name === 'feed-a'), JSON.stringify(seen.study));
      assert.deepEqual(seen.study.map((e) => e.status).at(-1), 'SUCCEEDED');
      assert.deepEqual(seen.succeededOfStudy, [{ id: a.id, status: 'SUCCEEDED', study: { name: 'feed-a' } }]);
      const ofModel = new Set(seen.ofModel.map((e) => e.id));
      assert.ok(ofModel.has(a.id) && ofModel.has(b.id), 'the model feed spans studies');
      assert.ok(seen.ofModel.every((e) => e.status === 'SUCCEEDED'));
      const listed = (await svc.gql(`query($s: ID) { explanations(filter: { study: $s }) { edges { node { id } } } }`, { s: feedB })).data.explanations.edges;
      assert.ok(listed.some((e: any) => e.node.id === b.id) && !listed.some((e: any) => e.node.id === a.id), JSON.stringify(listed));
      const bad = await svc.gql(REQUEST_EXPLANATION, { input: { image, model, method: 'LIME', study: 'x'.repeat(101) } });
      assert.equal(bad.data.requestExplanation.field, 'input.study');
    } finally {
      await client.dispose();
    }
  });
});

const PROBE_ID = encodeGlobalID('Explanation', 'feed-probe');
const isProbe = (e: { id: string }) => e.id === PROBE_ID;

/**
 * The feeds have no current state, so a subscriber cannot tell when the server has registered it:
 * publish a probe matching every feed's filter until `allHeard` (the subscribers set probes aside).
 */
async function untilFeedsListen(svc: TestService, modelGlobalId: string, studyGlobalId: string, allHeard: () => boolean): Promise<void> {
  const probe = { id: 'feed-probe', status: 'SUCCEEDED', studyId: decodeGlobalID(studyGlobalId).id, modelId: decodeGlobalID(modelGlobalId).id } as unknown as Explanation;
  await waitUntil(async () => {
    svc.app.events.explanationChanged(probe);
    return allHeard();
  }, 60_000, 50);
}

describe('shutdown during a run', () => {
  test('closing the service stops the worker at a batch boundary and puts the job back in the queue', { timeout: 300_000 }, async () => {
    const { tmpDir } = await import('../support/tmp.js');
    const { createApp } = await import('../../src/app.js');
    const { loadConfig } = await import('../../src/config.js');
    const { seedDemo } = await import('../../src/services/demo.js');
    const { LocalJobQueue } = await import('../../src/jobs/local-queue.js');
    const { requestExplanation, cancelExplanation } = await import('../../src/services/explanations.js');
    const { OPEN_PRINCIPAL } = await import('../../src/services/keys.js');
    const config = loadConfig({ XAI_DATA_DIR: tmpDir('xai-shutdown-'), XAI_ORT_THREADS: '1', XAI_JOB_CONCURRENCY: '1' });
    const start = async () => {
      const app = await createApp(config);
      await seedDemo(app);
      app.jobs = await LocalJobQueue.start(app);
      return app;
    };
    const app = await start();
    const image = (await app.prisma.image.findFirstOrThrow({ where: { originalName: 'red-square.png' } })).id;
    const model = (await app.prisma.model.findFirstOrThrow()).id;
    const ask = (seed: number) =>
      requestExplanation(app, { imageId: image, modelId: model, method: 'KERNEL_SHAP', target: null, parameters: { kernelShap: { nsamples: 20000, batchSize: 10 } }, seed, priority: 0, force: false, principal: OPEN_PRINCIPAL });
    const running = await ask(1);
    await waitUntil(async () => (await app.prisma.explanation.findUniqueOrThrow({ where: { id: running.id } })).samplesDone);
    // A cancelled job and a running one at shutdown: neither may crash or hang the process.
    const other = await ask(2);
    await cancelExplanation(app, other.id, OPEN_PRINCIPAL);
    // A hang here is caught by the test's timeout; how long closing takes is the bench's business.
    await app.close();

    const again = await createApp(config);
    try {
      const row = await again.prisma.explanation.findUniqueOrThrow({ where: { id: running.id } });
      assert.equal(row.status, 'QUEUED', 'an orderly shutdown requeues the running job');
      assert.equal((await again.prisma.explanation.findUniqueOrThrow({ where: { id: other.id } })).status, 'CANCELLED');
    } finally {
      await again.close();
    }
  });
});
