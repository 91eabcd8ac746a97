// The API suite, run once per database (SQLite file and PostgreSQL). Real server, real uploads, real ONNX.
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import sharp from 'sharp';
import { WebSocket } from 'ws';
import { createClient } from 'graphql-ws';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { createLoaders } from '../../src/db/loaders.js';
import { demoImageSet } from '../../src/engine/demo/index.js';
import { hasShared, SHARED_SKIP, sharedDir } from '../support/service.js';
import { rank3Model, vectorModel } from '../support/models.js';
import { pngBomb } from '../support/images.js';
import { COUNTS, MODELS, PREDICT, REGISTER_MODEL, REQUEST_EXPLANATION, UPLOAD_IMAGE } from './operations.js';
import { databaseSuiteService } from './suite-service.js';

const shared = (...p: string[]) => path.join(sharedDir, ...p);

export function defineApiSuite(label: string, databaseUrl: () => Promise<string | null>, skipMessage: string) {
  describe(`GraphQL API on ${label}`, () => {
    const svc = databaseSuiteService(databaseUrl, skipMessage);
    let demoModelId: string;

    before(async () => {
      if (svc.skipped) return;
      const models = await svc.gql(MODELS);
      demoModelId = models.data.models.edges.find((e: any) => e.node.name === 'demo-shapes').node.id;
    });

    const uploadBytes = (bytes: Uint8Array, name: string) => svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes, name } });
    const counts = async () => {
      const r = await svc.gql(COUNTS);
      return { images: r.data.images.edges.length, models: r.data.models.edges.length };
    };

    test('the built-in demo model classifies the demo images it was built for', async (t) => {
      if (svc.skipped) return t.skip(svc.skipped);
      for (const img of await demoImageSet()) {
        const up = await uploadBytes(img.png, `${img.name}.png`);
        const imageId = up.data.uploadImage.data.id;
        const r = await svc.gql(PREDICT, { input: { image: imageId, model: demoModelId, topK: 2 } });
        const p = r.data.predict.data;
        assert.equal(p.top1.label, img.expectedLabel, `${img.name}: ${JSON.stringify(p.classes)}`);
        assert.equal(p.classes.length, 2);
        assert.ok(p.top1.probability > 0.5);
      }
    });

    test('upload bittern.jpg, register MobileNetV2 with ImageNet labels, predict bittern', async (t) => {
      if (svc.skipped) return t.skip(svc.skipped);
      if (!hasShared()) return t.skip(SHARED_SKIP);
      const jpg = await readFile(shared('images', 'bittern.jpg'));
      const up = await uploadBytes(jpg, 'bittern.jpg');
      const image = up.data.uploadImage.data;
      assert.equal(image.format, 'jpeg');
      assert.equal(image.byteSize, jpg.byteLength);
      const again = await uploadBytes(jpg, 'copy.jpg');
      assert.equal(again.data.uploadImage.data.id, image.id, 'identical content is stored once');

      const reg = await svc.upload(
        REGISTER_MODEL,
        { input: { name: 'mobilenetv2', file: null, labelsFile: null } },
        {
          'input.file': { bytes: await readFile(shared('models', 'mobilenetv2-float.onnx')), name: 'mobilenetv2-float.onnx' },
          'input.labelsFile': { bytes: await readFile(shared('models', 'imagenet_class_index.json')), name: 'imagenet_class_index.json' },
        },
      );
      const model = reg.data.registerModel.data;
      assert.ok(model, JSON.stringify(reg));
      assert.equal(model.numClasses, 1000);
      assert.equal(model.quantized, false);
      assert.equal(model.outputKind, 'LOGITS');
      assert.deepEqual(model.input, {
        name: 'input', layout: 'NCHW', width: 224, height: 224, resizeMode: 'CENTER_CROP', resizeShorter: 256, interpolation: 'BILINEAR',
        colorProfile: 'IGNORE', orientation: 'IGNORE', scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
      });
      assert.deepEqual(model.labels[0], { index: 0, label: 'tench', synset: 'n01440764' });

      const pred = await svc.gql(PREDICT, { input: { image: image.id, model: model.id, topK: 5 } });
      const p = pred.data.predict.data;
      assert.equal(p.top1.label, 'bittern');
      assert.equal(p.top1.synset, 'n02011460');
      assert.equal(p.classes.length, 5);
      const manifest = JSON.parse(await readFile(shared('images', 'manifest.json'), 'utf8'));
      const ref = manifest.images.find((i: any) => i.file === 'bittern.jpg').mobilenetv2_top5[0];
      // The manifest rounds logits to 4 decimals; the preprocessing is Pillow's, bit for bit.
      assert.ok(Math.abs(p.top1.logit - ref.logit) < 2e-4, `logit ${p.top1.logit} vs PyTorch ${ref.logit}`);

      const dup = await svc.upload(REGISTER_MODEL, { input: { name: 'mobilenetv2', file: null } }, {
        'input.file': { bytes: await readFile(shared('models', 'mobilenetv2-float.onnx')), name: 'm.onnx' },
      });
      assert.equal(dup.data.registerModel.__typename, 'ConflictError');
    });

    test('register by path inside the models directory; paths outside are refused', async (t) => {
      if (svc.skipped) return t.skip(svc.skipped);
      if (!hasShared()) return t.skip(SHARED_SKIP);
      const dir = svc.app.config.modelsDir;
      await mkdir(dir, { recursive: true });
      await copyFile(shared('models', 'mobilenetv2-12-int8.onnx'), path.join(dir, 'int8.onnx'));
      await copyFile(shared('models', 'imagenet_class_index.json'), path.join(dir, 'labels.json'));
      const ok = await svc.gql(REGISTER_MODEL, { input: { name: 'mobilenetv2-int8', path: 'int8.onnx', labelsPath: 'labels.json' } });
      const m = ok.data.registerModel.data;
      assert.ok(m, JSON.stringify(ok));
      assert.equal(m.quantized, true);
      assert.equal(m.numClasses, 1000);

      for (const p of ['../blobs', '/etc/passwd', shared('models', 'mobilenetv2-float.onnx')]) {
        const r = await svc.gql(REGISTER_MODEL, { input: { name: 'escape', path: p } });
        const e = r.data.registerModel;
        assert.ok(['PATH_NOT_ALLOWED', 'INVALID_ARGUMENT'].includes(e.code), `${p}: ${JSON.stringify(e)}`);
      }
      const outside = await svc.gql(REGISTER_MODEL, { input: { name: 'escape', path: '/etc/passwd' } });
      assert.equal(outside.data.registerModel.code, 'PATH_NOT_ALLOWED');

      // Gradient methods are refused on the quantized model; perturbation methods are accepted.
      const img = (await svc.gql(`{ images(first: 1) { edges { node { id } } } }`)).data.images.edges[0].node.id;
      const grad = await svc.gql(REQUEST_EXPLANATION, { input: { image: img, model: m.id, method: 'GRAD_CAM' } });
      assert.equal(grad.data.requestExplanation.code, 'NOT_DIFFERENTIABLE');
      const lime = await svc.gql(REQUEST_EXPLANATION, { input: { image: img, model: m.id, method: 'LIME' } });
      assert.equal(lime.data.requestExplanation.data.status, 'QUEUED');
    });

    test('bad images get typed errors and store nothing', async (t) => {
      if (svc.skipped) return t.skip(svc.skipped);
      const before = await counts();
      const text = await uploadBytes(Buffer.from('this is not an image'), 'notes.txt');
      assert.equal(text.data.uploadImage.code, 'INVALID_IMAGE');
      const empty = await uploadBytes(new Uint8Array(0), 'empty.png');
      assert.equal(empty.data.uploadImage.code, 'INVALID_IMAGE');
      const jpeg = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#3a7' } }).jpeg().toBuffer();
      const truncated = await uploadBytes(jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'truncated.jpg');
      assert.equal(truncated.data.uploadImage.code, 'INVALID_IMAGE');
      const bomb = await pngBomb(20000, 20000);
      const b = await uploadBytes(bomb, 'bomb.png');
      assert.equal(b.data.uploadImage.code, 'IMAGE_TOO_LARGE');
      assert.deepEqual(await counts(), before);
    });

    test('bad models get typed errors and store nothing', async (t) => {
      if (svc.skipped) return t.skip(svc.skipped);
      const before = await counts();
      const reg = (bytes: Uint8Array, name: string, labels?: string) =>
        svc.upload(REGISTER_MODEL, { input: { name, file: null, ...(labels ? { labelsFile: null } : {}) } }, {
          'input.file': { bytes, name: `${name}.onnx` },
          ...(labels ? { 'input.labelsFile': { bytes: Buffer.from(labels), name: 'labels.txt' } } : {}),
        });
      assert.equal((await reg(Buffer.from('definitely not onnx'), 'garbage')).data.registerModel.code, 'INVALID_MODEL');
      const vec = (await reg(vectorModel(), 'vector')).data.registerModel;
      assert.equal(vec.code, 'UNSUPPORTED_MODEL');
      assert.match(vec.message, /image-like input/);
      assert.equal((await reg(rank3Model(), 'rank3')).data.registerModel.code, 'UNSUPPORTED_MODEL');
      const demo = (await demoModelBytes());
      const mismatch = (await reg(demo, 'demo-wrong-labels', 'a\nb\nc\n')).data.registerModel;
      assert.equal(mismatch.code, 'LABELS_MISMATCH');
      assert.match(mismatch.message, /5/);
      const badName = (await reg(demo, '../evil')).data.registerModel;
      assert.equal(badName.code, 'INVALID_ARGUMENT');
      const neither = await svc.gql(REGISTER_MODEL, { input: { name: 'nothing' } });
      assert.equal(neither.data.registerModel.code, 'INVALID_ARGUMENT');
      assert.deepEqual(await counts(), before);
    });

    test('unknown ids, malformed ids and topK out of range', async (t) => {
      if (svc.skipped) return t.skip(svc.skipped);
      const img = (await svc.gql(`{ images(first: 1) { edges { node { id } } } }`)).data.images.edges[0].node.id;
      const ghostModel = encodeGlobalID('Model', 'does-not-exist');
      const nf = await svc.gql(PREDICT, { input: { image: img, model: ghostModel } });
      assert.equal(nf.data.predict.__typename, 'NotFoundError');
      assert.equal(nf.data.predict.id, 'does-not-exist');
      for (const topK of [0, 6, -1]) {
        const r = await svc.gql(PREDICT, { input: { image: img, model: demoModelId, topK } });
        assert.equal(r.data.predict.__typename, 'InvalidArgumentError', `topK ${topK}`);
        assert.equal(r.data.predict.field, 'input.topK');
      }
      const wrongType = await svc.gql(PREDICT, { input: { image: demoModelId, model: demoModelId } });
      assert.equal(wrongType.data.predict.field, 'input.image', 'an Image id of the wrong type is rejected');
      const garbage = await svc.gql(`{ node(id: "%%%") { id } }`);
      assert.equal(garbage.errors?.[0].extensions?.code, 'INVALID_ARGUMENT');
      const missing = await svc.gql(`query($id: ID!) { node(id: $id) { id } image(id: $id) { id } }`, { id: encodeGlobalID('Image', 'nope') });
      assert.equal(missing.data.node, null);
      assert.equal(missing.data.image, null);
      const byId = await svc.gql(`query($id: ID!) { image(id: $id) { id } node(id: $id) { ... on Image { width } } }`, { id: img });
      assert.equal(byId.data.image.id, img);
      assert.ok(byId.data.node.width > 0);
    });

    test('explanation requests are queued, validated and idempotent', async (t) => {
      if (svc.skipped) return t.skip(svc.skipped);
      const img = (await svc.gql(`{ images(first: 1) { edges { node { id } } } }`)).data.images.edges[0].node.id;
      const input = { image: img, model: demoModelId, method: 'LIME', seed: 7, parameters: { lime: { numSamples: 200 } } };
      const a = (await svc.gql(REQUEST_EXPLANATION, { input })).data.requestExplanation.data;
      assert.equal(a.status, 'QUEUED');
      assert.equal(a.parameters.lime.numSamples, 200);
      assert.equal(a.parameters.lime.kernelWidth, 0.25, 'reference defaults are filled in');
      assert.deepEqual(a.parameters.target, { kind: 'TOP', k: 5 }, "LIME explains its top_labels by default, as lime_image does");
      assert.deepEqual(a.parameters.lime.segmentation, { algorithm: 'QUICKSHIFT', kernelSize: 4, maxDist: 200, ratio: 0.2, sigma: 0 });
      const b = (await svc.gql(REQUEST_EXPLANATION, { input })).data.requestExplanation.data;
      assert.equal(b.id, a.id, 'the same request returns the same explanation');
      const c = (await svc.gql(REQUEST_EXPLANATION, { input: { ...input, force: true } })).data.requestExplanation.data;
      assert.notEqual(c.id, a.id);
      const d = (await svc.gql(REQUEST_EXPLANATION, { input: { ...input, seed: 8 } })).data.requestExplanation.data;
      assert.notEqual(d.id, a.id, 'another seed is another request');

      const bad = [
        { ...input, parameters: { lime: { numSamples: 1 } } },
        { ...input, parameters: { cam: { augSmooth: true } } },
        { ...input, target: { classIndices: [99] } },
        { ...input, parameters: { lime: { segmentation: { algorithm: 'SLIC', nSegments: 1 } } } },
      ];
      for (const b2 of bad) {
        const r = await svc.gql(REQUEST_EXPLANATION, { input: b2 });
        assert.equal(r.data.requestExplanation.__typename, 'InvalidArgumentError', JSON.stringify(b2));
      }
      const layers = (await svc.gql(`query($id: ID!) { model(id: $id) { layers { name isDefault shape } } }`, { id: demoModelId })).data.model.layers;
      const def = layers.find((l: any) => l.isDefault);
      assert.equal(def.name, 'features');
      assert.deepEqual(def.shape, ['batch', '4', '14', '14']);
      const camOk = await svc.gql(REQUEST_EXPLANATION, { input: { image: img, model: demoModelId, method: 'GRAD_CAM', parameters: { cam: { targetLayer: 'pool1' } } } });
      assert.equal(camOk.data.requestExplanation.data.parameters.cam.targetLayer, 'pool1');
      const camBad = await svc.gql(REQUEST_EXPLANATION, { input: { image: img, model: demoModelId, method: 'GRAD_CAM', parameters: { cam: { targetLayer: 'nope' } } } });
      assert.equal(camBad.data.requestExplanation.field, 'input.parameters.cam.targetLayer');
      assert.match(camBad.data.requestExplanation.message, /features/);
      const slic = await svc.gql(REQUEST_EXPLANATION, { input: { ...input, parameters: { lime: { segmentation: { algorithm: 'SLIC', nSegments: 80 } } } } });
      assert.deepEqual(slic.data.requestExplanation.data.parameters.lime.segmentation, { algorithm: 'SLIC', nSegments: 80, compactness: 10, sigma: 0 });
      const list = await svc.gql(`query($m: ID!) { explanations(filter: { model: $m, status: [QUEUED] }) { edges { node { id method } } } }`, { m: demoModelId });
      assert.ok(list.data.explanations.edges.length >= 4);
    });

    test('a page costs as many SQL queries with 50 rows as with 5: no query per row (N+1)', async (t) => {
      if (svc.skipped) return t.skip(svc.skipped);
      const images = (await svc.gql(`{ images(first: 6) { edges { node { id } } } }`)).data.images.edges.map((e: any) => e.node.id);
      assert.ok(images.length >= 4);
      const made: string[] = [];
      for (let i = 0; i < 50; i++) {
        const r = await svc.gql(REQUEST_EXPLANATION, { input: { image: images[i % images.length], model: demoModelId, method: 'GRAD_CAM', seed: 5000 + i } });
        made.unshift(r.data.requestExplanation.data.id);
      }
      // The artifact rows a finished job stores (no job runs in this suite), two per explanation.
      await svc.app.prisma.artifact.createMany({
        data: made.flatMap((gid, i) =>
          ['heatmap-0.png', 'overlay-0.png'].map((name, j) => ({
            explanationId: decodeGlobalID(gid).id, kind: j ? 'OVERLAY' : 'HEATMAP', name, mediaType: 'image/png',
            storageKey: `artifacts/00/${String(i * 2 + j).padStart(64, '0')}.png`, sha256: String(i * 2 + j).padStart(64, '0'), byteSize: 1,
          })),
        ),
      });
      for (let i = 0; i < 50; i++) await svc.gql(PREDICT, { input: { image: images[i % images.length], model: demoModelId, topK: 1 } });

      /** SQL statements one request sends, from a fresh node's point of view (nothing cached) or a warm one. */
      const measure = async (query: string, first: number, cold: boolean) => {
        if (cold) svc.app.loaders = createLoaders(svc.app.prisma);
        const sql: string[] = [];
        const off = svc.app.db.onQuery((q) => sql.push(q));
        const r = await svc.gql(query, { first });
        off();
        assert.equal(r.errors, undefined, JSON.stringify(r.errors));
        return { data: r.data, sql };
      };
      const EXPLANATIONS = `query($first: Int!) { explanations(first: $first) { edges { node { id image { id } model { id } artifacts { url } } } } }`;
      const PREDICTIONS = `query($first: Int!) { predictions(first: $first) { edges { node { id image { id } model { id } } } } }`;
      for (const cold of [true, false]) {
        const e5 = await measure(EXPLANATIONS, 5, cold);
        const e50 = await measure(EXPLANATIONS, 50, cold);
        assert.equal(e50.sql.length, e5.sql.length, `explanations, ${cold ? 'cold' : 'warm'}: ${e5.sql.length} statements for 5, ${e50.sql.length} for 50:\n${e50.sql.join('\n')}`);
        // The page, then one query each for images, models and artifacts (the first two cached when warm).
        assert.equal(e50.sql.length, cold ? 4 : 2);
        const nodes = e50.data.explanations.edges.map((e: any) => e.node);
        assert.deepEqual(nodes.map((n: any) => n.id), made);
        nodes.forEach((n: any, i: number) => {
          assert.equal(n.image.id, images[(49 - i) % images.length]);
          assert.equal(n.model.id, demoModelId);
          assert.deepEqual(n.artifacts.map((a: any) => a.url), [0, 1].map((j) => `/files/artifacts/00/${String(i * 2 + j).padStart(64, '0')}.png`));
        });
        const p5 = await measure(PREDICTIONS, 5, cold);
        const p50 = await measure(PREDICTIONS, 50, cold);
        assert.equal(p50.sql.length, p5.sql.length, `predictions, ${cold ? 'cold' : 'warm'}: ${p5.sql.length} statements for 5, ${p50.sql.length} for 50`);
        assert.equal(p50.sql.length, cold ? 3 : 1);
        const preds = p50.data.predictions.edges.map((e: any) => e.node);
        assert.equal(preds.length, 50);
        preds.forEach((n: any, i: number) => assert.equal(n.image.id, images[(49 - i) % images.length]));
      }
    });

    test('a late subscriber over websocket first receives the current state', async (t) => {
      if (svc.skipped) return t.skip(svc.skipped);
      const img = (await svc.gql(`{ images(first: 1) { edges { node { id } } } }`)).data.images.edges[0].node.id;
      const e = (await svc.gql(REQUEST_EXPLANATION, { input: { image: img, model: demoModelId, method: 'GRAD_CAM', seed: 99 } })).data.requestExplanation.data;
      const client = createClient({ url: svc.url.replace('http', 'ws') + '/graphql', webSocketImpl: WebSocket, retryAttempts: 0 });
      try {
        const first = await new Promise<any>((resolve, reject) => {
          const stop = client.subscribe(
            { query: `subscription($id: ID!) { explanationUpdated(id: $id) { id status method } }`, variables: { id: e.id } },
            { next: (v) => { stop(); resolve(v); }, error: reject, complete: () => {} },
          );
        });
        assert.deepEqual(first.data.explanationUpdated, { id: e.id, status: 'QUEUED', method: 'GRAD_CAM' });
      } finally {
        await client.dispose();
      }
    });

    test('pagination walks every image exactly once', async (t) => {
      if (svc.skipped) return t.skip(svc.skipped);
      const all = (await svc.gql(`{ images(first: 100) { edges { node { id } } } }`)).data.images.edges.map((e: any) => e.node.id);
      assert.ok(all.length >= 4);
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const r: any = await svc.gql(`query($after: String) { images(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }`, { after });
        seen.push(...r.data.images.edges.map((e: any) => e.node.id));
        if (!r.data.images.pageInfo.hasNextPage) break;
        after = r.data.images.pageInfo.endCursor;
      }
      assert.deepEqual(seen, all);
      const back = await svc.gql(`{ images(last: 2) { edges { node { id } } } }`);
      assert.deepEqual(back.data.images.edges.map((e: any) => e.node.id), all.slice(-2));
    });

    test('files are served with a strong ETag and immutable caching; model files are not served', async (t) => {
      if (svc.skipped) return t.skip(svc.skipped);
      const img = (await svc.gql(`{ images(first: 1) { edges { node { url sha256 byteSize } } } }`)).data.images.edges[0].node;
      const res = await fetch(svc.url + img.url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('etag'), `"${img.sha256}"`);
      assert.match(res.headers.get('cache-control') ?? '', /immutable/);
      assert.equal((await res.arrayBuffer()).byteLength, img.byteSize);
      const cached = await fetch(svc.url + img.url, { headers: { 'if-none-match': `"${img.sha256}"` } });
      assert.equal(cached.status, 304);
      const model = await svc.app.prisma.model.findFirstOrThrow();
      assert.equal((await fetch(`${svc.url}/files/${model.fileKey}`)).status, 404);
      assert.equal((await fetch(`${svc.url}/files/images/../../xai-lab.db`)).status, 404);
    });

    test('query depth, alias and token limits', async (t) => {
      if (svc.skipped) return t.skip(svc.skipped);
      const deep = `{ images { edges { node { predictions { edges { node { image { predictions { edges { node { image { id } } } } } } } } } } } }`;
      const r1 = await svc.gql(deep);
      assert.ok(r1.errors?.some((e) => /depth/i.test(e.message)), JSON.stringify(r1.errors));
      const aliases = `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: viewer { role }`).join(' ')} }`;
      const r2 = await svc.gql(aliases);
      assert.ok(r2.errors?.some((e) => /alias/i.test(e.message)), JSON.stringify(r2.errors));
      const tokens = `{ viewer { ${Array.from({ length: 2500 }, () => 'role').join(' ')} } }`;
      const r3 = await svc.gql(tokens);
      assert.ok(r3.errors?.some((e) => /token/i.test(e.message)), JSON.stringify(r3.errors));
      const ok = await svc.gql(`{ viewer { role } }`);
      assert.equal(ok.data.viewer.role, 'ADMIN', 'the service keeps serving');
    });
  });
}

async function demoModelBytes(): Promise<Uint8Array> {
  const { buildDemoModel } = await import('../../src/engine/demo/index.js');
  return buildDemoModel().onnx;
}
