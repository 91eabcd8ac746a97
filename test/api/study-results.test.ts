// A study's results over the API (issue 12, items 3, 4 and 6, and the done-when recomputation): the
// predictions table with its flags, the comparison tables recomputed here from the downloaded raw
// maps and segments with the documented binarizations — independently of the service's metric code
// (own .npy reader, own masks, own statistics) — to 1e-9, and the report archive served like /files
// (a key or a signed link) and rebuilt with identical bytes.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { buildDemoModel, drawDemoImage } from '../../src/engine/demo/index.js';
import { unzipArchive } from '../../src/engine/report/index.js';
import { waitUntil } from '../jobs/support.js';
import { startKeyedService, type KeyedService } from '../support/auth.js';
import { CREATE_STUDY, ERROR_FIELDS, UPLOAD_IMAGE } from './operations.js';

// ---- An independent reading of the documented rules (README, "Study results") ----

/** A little-endian float32 .npy (version 1), as the service writes raw maps. */
function readNpy(buf: Buffer): { shape: number[]; data: Float64Array } {
  assert.equal(buf.subarray(1, 6).toString('latin1'), 'NUMPY');
  const len = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + len).toString('latin1');
  assert.match(header, /'descr': '<f4'/);
  const shape = /\(([^)]*)\)/.exec(header)![1].split(',').filter((s) => s.trim()).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(10 + len + 4 * i);
  return { shape, data };
}

type Bin = { kind: string; numFeatures: number | null; value: number | null; percent: number | null };

/** lime's get_image_and_mask(positive_only=True): the first k positive segments of local_exp (|weight| descending, ties by segment id). */
function limeMask(map: Float64Array, segments: Float64Array, k: number): Uint8Array {
  const weight = new Map<number, number>();
  for (let p = 0; p < map.length; p++) {
    const w = weight.get(segments[p]);
    if (w === undefined) weight.set(segments[p], map[p]);
    else assert.equal(w, map[p], 'a LIME map is constant on each segment');
  }
  const ranked = [...weight.entries()].sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || a[0] - b[0]);
  const shown = new Set(ranked.filter(([, w]) => w > 0).slice(0, k).map(([s]) => s));
  return Uint8Array.from(segments, (s) => (shown.has(s) ? 1 : 0));
}

function mask(map: Float64Array, b: Bin, segments: Float64Array | null): Uint8Array {
  if (b.kind === 'LIME_FEATURES') return limeMask(map, segments!, b.numFeatures!);
  if (b.kind === 'THRESHOLD') {
    const lo = Math.min(...map);
    const hi = Math.max(...map);
    return Uint8Array.from(map, (v) => ((hi > lo ? (v - lo) / (hi - lo) : 0) >= b.value! ? 1 : 0));
  }
  const k = Math.max(1, Math.round((b.percent! * map.length) / 100));
  const order = [...map.keys()].sort((i, j) => map[j] - map[i] || i - j);
  const m = new Uint8Array(map.length);
  for (const i of order.slice(0, k)) m[i] = 1;
  return m;
}

function iouDice(a: Uint8Array, b: Uint8Array): [number, number] {
  let inter = 0;
  let union = 0;
  let sizes = 0;
  for (let i = 0; i < a.length; i++) {
    inter += a[i] & b[i];
    union += a[i] | b[i];
    sizes += a[i] + b[i];
  }
  return [union ? inter / union : 1, sizes ? (2 * inter) / sizes : 1];
}

function pearson(a: Float64Array, b: Float64Array): number | null {
  const ma = a.reduce((s, v) => s + v, 0) / a.length;
  const mb = b.reduce((s, v) => s + v, 0) / b.length;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : null;
}

