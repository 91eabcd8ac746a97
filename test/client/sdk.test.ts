// The typed SDK against a real service (real database, HTTP + graphql-ws, ONNX inference, job threads).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import {
  createXaiClient,
  ExplanationQuery,
  ExplanationsQuery,
  isXaiError,
  ModelsQuery,
  PredictMutation,
  unwrap,
  XaiError,
  type ExplanationData,
  type ResultOf,
  type XaiClient,
} from '../../client/sdk/index.ts';
import { startTestService, type TestService } from '../support/service.js';
import { demoImage, drainWorker } from './helpers.ts';

// Compile-time checks (npm run client:typecheck): results and variables are typed from the schema.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type PredictResult = ResultOf<typeof PredictMutation>['predict'];
const typeChecks: [
  Equal<Extract<PredictResult, { __typename: 'PredictSuccess' }>['data']['top1']['label'], string>,
  Equal<Extract<PredictResult, { __typename: 'NotFoundError' }>['code'], import('../../client/sdk/index.ts').ApiErrorCode>,
  Equal<ExplanationData['status'], 'CANCELLED' | 'FAILED' | 'QUEUED' | 'RUNNING' | 'SUCCEEDED'>,
  Equal<ExplanationData['progress'], number>,
  Equal<ExplanationData['caption'], string | null>,
] = [true, true, true, true, true];
void typeChecks;

describe('client SDK on a real service', () => {
  let svc: TestService;
  let xai: XaiClient;
  let demoModelId: string;
  let imageId: string;
  /** A job on the uploaded demo image with the demo model. */
  const explainDemo = (job: Pick<Parameters<XaiClient['requestExplanation']>[0], 'method' | 'seed' | 'parameters'>) =>
    xai.requestExplanation({ image: imageId, model: demoModelId, ...job });

  before(async () => {
    svc = await startTestService({ jobs: true, env: { XAI_JOB_CONCURRENCY: '1' } });
    xai = createXaiClient({ url: svc.url, WebSocket });
  });
  after(async () => {
    await xai?.dispose();
    await svc?.close();
  });

  test('viewer, models and modelByName', async () => {
    const viewer = await xai.viewer();
    assert.equal(viewer.open, true);
    const models = await xai.query(ModelsQuery, { first: 10, filter: { builtin: true } });
    const demo = models.models.edges.find((e) => e.node.name === 'demo-shapes');
    assert.ok(demo, JSON.stringify(models));
    assert.equal(demo.node.input.width, 224);
    const byName = await xai.modelByName('demo-shapes');
    assert.equal(byName?.id, demo.node.id);
    assert.equal(await xai.modelByName('no-such-model'), null);
    demoModelId = demo.node.id;
  });

  test('upload the demo image (multipart), predict with demo-shapes: the expected label', async () => {
    const img = await demoImage('red-square');
    const image = await xai.uploadImage(img.png, 'red-square.png'); // a Buffer
    assert.equal(image.width, 224);
    assert.equal(image.format, 'png');
    assert.equal(image.originalName, 'red-square.png');
    imageId = image.id;

    // Same bytes as a Blob: content-addressed, same image.
    const again = await xai.uploadImage(new Blob([new Uint8Array(img.png)], { type: 'image/png' }), 'again.png');
    assert.equal(again.id, image.id);

    const prediction = await xai.predict({ image: image.id, model: demoModelId, topK: 3 });
    assert.equal(prediction.top1.label, img.expectedLabel);
    assert.equal(prediction.classes.length, 3);
    assert.ok(prediction.top1.probability > 0.5);

    // The raw typed document, unwrapped by hand.
    const raw = await xai.mutate(PredictMutation, { input: { image: image.id, model: demoModelId, topK: 1 } });
    assert.equal(raw.predict.__typename, 'PredictSuccess');
    assert.equal(unwrap(raw.predict).top1.label, img.expectedLabel);

    const stored = await xai.image(image.id);
    assert.equal(stored?.sha256, image.sha256);
    const bytes = await xai.download(image.url);
    assert.equal(bytes.byteLength, image.byteSize);
  });

  test('typed errors: Error union members become XaiError with code and message', async () => {
    const missing = await xai.mutate(PredictMutation, { input: { image: imageId, model: 'TW9kZWw6bm9wZQ==', topK: 1 } });
    assert.equal(missing.predict.__typename, 'NotFoundError');
    assert.throws(
      () => unwrap(missing.predict),
      (e: unknown) => e instanceof XaiError && e.code === 'NOT_FOUND' && e.typename === 'NotFoundError' && /Model|not/.test(e.message),
    );

    await assert.rejects(xai.uploadImage(new TextEncoder().encode('definitely not an image'), 'x.png'), (e: unknown) => isXaiError(e, 'INVALID_IMAGE'));

    await assert.rejects(
      xai.predict({ image: imageId, model: demoModelId, topK: 0 }),
      (e: unknown) => isXaiError(e, 'INVALID_ARGUMENT') && e.field !== undefined,
    );

    // GraphQL errors (here: a required variable missing) are XaiErrors too.
    await assert.rejects(
      xai.query(ExplanationQuery, {} as { id: string }),
      (e: unknown) => e instanceof XaiError && e.code === 'GRAPHQL_ERROR' && /\$id/.test(e.message),
    );
  });

  test('watchExplanation: progress events and the terminal SUCCEEDED of a LIME job; explanation and explanations queries', async () => {
    const requested = await explainDemo({ method: 'LIME', seed: 11, parameters: { lime: { numSamples: 300 } } });
    assert.ok(['QUEUED', 'RUNNING'].includes(requested.status));
    const events: ExplanationData[] = [];
    const watch = xai.watchExplanation(requested.id, (e) => events.push(e));
    const final = await watch.done;

    assert.equal(final.status, 'SUCCEEDED', JSON.stringify(final.error));
    assert.equal(events.at(-1), final);
    const running = events.filter((e) => e.status === 'RUNNING');
    assert.ok(running.length >= 3, `progress events: ${events.map((e) => `${e.status}:${e.progress}`).join(' ')}`);
    assert.ok(running.some((e) => e.progress > 0 && e.progress < 1));
    for (let i = 1; i < events.length; i++) assert.ok(events[i].progress >= events[i - 1].progress, 'progress never goes back');
    assert.ok(final.artifacts.some((a) => a.kind === 'HEATMAP' && a.mediaType === 'image/png'));
    assert.ok((final.samplesDone ?? 0) > 0 && (final.samplesDone ?? 0) <= 300, String(final.samplesDone));
    assert.match(final.caption ?? '', /red/);

    const byId = await xai.explanation(requested.id);
    assert.equal(byId?.status, 'SUCCEEDED');
    assert.deepEqual(byId?.targetClasses, final.targetClasses);

    const filtered = await xai.query(ExplanationsQuery, { first: 10, filter: { image: imageId, method: 'LIME', status: ['SUCCEEDED'] } });
    assert.ok(filtered.explanations.edges.some((e) => e.node.id === requested.id));
    const none = await xai.explanations({ first: 10, filter: { method: 'KERNEL_SHAP' } });
    assert.equal(none.edges.length, 0);

    // A late watcher gets the current (terminal) state at once.
    const late = await xai.watchExplanation(requested.id).done;
    assert.equal(late.status, 'SUCCEEDED');
  });

  test('cancelExplanation and retryExplanation', async () => {
    const e = await explainDemo({ method: 'KERNEL_SHAP', seed: 3, parameters: { kernelShap: { nsamples: 4000, batchSize: 10 } } });
    const watch = xai.watchExplanation(e.id, (u) => {
      if (u.status === 'RUNNING' && (u.samplesDone ?? 0) > 0) xai.cancelExplanation(e.id).catch(() => {});
    });
    const cancelled = await watch.done;
    assert.equal(cancelled.status, 'CANCELLED');

    const retried = await xai.retryExplanation(e.id);
    assert.ok(['QUEUED', 'RUNNING'].includes(retried.status));
    await xai.cancelExplanation(e.id);
    assert.equal((await xai.watchExplanation(e.id).done).status, 'CANCELLED');

    await assert.rejects(xai.retryExplanation(imageId), (err: unknown) => err instanceof XaiError);
    await drainWorker(xai, imageId, demoModelId);
  });

  test('watchExplanation of an unknown id rejects with an XaiError', async () => {
    const w = xai.watchExplanation(Buffer.from('Explanation:nope').toString('base64'));
    await assert.rejects(w.done, (e: unknown) => e instanceof XaiError);
  });
});

