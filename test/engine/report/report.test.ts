// Study reports from hand-made facts: tables and flags, the archive's contents, and identical
// bytes when the same report is built again.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { drawDemoImage } from '../../../src/engine/demo/index.ts';
import { synsetFromFileName } from '../../../src/engine/file-name-synset.ts';
import {
  buildReport,
  stabilityFact,
  predictionRows,
  unzipArchive,
  wrapText,
  zipArchive,
  zipArchiveParallel,
  type ReportInput,
} from '../../../src/engine/report/index.ts';
import { tmpDir } from '../../support/tmp.ts';
import { TensorCache } from '../../../src/engine/tensor-cache.ts';

const cls = (index: number, synset: string | null, label: string, probability: number) => ({ index, synset, label, probability, logit: null });

test('ground truth from ImageNet-style file names', () => {
  assert.equal(synsetFromFileName('n02010272_1613.jpg'), 'n02010272');
  assert.equal(synsetFromFileName('sim_n01642257_3703.jpg'), 'n01642257');
  assert.equal(synsetFromFileName('photos/n03445924.png'), 'n03445924');
  assert.equal(synsetFromFileName('bittern.jpg'), null);
  assert.equal(synsetFromFileName('n020102721.jpg'), null, 'nine digits are not a synset');
  assert.equal(synsetFromFileName('xn02010272.jpg'), null);
});

test('predictions: disagreement between models and errors against the ground truth', () => {
  const rows = predictionRows(
    [
      { image: 0, model: 0, classes: [cls(1, 'n01', 'bittern', 0.9)] },
      { image: 0, model: 1, classes: [cls(1, 'n01', 'bittern', 0.6)] },
      { image: 1, model: 1, classes: [cls(7, 'n07', 'golfcart', 0.5)] },
      { image: 1, model: 0, classes: [cls(3, 'n03', 'crane', 0.4)] },
    ],
    [{ synset: 'n01', label: null, source: 'FILE_NAME' }, null],
  );
  assert.deepEqual(rows.map((r) => [r.image, r.model, r.correct, r.disagrees]), [
    [0, 0, true, false],
    [0, 1, true, false],
    [1, 0, null, true],
    [1, 1, null, true],
  ]);
  // Labels decide when a side has no synset.
  const byLabel = predictionRows([{ image: 0, model: 0, classes: [cls(2, null, 'Red', 0.8)] }], [{ synset: null, label: 'red', source: 'INPUT' }]);
  assert.equal(byLabel[0].correct, true);
});

test('captions wrap into at most the given lines, cut with an ellipsis', () => {
  assert.deepEqual(wrapText('grad_cam on n03445924 golfcart', 40, 2), ['grad_cam on n03445924 golfcart']);
  assert.deepEqual(wrapText('grad_cam on n03445924 golfcart', 15, 2), ['grad_cam on', 'n03445924…']);
  assert.deepEqual(wrapText('features.18.2.very_long_layer_name_without_spaces', 10, 2), ['features.1', '8.2.very_…']);
});

