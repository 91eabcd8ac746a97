// Issue 14, case 11: with API keys, /files needs a key or a signed link that has not expired; a content
// hash alone opens nothing. Links signed with XAI_FILES_SECRET work on every node that has the secret.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { createXaiClient } from '../../client/sdk/index.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { demoImageSet } from '../../src/engine/demo/index.js';
import { fileUrl } from '../../src/http/urls.js';
import { startKeyedService, type KeyedService } from '../support/auth.js';
import { startTestService, type TestService } from '../support/service.js';
import { UPLOAD_IMAGE } from './operations.js';

const SECRET = 'files-secret-for-tests-0123456789abcdef';

describe('/files with API keys', () => {
  let k: KeyedService;
  let viewer: string;
  let image: { url: string; sha256: string; byteSize: number };
  let storageKey: string;
  let otherNode: TestService;
  let foreignNode: TestService;

  before(async () => {
    k = await startKeyedService({ env: { XAI_FILES_SECRET: SECRET } });
    viewer = await k.key('VIEWER');
    const researcher = await k.key('RESEARCHER');
    const up = await k.svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: (await demoImageSet())[2].png, name: 'x.png' } }, { key: researcher });
    image = up.data.uploadImage.data;
    storageKey = (await k.svc.app.prisma.image.findUniqueOrThrow({ where: { sha256: image.sha256 } })).storageKey;
    // Another API node on the same artifact directory with the same secret, and one with another secret.
    const shared = k.svc.app.blobs.location;
    otherNode = await startTestService({ seed: false, env: { XAI_AUTH: 'required', XAI_FILES_SECRET: SECRET, XAI_ARTIFACT_STORE: shared } });
    foreignNode = await startTestService({ seed: false, env: { XAI_AUTH: 'required', XAI_FILES_SECRET: `${SECRET}-other`, XAI_ARTIFACT_STORE: shared } });
  });
  after(async () => {
    await otherNode?.close();
    await foreignNode?.close();
    await k?.svc.close();
  });

  test('the url field is a signed link that loads without a header, as an <img> does', async () => {
    assert.match(image.url, /^\/files\/images\/[0-9a-f]{2}\/[0-9a-f]{64}\.png\?exp=\d+&sig=[\w-]+$/);
    const res = await fetch(k.svc.url + image.url);
    assert.equal(res.status, 200);
    assert.equal((await res.arrayBuffer()).byteLength, image.byteSize);
    assert.match(res.headers.get('cache-control') ?? '', /^private, .*immutable/);
    assert.equal((await fetch(otherNode.url + image.url)).status, 200, 'another node with the same secret serves the link');
    assert.equal((await fetch(foreignNode.url + image.url)).status, 401, 'a node with another secret does not');
  });

  test('the content hash alone opens nothing, not even a 304', async () => {
    const bare = `${k.svc.url}/files/${storageKey}`;
    assert.equal((await fetch(bare)).status, 401);
    assert.equal((await fetch(bare, { headers: { 'if-none-match': `"${image.sha256}"` } })).status, 401);
    assert.equal((await fetch(bare, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const withKey = await fetch(bare, { headers: { authorization: `Bearer ${viewer}` } });
    assert.equal(withKey.status, 200, 'a key opens it');
  });

  test('tampered, foreign and expired signatures are refused', async () => {
    const u = new URL(k.svc.url + image.url);
    const sig = u.searchParams.get('sig')!;
    const tampered = new URL(u);
    tampered.searchParams.set('sig', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    assert.equal((await fetch(tampered)).status, 401);
    const later = new URL(u);
    later.searchParams.set('exp', String(Number(u.searchParams.get('exp')) + 3600));
    assert.equal((await fetch(later)).status, 401, 'the expiry is signed too');
    const others = (await k.svc.gql(`{ images { edges { node { url } } } }`, {}, { key: viewer })).data.images.edges.map((e: any) => e.node.url as string);
    const other = others.find((x: string) => !x.startsWith(image.url.split('?')[0]))!;
    assert.equal((await fetch(`${k.svc.url}${image.url.split('?')[0]}?${other.split('?')[1]}`)).status, 401, "another file's signature");
    const expired = fileUrl(k.svc.app.config.files, storageKey, Date.now() - 3 * k.svc.app.config.files.ttlSeconds * 1000);
    const res = await fetch(k.svc.url + expired);
    assert.equal(res.status, 401);
    assert.match(await res.text(), /expired/);
  });

  test('the SDK downloads what the url fields name', async () => {
    const xai = createXaiClient({ url: k.svc.url, apiKey: viewer, WebSocket });
    const img = (await xai.images({ first: 1 })).edges[0].node;
    assert.ok((await xai.download(img.url)).byteLength > 0);
    await xai.dispose();
  });

  test('configuration: several nodes need XAI_FILES_SECRET, and it must be long enough', () => {
    assert.throws(() => loadConfig({ HOST: '0.0.0.0', REDIS_URL: 'redis://x' }), ConfigError);
    assert.throws(() => loadConfig({ HOST: '0.0.0.0', XAI_FILES_SECRET: 'short' }), ConfigError);
    assert.equal(loadConfig({ HOST: '0.0.0.0' }).files.secretGenerated, true);
    assert.equal(loadConfig({ HOST: '127.0.0.1' }).files.secret, null, 'open mode signs nothing');
  });
});