describe('client SDK with API keys', () => {
  const ADMIN = 'admin-secret-for-client-tests-0123456789';
  let svc: TestService;

  before(async () => {
    svc = await startTestService({ env: { XAI_AUTH: 'required', XAI_ADMIN_KEY: ADMIN } });
    const { ensureAdminKey } = await import('../../src/services/keys.js');
    await ensureAdminKey(svc.app, ADMIN);
  });
  after(async () => svc?.close());

  test('Authorization: Bearer over HTTP and connectionParams over the websocket', async () => {
    const anon = createXaiClient({ url: svc.url, WebSocket });
    await assert.rejects(anon.viewer(), (e: unknown) => isXaiError(e, 'UNAUTHENTICATED'));
    const w = anon.watchExplanation(Buffer.from('Explanation:x').toString('base64'));
    await assert.rejects(w.done, (e: unknown) => isXaiError(e, 'UNAUTHENTICATED'));
    await anon.dispose();

    const admin = createXaiClient({ url: `${svc.url}/graphql`, apiKey: ADMIN, WebSocket });
    assert.equal((await admin.viewer()).role, 'ADMIN');
    // Over the websocket the key is accepted: an unknown id fails with a GraphQL error, not a refusal.
    const w2 = admin.watchExplanation(Buffer.from('Explanation:x').toString('base64'));
    await assert.rejects(w2.done, (e: unknown) => e instanceof XaiError && e.code !== 'UNAUTHENTICATED');

    // A VIEWER key may read but not request explanations: FORBIDDEN.
    const created = await svc.gql(
      `mutation { createApiKey(name: "sdk", role: VIEWER) { ... on CreateApiKeySuccess { data { secret } } } }`,
      {},
      { key: ADMIN },
    );
    const viewer = createXaiClient({ url: svc.url, apiKey: created.data.createApiKey.data.secret, WebSocket });
    assert.equal((await viewer.viewer()).role, 'VIEWER');
    const model = await viewer.modelByName('demo-shapes');
    const image = (await viewer.images({ first: 1 })).edges[0].node;
    await assert.rejects(
      viewer.requestExplanation({ image: image.id, model: model!.id, method: 'GRAD_CAM' }),
      (e: unknown) => isXaiError(e, 'FORBIDDEN'),
    );
    await viewer.dispose();
    await admin.dispose();
  });
});