async function input(): Promise<ReportInput> {
  const png = async (seed: number) => (await drawDemoImage({ seed, shapes: [{ color: 'red', kind: 'disc', x: 20 + seed, y: 30, size: 90 }] })).png;
  const images = ['n01440764_1.jpg', 'bittern.jpg', 'coral.jpg'];
  const cells = [];
  for (let i = 0; i < 3; i++) {
    for (let m = 0; m < 2; m++) {
      for (let k = 0; k < 2; k++) {
        const failed = i === 2 && m === 1 && k === 1;
        cells.push({
          image: i,
          model: m,
          method: k,
          status: failed ? 'FAILED' : 'SUCCEEDED',
          caption: failed ? null : `${k === 0 ? 'grad_cam' : 'lime'} on n01440764 tench`,
          explanationId: `e${i}${m}${k}`,
          tiles: failed ? {} : { default: await png(i * 4 + m * 2 + k), ...(k === 1 ? { 'lime-both': await png(50 + i) } : {}) },
          artifacts: [{ name: 'raw-0.npy', sha256: `${i}${m}${k}`.padEnd(64, '0') }],
        });
      }
    }
  }
  const agreement = (image: number, iou: number) => ({ pair: 0, image, classA: 0, classB: 0, value: { iou, dice: (2 * iou) / (1 + iou), pearson: 0.5, spearman: null, topKOverlap: 0.25, topPercent: 10 } });
  return {
    study: { id: 's1', name: 'tench, "two" models', description: 'A <small> test', seed: 7 },
    parameters: { images: images.length, note: 'as given' },
    images: images.map((name, i) => ({ id: `i${i}`, name, groundTruth: synsetFromFileName(name) ? { synset: synsetFromFileName(name), label: null, source: 'FILE_NAME' as const } : null })),
    models: [
      { id: 'm0', name: 'mobilenetv2', version: '1' },
      { id: 'm1', name: 'resnet50', version: '2' },
    ],
    methods: [
      { label: 'Grad-CAM', method: 'GRAD_CAM', binarization: { kind: 'THRESHOLD', value: 0.5 } },
      { label: 'LIME, 5 features', method: 'LIME', binarization: { kind: 'LIME_FEATURES', numFeatures: 5 } },
    ],
    cells,
    predictions: [0, 1, 2].flatMap((image) => [0, 1].map((model) => ({ image, model, classes: [cls(image === 1 && model === 1 ? 5 : 0, image === 1 && model === 1 ? 'n05' : 'n01440764', 'tench', 0.7), cls(3, 'n03', 'x', 0.1)] }))),
    pairs: [{ a: { model: 0, method: 0 }, b: { model: 0, method: 1 } }],
    agreement: [agreement(1, 0.2), agreement(0, 0.1)],
    faithfulness: [0, 1].map((image) => ({ image, model: 0, method: 0, classIndex: 0, deletionAuc: 0.2 + image / 10, insertionAuc: 0.7, fractions: [0, 0.5, 1], deletion: [0.9, 0.2, 0.1], insertion: [0.1, 0.8, 0.9] })),
    randomization: [{ image: 0, model: 0, method: 0, layers: 1, spearman: 0.3 }],
  };
}

