// Issue 14, cases 3 and 5: uploads are streamed to disk up to the configured limits (the README's
// numbers, not yoga's 25,000,000-byte default), over-limit files get the typed UPLOAD_TOO_LARGE, and
// the File scalar accepts nothing but a file part of a multipart request.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, openAsBlob } from 'node:fs';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { demoImageSet } from '../../src/engine/demo/index.js';
import { RawWs, startKeyedService, type KeyedService } from '../support/auth.js';
import { paddedDemoModel } from '../support/models.js';
import { startTestService, type TestService } from '../support/service.js';
import { TORCHVISION_SKIP, torchvisionModel } from '../support/torchvision.js';
import { PREDICT, REGISTER_MODEL, UPLOAD_IMAGE } from './operations.js';

const MiB = 1024 * 1024;

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function leftoverUploads(svc: TestService): Promise<string[]> {
  return readdir(path.join(svc.dataDir, 'uploads')).catch(() => []);
}

/** A multipart POST sent chunked (no Content-Length), so the size is only known while reading. */
function chunkedUpload(url: string, key: string | null, bytes: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const boundary = 'xai-chunked-boundary';
    const head =
      `--${boundary}\r\ncontent-disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: UPLOAD_IMAGE, variables: { file: null } })}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="0"; filename="big.png"\r\ncontent-type: image/png\r\n\r\n`;
    const req = http.request(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.write(head);
    const chunk = Buffer.alloc(64 * 1024, 7);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end(`\r\n--${boundary}--\r\n`);
    };
    pump();
  });
}

describe('uploads at the default limits (25 MiB images, 2 GiB models)', () => {
  let svc: TestService;
  let imageId: string;
  before(async () => {
    svc = await startTestService({ seed: false });
    const up = await svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: (await demoImageSet())[0].png, name: 'demo.png' } });
    imageId = up.data.uploadImage.data.id;
  });
  after(async () => svc?.close());

  test('the configured limits are the README defaults', () => {
    assert.equal(svc.app.config.limits.maxImageBytes, 25 * MiB);
    assert.equal(svc.app.config.limits.maxModelBytes, 2048 * MiB);
  });

  test('an image of more than 25,000,000 bytes within 25 MiB is stored', async () => {
    const png = await sharp({ create: { width: 2890, height: 2890, channels: 3, background: '#369' } }).png({ compressionLevel: 0 }).toBuffer();
    assert.ok(png.length > 25_000_000 && png.length <= 25 * MiB, `${png.length} bytes`);
    const r = await svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: png, name: 'big.png' } });
    assert.equal(r.status, 200, JSON.stringify(r.errors));
    assert.equal(r.data.uploadImage.data.byteSize, png.length);
    assert.equal(r.data.uploadImage.data.width, 2890);
  });

  test('an image over 25 MiB gets the typed UPLOAD_TOO_LARGE, and nothing is stored', async () => {
    const before = await svc.app.prisma.image.count();
    const r = await svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: Buffer.alloc(25 * MiB + 1, 1), name: 'huge.png' } });
    assert.equal(r.status, 200);
    assert.equal(r.data.uploadImage.__typename, 'InvalidImageError');
    assert.equal(r.data.uploadImage.code, 'UPLOAD_TOO_LARGE');
    assert.equal(await svc.app.prisma.image.count(), before);
  });

  test('a 30 MB model upload registers and predicts', async () => {
    const bytes = paddedDemoModel(30_000_000);
    assert.ok(bytes.length > 30_000_000);
    const r = await svc.upload(REGISTER_MODEL, { input: { name: 'padded', file: null } }, { 'input.file': { bytes, name: 'padded.onnx' } });
    const m = r.data?.registerModel?.data;
    assert.ok(m, JSON.stringify(r));
    assert.equal(m.numClasses, 5);
    const p = await svc.gql(PREDICT, { input: { image: imageId, model: m.id, topK: 1 } });
    assert.equal(p.data.predict.data.classes.length, 1);
    const row = await svc.app.prisma.model.findUniqueOrThrow({ where: { id: Buffer.from(m.id, 'base64').toString().split(':')[1] } });
    assert.equal(row.byteSize, bytes.length);
    assert.equal((await svc.app.blobs.read(row.fileKey)).length, bytes.length);
  });

  test('VGG16 (527 MiB) uploads from disk, registers and predicts', async (t) => {
    const file = torchvisionModel('vgg16');
    if (!file) return t.skip(TORCHVISION_SKIP);
    const r = await svc.upload(REGISTER_MODEL, { input: { name: 'vgg16-upload', file: null } }, { 'input.file': { bytes: await openAsBlob(file), name: 'vgg16.onnx' } });
    const m = r.data?.registerModel?.data;
    assert.ok(m, JSON.stringify(r));
    assert.equal(m.numClasses, 1000);
    assert.equal(m.sha256, await sha256OfFile(file));
    const p = await svc.gql(PREDICT, { input: { image: imageId, model: m.id, topK: 3 } });
    assert.equal(p.data.predict.data.classes.length, 3);
  });

  test('no temporary upload file is left behind', async () => {
    assert.deepEqual(await leftoverUploads(svc), []);
  });
});

