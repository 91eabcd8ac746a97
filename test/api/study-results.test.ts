// A study's results over the API (issue 12, items 3, 4 and 6, and the done-when recomputation): the
// predictions table with its flags, the comparison tables recomputed here from the downloaded raw
// maps and segments with the documented binarizations — independently of the service's metric code
// (own .npy reader, own masks, own statistics) — to 1e-9, and the report archive served like /files
// (a key or a signed link) and rebuilt with identical bytes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { buildDemoModel, drawDemoImage } from '../../src/engine/demo/index.js';
import { unzipArchive } from '../../src/engine/report/index.js';
import { resumeStudies } from '../../src/services/study-progress.js';
import { waitUntil } from '../jobs/support.js';
import { startKeyedService, type KeyedService } from '../support/auth.js';
import { CREATE_STUDY, ERROR_FIELDS, UPLOAD_IMAGE } from './operations.js';
import { COMPARISONS, recomputeTables } from '../support/agreement-recompute.js';

// ---- The study ----


describe('study results over the API', () => {
  let keyed: KeyedService;
  let key: string;
  let studyId: string;
  let models: string[];
  const files = new Map<string, Buffer>();
  const download = async (url: string) => {
    if (!files.has(url)) {
      const res = await fetch(keyed.svc.url + url, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(res.status, 200, url);
      files.set(url, Buffer.from(await res.arrayBuffer()));
    }
    return files.get(url)!;
  };
  const gql = async (q: string, v?: Record<string, unknown>) => {
    const r = await keyed.svc.gql(q, v, { key });
    assert.ok(!r.errors, JSON.stringify(r.errors));
    return r.data;
  };

  before(async () => {
    keyed = await startKeyedService({ jobs: true });
    key = await keyed.key('RESEARCHER');
    const admin = await keyed.key('ADMIN');
    const svc = keyed.svc;
    // A second model: the demo network under another name (its predictions agree with the first's).
    const reg = await svc.upload(`mutation($input: RegisterModelInput!) { registerModel(input: $input) { ... on RegisterModelSuccess { data { id } } ${ERROR_FIELDS} } }`,
      { input: { name: 'demo-copy', file: null } }, { 'input.file': { bytes: buildDemoModel().onnx, name: 'demo-copy.onnx' } }, { key: admin });
    assert.ok(reg.data.registerModel.data, JSON.stringify(reg.data));
    const d = (await svc.gql(`{ images(first: 20) { edges { node { id originalName } } } models { edges { node { id name } } } }`, {}, { key })).data;
    models = ['demo-shapes', 'demo-copy'].map((n) => d.models.edges.find((e: any) => e.node.name === n).node.id);
    const byName = (n: string) => d.images.edges.find((e: any) => e.node.originalName === n).node.id;
    // One more photo, named as ImageNet names its files: the ground truth comes from the name.
    const { png } = await drawDemoImage({ seed: 77, shapes: [{ color: 'red', kind: 'square', x: 60, y: 50, size: 70 }] });
    const named = await svc.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: png, name: 'n04037443_1.png' } }, { key });
    const images = ['red-square.png', 'green-disc.png', 'blue-triangle.png', 'yellow-disc.png', 'blue-and-yellow.png'].map(byName);
    images.push(named.data.uploadImage.data.id);
    const created = await svc.gql(CREATE_STUDY, {
      input: {
        name: 'shapes × two models × three methods',
        seed: 3,
        images,
        models,
        methods: [
          { method: 'GRAD_CAM', label: 'Grad-CAM', evaluation: { faithfulness: { steps: 8, fill: 'BLACK' } } },
          { method: 'LIME', key: 'lime-5', label: 'LIME (5 features)', parameters: { lime: { numSamples: 200 } } },
          { method: 'PARTITION_SHAP', label: 'Partition SHAP', parameters: { partitionShap: { maxEvals: 100 } } },
        ],
        groundTruth: [
          { image: images[0], label: 'red' },
          { image: images[1], label: 'blue' },
        ],
      },
    }, { key });
    assert.ok(created.data?.createStudy?.data, JSON.stringify(created));
    studyId = created.data.createStudy.data.id;
    const state = await waitUntil(async () => {
      const s = (await svc.gql(`query($id: ID!) { study(id: $id) { state } }`, { id: studyId }, { key })).data.study.state;
      return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(s) && s;
    }, 600_000, 250);
    assert.equal(state, 'SUCCEEDED');
  });
  after(async () => keyed?.svc.close());

  test('a finished study has its predictions and comparisons stored before anyone asks; its report shows them, and the same bytes when it computes them itself', async () => {
    const { prisma } = keyed.svc.app;
    const raw = decodeGlobalID(studyId).id;
    assert.equal(await prisma.studyReport.count({ where: { studyId: raw } }), 0, 'nobody asked for the report yet');
    const imageIds = (await prisma.studyImage.findMany({ where: { studyId: raw } })).map((i) => i.imageId);
    const explanationIds = (await prisma.studyCell.findMany({ where: { studyId: raw } })).map((c) => c.explanationId!);
    const storedRows = async () => ({
      predictions: await prisma.prediction.findMany({ where: { imageId: { in: imageIds } }, include: { image: true, model: true } }),
      agreements: await prisma.agreement.findMany({ where: { explanationAId: { in: explanationIds }, explanationBId: { in: explanationIds } } }),
    });
    const stored = await storedRows();
    assert.equal(stored.predictions.length, 12, 'six images × two models, each run once');
    assert.ok(stored.predictions.every((p) => p.topK === 5));
    assert.equal(stored.agreements.length, 36, 'three pairs of methods × two models × six images');
    assert.ok(stored.agreements.every((a) => a.topPercent === 10));

    const report = (await gql(`query($id: ID!) { study(id: $id) { report { url sha256 } } }`, { id: studyId })).study.report;
    const zip = Buffer.from(await (await fetch(keyed.svc.url + report.url)).arrayBuffer());
    const entries = new Map(unzipArchive(zip).map((f) => [f.name, JSON.parse(f.name.endsWith('.json') ? f.bytes.toString() : 'null')]));
    // The report's tables are the stored rows: every prediction's classes, every agreement's values.
    const predictions = entries.get('tables/predictions.json');
    assert.equal(predictions.length, 12);
    for (const row of predictions) {
      const p = stored.predictions.find((x) => x.image.originalName === row.image && x.model.name === row.model)!;
      assert.deepEqual(row.classes, p.classes, `${row.image} × ${row.model}`);
    }
    const values = (rows: any[]) => rows.map((r) => JSON.stringify([r.iou, r.dice, r.pearson, r.spearman, r.topKOverlap])).sort();
    assert.deepEqual(values(entries.get('tables/agreement.json').flatMap((t: any) => t.rows)), values(stored.agreements));

    // As if the study had finished without that step: the report computes them, with the same bytes.
    await prisma.prediction.deleteMany({ where: { id: { in: stored.predictions.map((p) => p.id) } } });
    await prisma.agreement.deleteMany({ where: { id: { in: stored.agreements.map((a) => a.id) } } });
    const lazy = (await gql(`mutation($id: ID!) { buildStudyReport(id: $id) { ... on BuildStudyReportSuccess { data { sha256 } } } }`, { id: studyId })).buildStudyReport;
    assert.equal(lazy.data.sha256, report.sha256, 'computed by the report itself: identical bytes');
    const again = await storedRows();
    assert.deepEqual([again.predictions.length, again.agreements.length], [12, 36], 'and stored by it');
  });

  test('predictions: top-k per image and model, ground truth from the study or the file name, disagreement flags', async () => {
    const q = `query($id: ID!) { study(id: $id) { predictions(topK: 3) { image { originalName } model { id } classes { index label probability } top1 { label }
      groundTruth { synset label source } correct modelsDisagree } } }`;
    // Stored once (when the study finished): asking reads the stored rows.
    const before = await keyed.svc.app.prisma.prediction.count();
    const rows = (await gql(q, { id: studyId })).study.predictions;
    assert.equal(await keyed.svc.app.prisma.prediction.count(), before);
    assert.equal(rows.length, 12, 'six images × two models');
    for (const r of rows) {
      assert.equal(r.classes.length, 3);
      assert.ok(r.classes[0].probability >= r.classes[1].probability && r.classes[1].probability >= r.classes[2].probability);
      assert.equal(r.top1.label, r.classes[0].label);
      assert.equal(r.modelsDisagree, false, 'the same network twice agrees with itself');
    }
    const of = (name: string) => rows.filter((r: any) => r.image.originalName === name);
    assert.deepEqual(of('red-square.png').map((r: any) => [r.top1.label, r.correct, r.groundTruth.source]), [['red', true, 'INPUT'], ['red', true, 'INPUT']]);
    assert.deepEqual(of('green-disc.png').map((r: any) => [r.top1.label, r.correct]), [['green', false], ['green', false]]);
    assert.deepEqual(of('n04037443_1.png')[0].groundTruth, { synset: 'n04037443', label: null, source: 'FILE_NAME' });
    assert.equal(of('yellow-disc.png')[0].correct, null, 'no ground truth, no verdict');
    // A k above the model's classes gives them all, from the same rows.
    const all = `query($id: ID!) { study(id: $id) { predictions(topK: 20) { classes { index } } } }`;
    assert.ok((await gql(all, { id: studyId })).study.predictions.every((r: any) => r.classes.length === 5), 'the demo model has five classes');
    const stored = await keyed.svc.app.prisma.prediction.count();
    await gql(all, { id: studyId });
    assert.equal(await keyed.svc.app.prisma.prediction.count(), stored);
    const bad = await keyed.svc.gql(`query($id: ID!) { study(id: $id) { predictions(topK: 21) { top1 { index } } } }`, { id: studyId }, { key });
    assert.equal(bad.errors?.[0]?.extensions?.code, 'INVALID_ARGUMENT');
  });

  const recompute = (tables: any[]) => recomputeTables(tables, download);

  test("the IoU table recomputed from the downloaded maps, segments and documented binarizations, to 1e-9", async () => {
    const stored = await keyed.svc.app.prisma.agreement.count();
    const tables = (await gql(COMPARISONS, { id: studyId })).study.comparisons;
    assert.equal(await keyed.svc.app.prisma.agreement.count(), stored, 'the default tables were stored when the study finished');
    assert.equal(tables.length, 6, 'three pairs of methods within each of two models');
    const lime = tables.find((t: any) => t.a.methodKey === 'grad-cam' && t.b.methodKey === 'lime-5');
    assert.deepEqual(lime.a.binarization, { kind: 'THRESHOLD', numFeatures: null, value: 0.5, percent: null });
    assert.deepEqual(lime.b.binarization, { kind: 'LIME_FEATURES', numFeatures: 5, value: null, percent: null });
    for (const t of tables) assert.equal(t.rows.length, 6, 'every image, every cell succeeded');
    await recompute(tables);
    assert.ok(new Set(tables.flatMap((t: any) => t.rows.map((r: any) => r.iou))).size > 3, 'the values differ from row to row');
    await gql(COMPARISONS, { id: studyId });
    assert.equal(await keyed.svc.app.prisma.agreement.count(), stored, 'values are stored and read back, not recomputed');
  });

  test('chosen pairs across models and binarizations given per method, recomputed the same way; bad ones refused', async () => {
    const pairs = [{ a: { model: models[0], methodKey: 'lime-5' }, b: { model: models[1], methodKey: 'partition-shap' } }];
    const binarizations = [
      { methodKey: 'lime-5', binarization: { kind: 'LIME_FEATURES', numFeatures: 3 } },
      { methodKey: 'partition-shap', binarization: { kind: 'TOP_PERCENT', percent: 15 } },
    ];
    const tables = (await gql(COMPARISONS, { id: studyId, pairs, binarizations, topPercent: 5 })).study.comparisons;
    assert.equal(tables.length, 1);
    assert.equal(tables[0].topPercent, 5);
    assert.equal(tables[0].b.binarization.percent, 15);
    await recompute(tables);
    const bad = await keyed.svc.gql(COMPARISONS, { id: studyId, binarizations: [{ methodKey: 'grad-cam', binarization: { kind: 'LIME_FEATURES' } }] }, { key });
    assert.equal(bad.errors?.[0]?.extensions?.code, 'INVALID_ARGUMENT', JSON.stringify(bad));
    const unknown = await keyed.svc.gql(COMPARISONS, { id: studyId, pairs: [{ a: { model: models[0], methodKey: 'nope' }, b: pairs[0].b }] }, { key });
    assert.equal(unknown.errors?.[0]?.extensions?.code, 'INVALID_ARGUMENT');
  });

  test('the report archive: a key or a signed link, its tables as the API shows them, identical bytes when rebuilt', async () => {
    const report = (await gql(`query($id: ID!) { study(id: $id) { report { url sha256 byteSize } } }`, { id: studyId })).study.report;
    assert.ok(report, 'a finished study has a report');
    const path = report.url.split('?')[0];
    assert.equal((await fetch(keyed.svc.url + path)).status, 401, 'the content hash alone opens nothing');
    const signed = await fetch(keyed.svc.url + report.url);
    assert.equal(signed.status, 200, 'the signed link');
    assert.equal(signed.headers.get('content-type'), 'application/zip');
    const zip = Buffer.from(await signed.arrayBuffer());
    assert.equal(zip.length, report.byteSize);
    assert.equal(createHash('sha256').update(zip).digest('hex'), report.sha256);
    const withKey = await fetch(keyed.svc.url + path, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(withKey.status, 200, 'the API key');

    const rebuilt = (await gql(`mutation($id: ID!) { buildStudyReport(id: $id) { ... on BuildStudyReportSuccess { data { sha256 byteSize } } ${ERROR_FIELDS} } }`, { id: studyId })).buildStudyReport;
    assert.deepEqual(rebuilt.data, { sha256: report.sha256, byteSize: report.byteSize }, 'rebuilt with identical bytes');
    // Also when the comparisons are computed afresh by the build (SQLite rounded a value's last digit).
    await keyed.svc.app.prisma.agreement.deleteMany({});
    const fresh = (await gql(`mutation($id: ID!) { buildStudyReport(id: $id) { ... on BuildStudyReportSuccess { data { sha256 } } } }`, { id: studyId })).buildStudyReport;
    assert.equal(fresh.data.sha256, report.sha256, 'rebuilt from freshly computed comparisons');

    const entries = new Map(unzipArchive(zip).map((f) => [f.name, f.bytes]));
    for (const name of ['report.html', 'study.json', 'tables/predictions.csv', 'tables/predictions.json', 'tables/agreement.csv', 'tables/agreement.json', 'figures/grid-01.png', 'figures/grid-lime-both-01.png']) {
      assert.ok(entries.has(name), `${name} in ${[...entries.keys()].join(', ')}`);
    }
    // Grad-CAM cells asked for faithfulness: their curves are in the report, one row per cell.
    const faith = JSON.parse(entries.get('tables/faithfulness.json')!.toString());
    assert.equal(faith.rows.length, 12, 'six images × two models');
    assert.ok(faith.rows.every((r: any) => r.method === 'Grad-CAM' && r.deletion.length === 9 && r.deletionAuc === r.deletionAuc));
    assert.deepEqual(faith.summary.map((x: any) => [x.model, x.method, x.deletionAuc.n]), [['demo-shapes', 'Grad-CAM', 6], ['demo-copy', 'Grad-CAM', 6]]);
    // LIME cells (issue 15): their stability and every segment's weight with its 95% interval, as the API returns them.
    const cellsQ = `query($id: ID!) { study(id: $id) { cells { methodKey image { originalName } model { name }
      explanation { stability uncertainty { topK effectiveSampleSize classes { classIndex features { segment weight sd lower upper } } } } } } }`;
    const lime = (await gql(cellsQ, { id: studyId })).study.cells.filter((c: any) => c.methodKey === 'lime-5');
    assert.equal(lime.length, 12, 'six images × two models');
    const stability = JSON.parse(entries.get('tables/stability.json')!.toString());
    assert.equal(stability.length, lime.length);
    const intervals = entries.get('tables/weight-intervals.csv')!.toString().trim().split('\n').slice(1).map((l) => l.split(','));
    for (const c of lime) {
      const u = c.explanation.uncertainty;
      const row = stability.find((r: any) => r.image === c.image.originalName && r.model === c.model.name);
      assert.deepEqual([row.method, row.topK, row.stability, row.effectiveSampleSize], ['LIME (5 features)', u.topK, c.explanation.stability, u.effectiveSampleSize]);
      const mine = intervals.filter((r) => r[0] === c.image.originalName && r[1] === c.model.name);
      const api = u.classes.flatMap((k: any) => k.features.map((f: any) => [k.classIndex, f.segment, f.weight, f.sd, f.lower, f.upper]));
      assert.deepEqual(mine.map((r) => r.slice(3, 9).map(Number)), api, `${c.image.originalName} × ${c.model.name}`);
    }
    const agreement = JSON.parse(entries.get('tables/agreement.json')!.toString());
    const api = (await gql(COMPARISONS, { id: studyId })).study.comparisons;
    assert.equal(agreement.length, api.length);
    for (const [i, t] of api.entries()) {
      assert.deepEqual(agreement[i].rows.map((r: any) => r.iou), t.rows.map((r: any) => r.iou), 'the report shows the API’s values');
      assert.equal(agreement[i].summary.iou.mean, t.summary.iou.mean);
    }
    const missing = await keyed.svc.gql(`mutation($id: ID!) { buildStudyReport(id: $id) { ${ERROR_FIELDS} } }`, { id: 'U3R1ZHk6bm9uZQ' }, { key });
    assert.equal(missing.data.buildStudyReport.__typename, 'NotFoundError', JSON.stringify(missing));
  });
  test('a restart in the middle of the finishing step: the study is still RUNNING, and resuming it finishes the step once', async () => {
    const { app } = keyed.svc;
    const raw = decodeGlobalID(studyId).id;
    const imageIds = (await app.prisma.studyImage.findMany({ where: { studyId: raw } })).map((i) => i.imageId);
    const built = (await gql(`query($id: ID!) { study(id: $id) { report { sha256 } } }`, { id: studyId })).study.report;
    // What a kill during the step leaves: every cell finished, the study RUNNING, its results not (all) stored.
    await app.prisma.study.update({ where: { id: raw }, data: { state: 'RUNNING', finishedAt: null } });
    await app.prisma.prediction.deleteMany({ where: { imageId: { in: imageIds } } });
    await app.prisma.agreement.deleteMany({});
    // What a restart runs (LocalJobQueue.start, or main.ts with Redis).
    assert.ok((await resumeStudies(app)) >= 1);
    const s = await app.prisma.study.findUniqueOrThrow({ where: { id: raw } });
    assert.equal(s.state, 'SUCCEEDED');
    assert.equal(await app.prisma.prediction.count({ where: { imageId: { in: imageIds } } }), 12, 'each prediction run once');
    assert.equal(await app.prisma.agreement.count(), 36);
    // Finished later than its stored report: the report is built again, with the same bytes.
    const after = (await gql(`query($id: ID!) { study(id: $id) { report { sha256 } } }`, { id: studyId })).study.report;
    assert.equal(after.sha256, built.sha256);
  });
});