test('the report archive: its files, tables with summaries, and identical bytes when built again', async () => {
  const t0 = performance.now();
  const first = await buildReport(await input());
  const ms = performance.now() - t0;
  const again = await buildReport(await input());
  assert.ok(first.zip.equals(again.zip), 'same facts, same bytes');
  const files = unzipArchive(first.zip);
  assert.deepEqual(
    files.map((f) => f.name),
    [
      'figures/grid-01.png',
      'figures/grid-lime-both-01.png',
      'report.html',
      'study.json',
      'tables/agreement.csv',
      'tables/agreement.json',
      'tables/faithfulness.csv',
      'tables/faithfulness.json',
      'tables/predictions.csv',
      'tables/predictions.json',
      'tables/randomization.csv',
      'tables/randomization.json',
    ],
  );
  const get = (n: string) => Buffer.from(files.find((f) => f.name === n)!.bytes);
  assert.ok(get('figures/grid-01.png').subarray(1, 4).toString() === 'PNG');
  const csv = get('tables/agreement.csv').toString().trim().split('\n');
  assert.equal(csv[0], 'comparison,image,class_a,class_b,iou,dice,pearson,spearman,topKOverlap,top_percent,binarization_a,binarization_b');
  // Rows in image order, then mean, median and sample sd of the per-image values.
  assert.match(csv[1], /^"mobilenetv2 · Grad-CAM vs mobilenetv2 · LIME, 5 features",n01440764_1\.jpg,0,0,0\.1,/);
  assert.match(csv[2], /,bittern\.jpg,0,0,0\.2,/);
  assert.match(csv[3], /,\(mean\),,,0\.15000000000000002,/);
  assert.ok(Math.abs(Number(csv[5].split(',')[5]) - Math.sqrt(0.005)) < 1e-15, csv[5]);
  const preds = JSON.parse(get('tables/predictions.json').toString());
  assert.deepEqual(preds.map((p: { correct: boolean | null; modelsDisagree: boolean }) => [p.correct, p.modelsDisagree]), [
    [true, false],
    [true, false],
    [null, true],
    [null, true],
    [null, false],
    [null, false],
  ]);
  const html = get('report.html').toString();
  assert.ok(html.includes('<h1>tench, &quot;two&quot; models</h1>'));
  assert.ok(html.includes('A &lt;small&gt; test'));
  assert.ok(html.includes('src="data:image/png;base64,'));
  assert.ok(!/(src|href)="https?:/.test(html), 'self-contained: nothing loaded from elsewhere');
  const study = JSON.parse(get('study.json').toString());
  assert.equal(study.cells.length, 12);
  assert.equal(study.cells.find((c: { status: string }) => c.status === 'FAILED').image, 'coral.jpg');
  console.log(`# report for 3 × 2 × 2 built in ${ms.toFixed(0)} ms, ${first.zip.length} bytes`);
});

test('the ZIP writer sorts entries, refuses bad paths and round-trips', () => {
  const z = zipArchive([
    { name: 'b.txt', bytes: Buffer.from('b'.repeat(100)) },
    { name: 'a/é.txt', bytes: Buffer.from('x') },
  ]);
  assert.deepEqual(unzipArchive(z).map((f) => [f.name, Buffer.from(f.bytes).toString()]), [
    ['a/é.txt', 'x'],
    ['b.txt', 'b'.repeat(100)],
  ]);
  for (const bad of ['/abs', '../up', 'a//b', 'a\\b', '']) assert.throws(() => zipArchive([{ name: bad, bytes: new Uint8Array() }]), /archive path/);
  assert.throws(() => zipArchive([{ name: 'x', bytes: new Uint8Array() }, { name: 'x', bytes: new Uint8Array() }]), /duplicate/);
});

test('the parallel ZIP writer gives the same bytes (deflated, stored and empty entries)', async () => {
  const noise = Buffer.alloc(70_000);
  for (let i = 0, x = 7; i < noise.length; i++) noise[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  const files = [
    { name: 'big.txt', bytes: Buffer.from('the same words again and again, '.repeat(20_000)) },
    { name: 'noise.bin', bytes: noise },
    { name: 'empty', bytes: new Uint8Array() },
  ];
  assert.ok((await zipArchiveParallel(files)).equals(zipArchive(files)));
  const packed = files.flatMap((f) => (['deflate', 'huffman', 'store'] as const).map((packing) => ({ ...f, name: `${packing}/${f.name}`, packing })));
  assert.ok((await zipArchiveParallel(packed)).equals(zipArchive(packed)));
});

/** Each entry's name with its compression method (0 stored, 8 deflated) and sizes, from the central directory. */
function methods(zip: Buffer): [string, number, number, number][] {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const out: [string, number, number, number][] = [];
  for (let i = 0, p = zip.readUInt32LE(end + 16); i < zip.readUInt16LE(end + 10); i++) {
    const nameLen = zip.readUInt16LE(p + 28);
    out.push([zip.toString('utf8', p + 46, p + 46 + nameLen), zip.readUInt16LE(p + 10), zip.readUInt32LE(p + 20), zip.readUInt32LE(p + 24)]);
    p += 46 + nameLen + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
  }
  return out;
}

test('entries packed as asked: stored as they are, Huffman-only and full deflate both smaller than the text', () => {
  const words = Buffer.from('the same words again and again, '.repeat(2_000));
  const zip = zipArchive([
    { name: 'deflate.txt', bytes: words },
    { name: 'huffman.txt', bytes: words, packing: 'huffman' },
    { name: 'store.txt', bytes: words, packing: 'store' },
  ]);
  const [deflate, huffman, store] = methods(zip);
  assert.deepEqual(store, ['store.txt', 0, words.length, words.length]);
  assert.equal(huffman[1], 8);
  assert.equal(deflate[1], 8);
  // Without matches only the letters' frequencies help; with them the repeats collapse.
  assert.ok(deflate[2] < huffman[2] && huffman[2] < words.length, `${deflate[2]} < ${huffman[2]} < ${words.length}`);
  for (const f of unzipArchive(zip)) assert.ok(Buffer.from(f.bytes).equals(words), f.name);
});

test('kept grids: a build from the same facts reuses them with the same bytes; a changed caption draws anew', async () => {
  const grids = new TensorCache<Buffer>(64 * 1024 * 1024);
  const fresh = (await buildReport(await input())).zip;
  assert.ok((await buildReport(await input(), { grids })).zip.equals(fresh), 'drawn with a cache: the same bytes');
  const kept = grids.sizeBytes;
  assert.ok(kept > 0);
  assert.ok((await buildReport(await input(), { grids })).zip.equals(fresh), 'from the cache: the same bytes');
  assert.equal(grids.sizeBytes, kept, 'nothing drawn again');
  const changed = await input();
  changed.cells[0].caption = 'grad_cam on n01440764 tench (again)';
  const other = (await buildReport(changed, { grids })).zip;
  assert.ok(grids.sizeBytes > kept, 'the changed page drawn anew');
  assert.ok(other.equals((await buildReport(changed)).zip));
});

const hasUnzip = spawnSync('unzip', ['-v'], { stdio: 'ignore' }).status === 0;

test('a report archive: figures stored, report.html Huffman-coded, tables deflated; unzip -t accepts it', { skip: !hasUnzip && 'no unzip tool' }, async () => {
  const { zip } = await buildReport(await input());
  const packing = Object.fromEntries(methods(zip).map(([name, method]) => [name, method]));
  assert.equal(packing['figures/grid-01.png'], 0);
  assert.equal(packing['figures/grid-lime-both-01.png'], 0);
  assert.equal(packing['report.html'], 8);
  assert.equal(packing['tables/agreement.csv'], 8);
  const file = path.join(tmpDir('xai-report-zip-'), 'report.zip');
  writeFileSync(file, zip);
  const r = spawnSync('unzip', ['-t', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /No errors detected/);
});

test('LIME cells show their top-k stability in the captions, a stability table and a report section', async () => {
  const base = await input();
  const stored = {
    samplesUsed: 448,
    uncertainty: { estimator: 'HC3_SANDWICH', level: 0.95, topK: 5, effectiveSampleSize: 371.6, stability: 0.9675, classes: [] },
    adaptive: { confidence: 0.95, topK: 5, samplesUsed: 448, maxSamples: 1000, stopReason: 'STABLE', checks: [], bookkeepingMs: 3 },
  };
  // A plain run with its per-segment intervals, and an adaptive one stopped by the EXPECTED_GAIN rule.
  const classes = [{ classIndex: 7, stability: 0.41, topSet: [0, 2], weights: [0.3, -0.05, 0.2], sd: [0.02, 0.03, 0.04], lower: [0.26, -0.11, 0.12], upper: [0.34, 0.01, 0.28] }];
  const gain = { ...stored, samplesUsed: 288, adaptive: { ...stored.adaptive, rule: 'EXPECTED_GAIN', gainTolerance: 0.25, samplesUsed: 288, stopReason: 'NO_EXPECTED_GAIN' } };
  const facts = [
    stabilityFact({ image: 1, model: 0, method: 1 }, stored)!,
    stabilityFact({ image: 0, model: 0, method: 1 }, { samplesUsed: 1000, uncertainty: { ...stored.uncertainty, stability: 0.41, classes } })!,
    stabilityFact({ image: 1, model: 1, method: 1 }, gain)!,
  ];
  assert.equal(stabilityFact({ image: 0, model: 0, method: 0 }, { samplesUsed: 3 }), null, 'no uncertainty, no fact');
  const files = unzipArchive((await buildReport({ ...base, stability: facts })).zip);
  const get = (n: string) => Buffer.from(files.find((f) => f.name === n)!.bytes).toString();
  const csv = get('tables/stability.csv').trim().split('\n');
  assert.equal(csv[0], 'image,model,method,top_k,stability,effective_sample_size,samples_used,confidence,stop_reason,stopping_rule,gain_tolerance');
  assert.equal(csv[1], 'n01440764_1.jpg,mobilenetv2,"LIME, 5 features",5,0.41,371.6,1000,,,,');
  assert.equal(csv[2], 'bittern.jpg,mobilenetv2,"LIME, 5 features",5,0.9675,371.6,448,0.95,STABLE,STABILITY,');
  assert.equal(csv[3], 'bittern.jpg,resnet50,"LIME, 5 features",5,0.9675,371.6,288,0.95,NO_EXPECTED_GAIN,EXPECTED_GAIN,0.25');
  // Every segment's weight with its 95% interval, for the cells whose result has them.
  const intervals = get('tables/weight-intervals.csv').trim().split('\n');
  assert.deepEqual(intervals, [
    'image,model,method,class_index,segment,weight,sd,lower_95,upper_95,in_top_k',
    'n01440764_1.jpg,mobilenetv2,"LIME, 5 features",7,0,0.3,0.02,0.26,0.34,1',
    'n01440764_1.jpg,mobilenetv2,"LIME, 5 features",7,1,-0.05,0.03,-0.11,0.01,0',
    'n01440764_1.jpg,mobilenetv2,"LIME, 5 features",7,2,0.2,0.04,0.12,0.28,1',
  ]);
  assert.ok(!get('tables/stability.json').includes('"classes"'), 'the intervals are in their own table');
  const html = get('report.html');
  assert.ok(html.includes('<h2>Stability</h2>') && html.includes('tables/weight-intervals.csv'));
  assert.ok(html.includes('top-5: 96.8%') && html.includes('stable (confidence 0.95)') && html.includes('plain run'));
  assert.ok(html.includes('no expected gain (expected gain &lt; 0.25, confidence 0.95)'));
  // The figure grid changes: the captions carry the stability.
  const plain = unzipArchive((await buildReport(base)).zip);
  const grid = (fs: typeof files) => Buffer.from(fs.find((f) => f.name === 'figures/grid-01.png')!.bytes);
  assert.ok(!grid(files).equals(grid(plain)));
  assert.ok(!plain.some((f) => f.name === 'tables/stability.csv'));
});