describe('per-key upload limits with XAI_AUTH=required', () => {
  let k: KeyedService;
  let researcher: string;
  let admin: string;
  before(async () => {
    k = await startKeyedService({ seed: false, env: { XAI_MAX_IMAGE_BYTES: '100000', XAI_MAX_MODEL_BYTES: '3000000' } });
    researcher = await k.key('RESEARCHER');
    admin = await k.key('ADMIN');
  });
  after(async () => k?.svc.close());

  test('within the request limit an oversized image is a typed error; beyond it, 413 before reading', async () => {
    const typed = await k.svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: Buffer.alloc(150_000, 1), name: 'a.png' } }, { key: researcher });
    assert.equal(typed.data.uploadImage.code, 'UPLOAD_TOO_LARGE');
    assert.match(typed.data.uploadImage.message, /more than 100000 bytes; the limit is 100000/);
    const refused = await k.svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: Buffer.alloc(2 * MiB, 1), name: 'b.png' } }, { key: researcher });
    assert.equal(refused.status, 413);
    assert.equal(refused.errors?.[0].extensions?.code, 'UPLOAD_TOO_LARGE');
  });

  test('a chunked upload without Content-Length is cut off at the limit with 413', async () => {
    const r = await chunkedUpload(k.svc.url, researcher, 3 * MiB);
    assert.equal(r.status, 413, r.body);
    assert.equal(JSON.parse(r.body).errors[0].extensions.code, 'UPLOAD_TOO_LARGE');
    assert.equal((await k.svc.gql('{ viewer { role } }', {}, { key: researcher })).data.viewer.role, 'RESEARCHER', 'still serving');
  });

  test('admins upload models up to XAI_MAX_MODEL_BYTES; above it the typed UPLOAD_TOO_LARGE', async () => {
    const ok = await k.svc.upload(REGISTER_MODEL, { input: { name: 'fits', file: null } }, { 'input.file': { bytes: paddedDemoModel(2_500_000), name: 'm.onnx' } }, { key: admin });
    assert.equal(ok.data.registerModel.data?.numClasses, 5, JSON.stringify(ok));
    const big = await k.svc.upload(REGISTER_MODEL, { input: { name: 'too-big', file: null } }, { 'input.file': { bytes: paddedDemoModel(3_500_000), name: 'm.onnx' } }, { key: admin });
    assert.equal(big.data.registerModel.__typename, 'InvalidModelError');
    assert.equal(big.data.registerModel.code, 'UPLOAD_TOO_LARGE');
    assert.equal(await k.svc.app.prisma.model.count({ where: { name: 'too-big' } }), 0);
  });

  test('a JSON body over XAI_MAX_REQUEST_BYTES is refused with 413', async () => {
    const r = await k.svc.gql('query($x: String) { viewer { role } }', { x: 'x'.repeat(2 * MiB) }, { key: researcher });
    assert.equal(r.status, 413);
    assert.equal(r.errors?.[0].extensions?.code, 'REQUEST_TOO_LARGE');
  });

  test('no temporary upload file is left behind', async () => {
    assert.deepEqual(await leftoverUploads(k.svc), []);
  });
});