function stats(xs: number[]): { n: number; mean: number | null; median: number | null; sd: number | null } {
  const n = xs.length;
  if (!n) return { n, mean: null, median: null, sd: null };
  const mean = xs.reduce((s, v) => s + v, 0) / n;
  const s = [...xs].sort((x, y) => x - y);
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { n, mean, median, sd: n > 1 ? Math.sqrt(xs.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : null };
}

const close = (a: number | null, b: number | null, what: string) => {
  if (a === null || b === null) return assert.equal(a, b, what);
  assert.ok(Math.abs(a - b) <= 1e-9, `${what}: service ${a}, recomputed ${b}`);
};

// ---- The study ----

const EXPL = `id targetClasses artifacts { name url }`;
const COMPARISONS = `query($id: ID!, $pairs: [StudyPairInput!], $binarizations: [MethodBinarizationInput!], $topPercent: Float) { study(id: $id) {
  comparisons(pairs: $pairs, binarizations: $binarizations, topPercent: $topPercent) {
    a { methodKey label model { id } binarization { kind numFeatures value percent } }
    b { methodKey label model { id } binarization { kind numFeatures value percent } }
    topPercent
    rows { image { id originalName } classA classB iou dice pearson spearman topKOverlap explanationA { ${EXPL} } explanationB { ${EXPL} } }
    summary { iou { n mean median sd } dice { n mean median sd } pearson { n mean median sd } }
  } } }`;

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

  test('predictions: top-k per image and model, ground truth from the study or the file name, disagreement flags', async () => {
    const q = `query($id: ID!) { study(id: $id) { predictions(topK: 3) { image { originalName } model { id } classes { index label probability } top1 { label }
      groundTruth { synset label source } correct modelsDisagree } } }`;
    const rows = (await gql(q, { id: studyId })).study.predictions;
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
    // Stored once: asking again reads the same rows; a k above the model's classes gives them all, once.
    const before = await keyed.svc.app.prisma.prediction.count();
    await gql(q, { id: studyId });
    assert.equal(await keyed.svc.app.prisma.prediction.count(), before);
    const all = `query($id: ID!) { study(id: $id) { predictions(topK: 20) { classes { index } } } }`;
    assert.ok((await gql(all, { id: studyId })).study.predictions.every((r: any) => r.classes.length === 5), 'the demo model has five classes');
    const stored = await keyed.svc.app.prisma.prediction.count();
    await gql(all, { id: studyId });
    assert.equal(await keyed.svc.app.prisma.prediction.count(), stored);
    const bad = await keyed.svc.gql(`query($id: ID!) { study(id: $id) { predictions(topK: 21) { top1 { index } } } }`, { id: studyId }, { key });
    assert.equal(bad.errors?.[0]?.extensions?.code, 'INVALID_ARGUMENT');
  });

  const recompute = async (tables: any[]) => {
    for (const t of tables) {
      const rows = [];
      for (const r of t.rows) {
        const side = async (e: any, cls: number, b: Bin) => {
          assert.equal(cls, e.targetClasses[0], 'the first explained class is compared');
          const map = readNpy(await download(e.artifacts.find((a: any) => a.name === `raw-${cls}.npy`).url)).data;
          const seg = e.artifacts.find((a: any) => a.name === 'raw-segments.npy');
          const segments = seg ? readNpy(await download(seg.url)).data : null;
          return { map, mask: mask(map, b, segments) };
        };
        const a = await side(r.explanationA, r.classA, t.a.binarization);
        const b = await side(r.explanationB, r.classB, t.b.binarization);
        const [iou, dice] = iouDice(a.mask, b.mask);
        const rho = pearson(a.map, b.map);
        const where = `${t.a.label} vs ${t.b.label} on ${r.image.originalName}`;
        close(r.iou, iou, `IoU, ${where}`);
        close(r.dice, dice, `Dice, ${where}`);
        close(r.pearson, rho, `Pearson, ${where}`);
        rows.push({ iou, dice, pearson: rho });
      }
      for (const m of ['iou', 'dice', 'pearson'] as const) {
        const s = stats(rows.map((x) => x[m]).filter((v): v is number => v !== null));
        assert.equal(t.summary[m].n, s.n);
        for (const k of ['mean', 'median', 'sd'] as const) close(t.summary[m][k], s[k], `${m} ${k}, ${t.a.label} vs ${t.b.label}`);
      }
    }
  };

  test("the IoU table recomputed from the downloaded maps, segments and documented binarizations, to 1e-9", async () => {
    const tables = (await gql(COMPARISONS, { id: studyId })).study.comparisons;
    assert.equal(tables.length, 6, 'three pairs of methods within each of two models');
    const lime = tables.find((t: any) => t.a.methodKey === 'grad-cam' && t.b.methodKey === 'lime-5');
    assert.deepEqual(lime.a.binarization, { kind: 'THRESHOLD', numFeatures: null, value: 0.5, percent: null });
    assert.deepEqual(lime.b.binarization, { kind: 'LIME_FEATURES', numFeatures: 5, value: null, percent: null });
    for (const t of tables) assert.equal(t.rows.length, 6, 'every image, every cell succeeded');
    await recompute(tables);
    assert.ok(new Set(tables.flatMap((t: any) => t.rows.map((r: any) => r.iou))).size > 3, 'the values differ from row to row');
    const stored = await keyed.svc.app.prisma.agreement.count();
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
});
