// The service on an S3-compatible artifact store (a real s3rver process): uploads, models and job
// artifacts land in the bucket and are served back; while the bucket is unreachable, writes fail with
// a typed STORAGE_UNAVAILABLE error, what is cached keeps working, and nothing stored is lost.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { loadConfig, type ArtifactStoreConfig } from '../../src/config.js';
import { buildDemoModel } from '../../src/engine/demo/index.js';
import { decodeModel, encodeModel } from '../../src/engine/onnx/proto.js';
import { S3Store } from '../../src/storage/s3.js';
import { spawnScript } from '../support/processes.js';
import { startS3, type TestS3 } from '../support/s3.js';
import { startTestService, type TestService } from '../support/service.js';
import { tmpDir } from '../support/tmp.js';
import { waitUntil } from '../jobs/support.js';
import { COUNTS, REGISTER_MODEL, REQUEST_EXPLANATION, UPLOAD_IMAGE } from './operations.js';

const EXPLANATION = `query($id: ID!) { explanation(id: $id) { id status error { code message } artifacts { name url } } }`;

describe('service on an S3 artifact store', () => {
  let s3: TestS3;
  let svc: TestService;
  /** Another machine's view of the bucket: proves the objects are really there, not only cached. */
  let otherNode: S3Store;
  let demoModel: string;
  let demoImage: string;

  before(async () => {
    s3 = await startS3();
    svc = await startTestService({ env: s3.env('lab'), jobs: true });
    otherNode = new S3Store(loadConfig({ ...s3.env('lab'), XAI_DATA_DIR: tmpDir('xai-other-') }).artifacts as Extract<ArtifactStoreConfig, { kind: 's3' }>);
    const d = (await svc.gql(`{ images(first: 1) { edges { node { id } } } models { edges { node { id } } } }`)).data;
    demoImage = d.images.edges[0].node.id;
    demoModel = d.models.edges[0].node.id;
  });
  after(async () => {
    await svc?.close();
    await s3?.stop();
  });

  const png = (r: number, g: number, b: number) =>
    sharp({ create: { width: 64, height: 48, channels: 3, background: { r, g, b } } })
      .png()
      .toBuffer();
  const upload = async (bytes: Buffer) => (await svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes, name: 'x.png' } })).data.uploadImage;
  const explain = async (image: string, method = 'GRAD_CAM', parameters = {}) => {
    const r = await svc.gql(REQUEST_EXPLANATION, { input: { image, model: demoModel, method, parameters } });
    return r.data.requestExplanation.data.id as string;
  };
  const finished = (id: string) =>
    waitUntil(async () => {
      const e = (await svc.gql(EXPLANATION, { id })).data.explanation;
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.status) && e;
    });

  test('uploads, the demo model and job artifacts are stored in the bucket and served back', async () => {
    const bytes = await png(200, 30, 30);
    const image = (await upload(bytes)).data;
    const storageKey = image.url.replace('/files/', '');
    assert.deepEqual(await otherNode.read(storageKey), bytes, 'the upload is in the bucket');
    const model = await svc.app.prisma.model.findFirstOrThrow();
    assert.equal((await otherNode.read(model.fileKey)).length, model.byteSize, 'the seeded model is in the bucket');

    const e = await finished(await explain(image.id));
    assert.equal(e.status, 'SUCCEEDED', JSON.stringify(e.error));
    for (const a of e.artifacts) {
      const served = Buffer.from(await (await fetch(svc.url + a.url)).arrayBuffer());
      assert.deepEqual(served, await otherNode.read(a.url.replace('/files/', '')), `${a.name} served as stored`);
    }
  });

  test('bucket unreachable: typed errors, the service keeps serving what it has, nothing is lost', async () => {
    const before = (await svc.gql(COUNTS)).data;
    const done = await finished(await explain(demoImage));
    assert.equal(done.status, 'SUCCEEDED');
    await s3.stop();
    let down = true;
    try {
      const up = await upload(await png(10, 200, 10));
      assert.equal(up.__typename, 'StorageUnavailableError');
      assert.equal(up.code, 'STORAGE_UNAVAILABLE');
      assert.match(up.message, new RegExp(s3.endpoint.replace(/[.]/g, '\\.')));

      const copy = decodeModel(buildDemoModel().onnx);
      copy.docString = 'a valid model the bucket does not hold yet';
      const reg = await svc.upload(REGISTER_MODEL, { input: { name: 'demo-copy', file: null } }, { 'input.file': { bytes: encodeModel(copy), name: 'demo.onnx' } });
      assert.equal(reg.data.registerModel.__typename, 'StorageUnavailableError');

      // Inputs are cached on this node, so the job runs; storing its new artifacts fails, typed.
      const failed = await finished(await explain(demoImage, 'LIME', { lime: { numSamples: 60 } }));
      assert.equal(failed.status, 'FAILED', JSON.stringify(failed));
      assert.equal(failed.error.code, 'STORAGE_UNAVAILABLE');

      const cached = await fetch(svc.url + done.artifacts[0].url);
      assert.equal(cached.status, 200, 'cached artifacts are still served');
      const uncached = await fetch(svc.url + `/files/artifacts/ab/${'ab'.padEnd(64, 'c')}.png`);
      assert.equal(uncached.status, 503);
      assert.equal((await fetch(svc.url + '/healthz')).status, 200);
      assert.deepEqual((await svc.gql(COUNTS)).data, before, 'no half-created rows');

      await s3.restart();
      down = false;
      const retried = await svc.gql(`mutation($id: ID!) { retryExplanation(id: $id) { __typename } }`, { id: failed.id });
      assert.equal(retried.data.retryExplanation.__typename, 'RetryExplanationSuccess');
      const again = await finished(failed.id);
      assert.equal(again.status, 'SUCCEEDED', 'retry after the outage succeeds');
      assert.equal((await upload(await png(10, 200, 10))).__typename, 'UploadImageSuccess');
    } finally {
      if (down) await s3.restart();
    }
  });

  test('a service pointed at a missing bucket refuses to start, naming the cause', async () => {
    const p = spawnScript('src/main.ts', { ...s3.env(), XAI_ARTIFACT_STORE: 's3://no-such-bucket', XAI_DATA_DIR: tmpDir('xai-nostart-'), PORT: '0' });
    await p.waitFor(/cannot start: artifact store s3:\/\/no-such-bucket\/ at http:\S+: could not check the bucket: the bucket does not exist/);
    await new Promise((r) => (p.proc.exitCode !== null ? r(null) : p.proc.once('exit', r)));
    assert.equal(p.proc.exitCode, 1);
  });
});
