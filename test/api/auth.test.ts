// API keys and roles over HTTP and websocket, the open-mode rule, and upload size limits.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { WebSocket } from 'ws';
import { createClient } from 'graphql-ws';
import { ConfigError, loadConfig } from '../../src/config.js';
import { demoImageSet } from '../../src/engine/demo/index.js';
import { REGISTER_MODEL, REQUEST_EXPLANATION, UPLOAD_IMAGE } from './operations.js';
import { suiteService } from './suite-service.js';

const ADMIN = 'test-admin-secret-0123456789';

describe('API keys and roles', () => {
  const svc = suiteService({ env: { XAI_AUTH: 'required', XAI_ADMIN_KEY: ADMIN } });
  let viewer: string;
  let researcher: string;
  let png: Buffer;

  before(async () => {
    const { ensureAdminKey } = await import('../../src/services/keys.js');
    await ensureAdminKey(svc.app, ADMIN);
    const mk = async (role: string) =>
      (await svc.gql(`mutation($r: Role!) { createApiKey(name: "t", role: $r) { ... on CreateApiKeySuccess { data { secret role } } } }`, { r: role }, { key: ADMIN }))
        .data.createApiKey.data.secret as string;
    viewer = await mk('VIEWER');
    researcher = await mk('RESEARCHER');
    png = (await demoImageSet())[0].png;
  });

  test('missing, malformed and wrong keys are refused with 401', async () => {
    for (const [key, pattern] of [
      [null, /missing API key/],
      ['not-a-key', /invalid or revoked/],
    ] as const) {
      const r = await svc.gql(`{ viewer { role } }`, {}, { key });
      assert.equal(r.status, 401);
      assert.equal(r.errors?.[0].extensions?.code, 'UNAUTHENTICATED');
      assert.match(r.errors![0].message, pattern);
    }
    const res = await fetch(`${svc.url}/graphql`, { method: 'POST', headers: { authorization: 'Basic abc', 'content-type': 'application/json' }, body: '{"query":"{ viewer { role } }"}' });
    assert.equal(res.status, 401);
    assert.match(((await res.json()) as any).errors[0].message, /malformed/);
  });

  test('an unauthenticated upload is refused before it is stored', async () => {
    const r = await svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: png, name: 'x.png' } }, { key: null });
    assert.equal(r.status, 401);
    const count = await svc.app.prisma.image.count();
    const again = await svc.gql(`{ images { edges { node { id } } } }`, {}, { key: viewer });
    assert.equal(again.data.images.edges.length, count);
  });

  test('viewers query; researchers upload and request explanations; only admins register models', async () => {
    assert.equal((await svc.gql(`{ viewer { role open } }`, {}, { key: viewer })).data.viewer.role, 'VIEWER');
    const denied = await svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: png, name: 'x.png' } }, { key: viewer });
    assert.equal(denied.errors?.[0].extensions?.code, 'FORBIDDEN');

    const up = await svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: png, name: 'x.png' } }, { key: researcher });
    const imageId = up.data.uploadImage.data.id;
    const model = (await svc.gql(`{ models { edges { node { id } } } }`, {}, { key: viewer })).data.models.edges[0].node.id;
    const ex = await svc.gql(REQUEST_EXPLANATION, { input: { image: imageId, model, method: 'GRAD_CAM' } }, { key: researcher });
    assert.equal(ex.data.requestExplanation.data.status, 'QUEUED');
    const exViewer = await svc.gql(REQUEST_EXPLANATION, { input: { image: imageId, model, method: 'GRAD_CAM' } }, { key: viewer });
    assert.equal(exViewer.errors?.[0].extensions?.code, 'FORBIDDEN');

    const { buildDemoModel } = await import('../../src/engine/demo/index.js');
    const reg = (key: string) =>
      svc.upload(REGISTER_MODEL, { input: { name: `demo-copy-${key.length}`, file: null } }, { 'input.file': { bytes: buildDemoModel().onnx, name: 'demo.onnx' } }, { key });
    assert.equal((await reg(researcher)).errors?.[0].extensions?.code, 'FORBIDDEN');
    assert.equal((await reg(ADMIN)).data.registerModel.data.numClasses, 5);
    const keyByResearcher = await svc.gql(`mutation { createApiKey(name: "x", role: ADMIN) { __typename } }`, {}, { key: researcher });
    assert.equal(keyByResearcher.errors?.[0].extensions?.code, 'FORBIDDEN');
  });

  test('websocket: connectionParams carry the key; no key or a wrong key closes the connection', async () => {
    const url = svc.url.replace('http', 'ws') + '/graphql';
    // Accepted means acknowledged: the server acks a connection only after checking its key, and closes
    // it with 4403 otherwise, so neither outcome depends on how quickly it answers.
    const first = (params: Record<string, unknown>) =>
      new Promise<any>((resolve) => {
        let stop = () => {};
        const client = createClient({
          url,
          webSocketImpl: WebSocket,
          retryAttempts: 0,
          connectionParams: params,
          lazy: true,
          on: {
            connected: () => {
              resolve({ open: true });
              stop();
              client.dispose();
            },
          },
        });
        stop = client.subscribe(
          { query: `subscription { explanationsUpdated { id } }` },
          {
            next: (v) => resolve({ value: v }),
            error: (e) => resolve({ error: e }),
            complete: () => resolve({ complete: true }),
          },
        );
      });
    assert.equal((await first({})).error?.code, 4403);
    assert.equal((await first({ authorization: 'Bearer wrong' })).error?.code, 4403);
    assert.deepEqual(await first({ authorization: `Bearer ${viewer}` }), { open: true });
    assert.deepEqual(await first({ apiKey: viewer }), { open: true });
  });
});

