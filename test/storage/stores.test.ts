// The artifact store contract on both implementations, and the S3 store's own duties: another node
// reads what one node wrote, downloads are verified, the local cache is bounded and survives restarts,
// and an unreachable server gives a typed, explained error.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { text } from 'node:stream/consumers';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { loadConfig, type ArtifactStoreConfig } from '../../src/config.js';
import { StorageUnavailableError } from '../../src/errors.js';
import { sha256Hex, type BlobStore } from '../../src/storage/blobs.js';
import { DirectoryStore } from '../../src/storage/directory.js';
import { S3Store } from '../../src/storage/s3.js';
import { S3_BUCKET, startS3, type TestS3 } from '../support/s3.js';
import { tmpDir } from '../support/tmp.js';

type S3Config = Extract<ArtifactStoreConfig, { kind: 's3' }>;

let s3: TestS3;
before(async () => {
  s3 = await startS3();
});
after(() => s3.stop());

/** A store as a node configured with these settings would open it. */
function s3Store(prefix: string, env: Record<string, string> = {}, override: Partial<S3Config> = {}): S3Store {
  const c = loadConfig({ ...s3.env(prefix), XAI_DATA_DIR: tmpDir('xai-node-'), ...env }).artifacts as S3Config;
  return new S3Store({ ...c, ...override });
}

const blob = (n: number) => new Uint8Array(randomBytes(n));

for (const [name, make] of [
  ['directory', () => new DirectoryStore(tmpDir('xai-dir-store-'))],
  ['S3', () => s3Store(`contract-${randomBytes(4).toString('hex')}`)],
] as [string, () => BlobStore][]) {
  describe(`${name} store contract`, () => {
    test('put is content-addressed and idempotent; read, open and localFile return the bytes', async () => {
      const store = make();
      await store.check();
      const bytes = blob(5000);
      const a = await store.put('artifacts', bytes, '.png');
      const b = await store.put('artifacts', bytes, '.png');
      assert.deepEqual(a, b);
      assert.equal(a.key, `artifacts/${a.sha256.slice(0, 2)}/${a.sha256}.png`);
      assert.equal(a.sha256, sha256Hex(bytes));
      assert.deepEqual(new Uint8Array(await store.read(a.key)), bytes);
      assert.deepEqual(new Uint8Array(await readFile(await store.localFile(a.key))), bytes);
      const opened = await store.open(a.key);
      assert.equal(opened?.size, 5000);
      assert.equal((await text(opened!.stream())).length > 0, true);
    });

    test('open of an absent blob is null; malformed keys are refused', async () => {
      const store = make();
      await store.check();
      assert.equal(await store.open(`images/ab/${'ab'.padEnd(64, '0')}.png`), null);
      await assert.rejects(store.open('../../etc/passwd'), /not a blob key/);
    });
  });
}