describe('the File scalar takes only files', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService({ seed: false });
  });
  after(async () => svc?.close());

  const multipart = (operations: string, map: string, files: Record<string, Buffer> = {}) => {
    const form = new FormData();
    form.append('operations', operations);
    form.append('map', map);
    for (const [name, bytes] of Object.entries(files)) form.append(name, new Blob([bytes as Uint8Array<ArrayBuffer>]), `${name}.png`);
    return fetch(`${svc.url}/graphql`, { method: 'POST', body: form });
  };
  const ops = (variables: unknown) => JSON.stringify({ query: UPLOAD_IMAGE, variables });

  test('a string, an object or a literal in place of a file: a typed INVALID_ARGUMENT error', async () => {
    for (const f of ['hello', { a: { b: { c: 1 } } }, [1, 2]]) {
      const r = await svc.gql(UPLOAD_IMAGE, { file: f });
      assert.equal(r.errors?.[0].extensions?.code, 'INVALID_ARGUMENT', `${JSON.stringify(f)}: ${JSON.stringify(r)}`);
    }
    const literal = await svc.gql(`mutation { uploadImage(file: "hello") { __typename } }`);
    assert.equal(literal.errors?.[0].extensions?.code, 'INVALID_ARGUMENT', JSON.stringify(literal));
  });

  test('maps that do not point at null placeholders, or name missing files, are refused with 400', async () => {
    const png = (await demoImageSet())[0].png;
    const cases: [string, string, Record<string, Buffer>][] = [
      [ops({ file: 'hello' }), '{"0":["variables.file"]}', { 0: png }], // not a placeholder
      [ops({ file: null }), '{"0":["variables.file.a.b.c"]}', { 0: png }], // below the placeholder
      [ops({ file: null }), '[1,2]', { 0: png }],
      [ops({ file: null }), '{"0":[1,2]}', { 0: png }],
      [ops({ file: null }), '{"0":["variables.__proto__.x"]}', { 0: png }],
      [ops({ file: null }), '{"0":["variables.file"]}', {}], // the file part is missing
      ['not json', '{"0":["variables.file"]}', { 0: png }],
    ];
    for (const [o, m, files] of cases) {
      const res = await multipart(o, m, files);
      const body = (await res.json()) as any;
      assert.equal(res.status, 400, `${o} / ${m}: ${JSON.stringify(body)}`);
      assert.equal(body.errors[0].extensions.code, 'BAD_REQUEST');
    }
    assert.equal(await svc.app.prisma.image.count(), 0);
    assert.deepEqual(await leftoverUploads(svc), []);
    const ok = await multipart(ops({ file: null }), '{"0":["variables.file"]}', { 0: png });
    assert.equal(((await ok.json()) as any).data.uploadImage.data.width > 0, true);
  });

  test('over websocket, a non-file is a typed error for that operation only', async () => {
    const ws = await RawWs.connect(svc.url);
    ws.subscribe('up', UPLOAD_IMAGE, { file: 'hello' });
    const m = await ws.until((x) => x.id === 'up' && (x.type === 'error' || x.type === 'next'));
    const errors = m.type === 'error' ? m.payload : m.payload.errors;
    assert.equal(errors[0].extensions?.code, 'INVALID_ARGUMENT', JSON.stringify(m));
    ws.subscribe('after', '{ viewer { role } }');
    assert.equal((await ws.until((x) => x.id === 'after' && x.type === 'next')).payload.data.viewer.role, 'ADMIN');
    ws.close();
  });
});