describe('open mode', () => {
  test('is the default on localhost only, and cannot be forced on a public address', () => {
    assert.equal(loadConfig({ HOST: '127.0.0.1' }).auth, 'open');
    assert.equal(loadConfig({ HOST: '0.0.0.0' }).auth, 'required');
    assert.throws(() => loadConfig({ HOST: '0.0.0.0', XAI_AUTH: 'open' }), ConfigError);
  });
});

describe('upload size limits', () => {
  const svc = suiteService({ seed: false, env: { XAI_MAX_IMAGE_BYTES: '4000', XAI_MAX_MODEL_BYTES: '4000' } });

  test('over the image limit: typed error; over the request limit: 413 before reading the body', async () => {
    const noisy = await sharp(randomBytes(64 * 64 * 3), { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer();
    assert.ok(noisy.length > 4000);
    const r = await svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: noisy, name: 'big.png' } });
    assert.equal(r.data.uploadImage.code, 'UPLOAD_TOO_LARGE');
    const huge = await svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: new Uint8Array(3 * 1024 * 1024), name: 'huge.png' } });
    assert.equal(huge.status, 413);
    assert.equal(huge.errors?.[0].extensions?.code, 'UPLOAD_TOO_LARGE');
    assert.equal(await svc.app.prisma.image.count(), 0);
    assert.equal((await svc.gql(`{ viewer { role } }`)).data.viewer.role, 'ADMIN', 'still serving');
  });
});

describe('Server-Sent Events', () => {
  const svc = suiteService({ demoImage: true });

  test('subscriptions also work over SSE through yoga', async () => {
    const e = (await svc.gql(REQUEST_EXPLANATION, { input: { ...svc.demo, method: 'LIME' } })).data.requestExplanation.data;
    const ac = new AbortController();
    const res = await fetch(`${svc.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: `subscription($id: ID!) { explanationUpdated(id: $id) { id status } }`, variables: { id: e.id } }),
      signal: ac.signal,
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('QUEUED')) text += new TextDecoder().decode((await reader.read()).value);
    assert.match(text, new RegExp(`"id":"${e.id}"`));
    ac.abort();
  });
});