describe('S3 store', () => {
  test('a second node reads what the first wrote, verified, with one download for concurrent readers', async () => {
    const writer = s3Store('shared');
    const reader = s3Store('shared');
    const bytes = blob(200_000);
    const { key } = await writer.put('models', bytes, '.onnx');
    const paths = await Promise.all(Array.from({ length: 5 }, () => reader.localFile(key)));
    assert.equal(new Set(paths).size, 1);
    assert.ok(paths[0].startsWith(reader.cache.root), 'served from the reader’s own cache');
    assert.deepEqual(new Uint8Array(await readFile(paths[0])), bytes);
  });

  test('a corrupted object is detected on download and never enters the cache', async () => {
    const writer = s3Store('corrupt');
    const { key } = await writer.put('images', blob(3000), '.png');
    const raw = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    await raw.send(new PutObjectCommand({ Bucket: S3_BUCKET, Key: `corrupt/${key}`, Body: blob(3000) }));
    const reader = s3Store('corrupt');
    await assert.rejects(reader.read(key), (e: unknown) => e instanceof StorageUnavailableError && /is corrupt/.test(e.message));
    assert.equal(await reader.cache.get(key), null);
    assert.deepEqual(await writer.read(key).then((b) => b.length), 3000, 'the writer still has its verified copy');
  });

  test('the local cache stays within its budget, evicting the least recently used; models are kept', async () => {
    const store = s3Store('lru', { XAI_ARTIFACT_CACHE_MB: '0' }); // budget 0: everything unpinned goes
    const model = await store.put('models', blob(10_000), '.onnx');
    const images = [];
    for (let i = 0; i < 3; i++) images.push(await store.put('images', blob(1000), '.png'));
    assert.equal(store.cache.usedBytes, 0);
    assert.notEqual(await store.cache.get(model.key), null, 'models stay on disk for onnxruntime');
    assert.equal(await store.cache.get(images[0].key), null);
    assert.equal((await store.read(images[0].key)).length, 1000, 'an evicted blob is downloaded again');
  });

  test('budgeted cache keeps the most recently used blobs', async () => {
    const store = s3Store('lru2', {}, { cacheBytes: 2500 });
    const a = await store.put('images', blob(1000), '.png');
    const b = await store.put('images', blob(1000), '.png');
    await store.read(a.key); // a is now more recent than b
    const c = await store.put('images', blob(1000), '.png');
    assert.ok(store.cache.usedBytes <= 2500);
    assert.notEqual(await store.cache.get(a.key), null);
    assert.equal(await store.cache.get(b.key), null, 'the least recently used blob was evicted');
    assert.notEqual(await store.cache.get(c.key), null);
  });

  test('the cache survives a restart and serves while the server is down; uncached reads fail clearly', async () => {
    const dataDir = tmpDir('xai-node-');
    const env = { ...s3.env('offline'), XAI_DATA_DIR: dataDir };
    const cfg = () => loadConfig(env).artifacts as S3Config;
    const first = new S3Store(cfg());
    const cached = await first.put('artifacts', blob(4000), '.png');
    const other = await s3Store('offline').put('artifacts', blob(4000), '.png');
    await s3.stop();
    try {
      const restarted = new S3Store(cfg());
      assert.equal((await restarted.read(cached.key)).length, 4000);
      assert.equal(restarted.cache.usedBytes, 4000);
      await assert.rejects(restarted.read(other.key), (e: unknown) => e instanceof StorageUnavailableError && e.code === 'STORAGE_UNAVAILABLE' && e.message.includes(s3.endpoint));
      await assert.rejects(restarted.put('images', blob(10), '.png'), StorageUnavailableError);
      await assert.rejects(restarted.check(), /could not check the bucket/);
    } finally {
      await s3.restart();
    }
    const again = new S3Store(cfg());
    assert.equal((await again.read(other.key)).length, 4000, 'back online: the download works');
  });

  test('a missing bucket is reported at start', async () => {
    const c = loadConfig({ ...s3.env(), XAI_ARTIFACT_STORE: 's3://no-such-bucket', XAI_DATA_DIR: tmpDir('xai-node-') }).artifacts;
    await assert.rejects(new S3Store(c as S3Config).check(), /no-such-bucket.*the bucket does not exist/);
  });

  test('unknown credentials are reported as access denied, at start and on use', async () => {
    const store = s3Store('creds', { AWS_ACCESS_KEY_ID: 'NOT-A-KEY' });
    await assert.rejects(store.check(), /could not check the bucket: access denied \(check the AWS_\* credentials\)/);
    await assert.rejects(store.put('images', blob(10), '.png'), (e: unknown) => e instanceof StorageUnavailableError && /access denied/.test(e.message));
  });

  test('configuration: s3 URLs, prefixes and endpoints are validated', () => {
    const c = loadConfig({ XAI_ARTIFACT_STORE: 's3://lab-artifacts/xai/prod/', XAI_DATA_DIR: '/tmp/x' }).artifacts;
    assert.equal(c.kind, 's3');
    assert.deepEqual(c.kind === 's3' && [c.bucket, c.prefix, c.forcePathStyle, c.endpoint, c.credentials], ['lab-artifacts', 'xai/prod/', false, null, null]);
    assert.throws(() => loadConfig({ XAI_ARTIFACT_STORE: 's3://A_b' }), /XAI_ARTIFACT_STORE must look like/);
    assert.throws(() => loadConfig({ XAI_ARTIFACT_STORE: 's3://okay', XAI_S3_ENDPOINT: 'localhost:9000' }), /XAI_S3_ENDPOINT must be an http/);
    assert.deepEqual(loadConfig({ XAI_ARTIFACT_STORE: '/srv/xai' }).artifacts, { kind: 'directory', dir: '/srv/xai' });
  });
});
