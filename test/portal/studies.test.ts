// The portal's Studies page in headless Chromium against a real service: create a small study from
// selected images, models and methods (LIME twice with different features), watch its aggregated
// progress bar and its cells finish over the subscription, then the cells table, the figure grid and
// its LIME view toggle; the predictions and agreement tables and the report download.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { readZip } from '../../client/cli/unzip.ts';
import { DEFAULTS } from '../../src/engine/method-defaults.ts';
import { REGISTER_MODEL } from '../api/operations.ts';
import { renamedLayerDemoModel } from '../support/models.ts';
import type { TestService } from '../support/service.ts';
import { openPortal, SKIP, waitFor, type PortalSession } from './browser.ts';

let session: PortalSession;
let service: TestService;
let page: Page;
let studyId: string;

const IMAGES = ['red-square.png', 'yellow-disc.png'];

describe('Studies page in headless Chromium', { skip: SKIP, timeout: 600_000 }, () => {
  before(async () => {
    session = await openPortal({ downloads: true });
    ({ service, page } = session);
  });
  after(async () => session?.close());

  test('create a study of 2 images × 1 model × 3 methods from the form', async () => {
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Studies' }).click();
    const form = page.locator('section[aria-labelledby="new-study-h"]');
    await form.waitFor();
    await page.getByText('No studies yet').waitFor();
    await form.getByLabel('Name').fill('two shapes');
    await form.getByLabel('Description').fill('Grad-CAM and LIME with 3 and 5 features');
    await form.getByLabel('Seed').fill('7');
    for (const name of IMAGES) await form.getByRole('checkbox', { name, exact: true }).check();
    await form.getByRole('checkbox', { name: /demo-shapes/ }).check();
    const rows = form.getByTestId('study-method');
    assert.equal(await rows.count(), 1);
    assert.equal(await rows.nth(0).getByLabel('Method', { exact: true }).inputValue(), 'GRAD_CAM');
    await rows.nth(0).getByRole('checkbox', { name: 'Deletion and insertion curves' }).check();
    for (const [i, features] of [
      [1, '3'],
      [2, '5'],
    ] as const) {
      await form.getByRole('button', { name: 'Add a method' }).click();
      const row = rows.nth(i);
      assert.equal(await row.getByLabel('Method', { exact: true }).inputValue(), 'LIME');
      await row.getByLabel('LIME samples').fill('150');
      await row.getByLabel('LIME features').fill(features);
      await row.getByLabel('Column label').fill(`LIME ${features}`);
    }
    await form.getByText('6 cells').waitFor();
    // The same method twice with the same parameters (only the labels differ) is refused, as the CLI
    // refuses it: said under the methods as soon as it is so, and again on Create.
    const repeated = 'Method 3 repeats method 2 with the same parameters (labels aside): change or remove one.';
    assert.equal(await form.getByTestId('study-repeat').count(), 0);
    await rows.nth(2).getByLabel('LIME features').fill('3');
    await waitFor(async () => (await form.getByTestId('study-repeat').innerText().catch(() => '')) === repeated, 'the repeated method noted');
    await form.getByRole('button', { name: 'Create study' }).click();
    await waitFor(async () => (await form.getByTestId('study-error').innerText().catch(() => '')) === repeated, 'the repeated method refused');
    assert.match(page.url(), /#\/studies$/, 'no study was created');
    await rows.nth(2).getByLabel('LIME features').fill('5');
    await waitFor(async () => (await form.getByTestId('study-repeat').count()) === 0, 'the note gone once the parameters differ');
    // Writing out a default is no other parameter: the service fills in the same value (one request
    // key), so an empty LIME samples field repeats one that says the default.
    await rows.nth(1).getByLabel('LIME samples').fill(String(DEFAULTS.lime.numSamples));
    await rows.nth(2).getByLabel('LIME samples').fill('');
    await rows.nth(2).getByLabel('LIME features').fill('3');
    await waitFor(async () => (await form.getByTestId('study-repeat').innerText().catch(() => '')) === repeated, 'a default written out is a repeat');
    await rows.nth(2).getByLabel('LIME samples').fill(String(DEFAULTS.lime.numSamples - 1));
    await waitFor(async () => (await form.getByTestId('study-repeat').count()) === 0, 'one sample fewer is another method');
    for (const i of [1, 2]) await rows.nth(i).getByLabel('LIME samples').fill('150');
    await rows.nth(2).getByLabel('LIME features').fill('5');
    await waitFor(async () => (await form.getByTestId('study-repeat').count()) === 0, 'the note gone once the parameters differ');
    await session.shot('studies-01-form');
    await form.getByRole('button', { name: 'Create study' }).click();
    await page.getByRole('heading', { name: 'Study: two shapes' }).waitFor({ timeout: 30_000 });
    studyId = decodeURIComponent(/#\/study\/(.+)$/.exec(page.url())![1]);

    // What the form sent, through the API.
    const r = await service.gql(`query($id: ID!) { study(id: $id) { name description seed images { image { originalName } } models { name } methods { method label parameters target } } }`, { id: studyId });
    const s = r.data.study;
    assert.equal(s.name, 'two shapes');
    assert.equal(s.seed, 7);
    assert.deepEqual(s.images.map((i: any) => i.image.originalName).sort(), [...IMAGES].sort());
    assert.deepEqual(s.models.map((m: any) => m.name), ['demo-shapes']);
    assert.deepEqual(
      s.methods.map((m: any) => [m.method, m.parameters?.lime?.numFeatures ?? null, m.parameters?.lime?.numSamples ?? null]),
      [
        ['GRAD_CAM', null, null],
        ['LIME', 3, 150],
        ['LIME', 5, 150],
      ],
    );
    assert.deepEqual(s.methods.slice(1).map((m: any) => m.label), ['LIME 3', 'LIME 5']);
  });

  test('the aggregated progress bar and every cell reach their end live', async () => {
    const bar = page.getByRole('progressbar', { name: 'Progress of study two shapes' });
    const cells = page.getByTestId('study-cell');
    await waitFor(async () => (await cells.count()) === 6, 'six cells in the grid');
    const seen: number[] = [];
    const texts = new Set<string>();
    const states = new Set<string>();
    await waitFor(
      async () => {
        const v = Number(await bar.getAttribute('aria-valuenow'));
        if (seen.at(-1) !== v) seen.push(v);
        texts.add((await bar.getAttribute('aria-valuetext')) ?? '');
        for (const s of await cells.evaluateAll((els) => els.map((e) => e.getAttribute('data-state') ?? ''))) states.add(s);
        if (seen.length === 2) await session.shot('studies-02-running');
        return (await page.getByTestId('study-state').innerText()) === 'Done' && v === 100;
      },
      'the study to finish',
      180_000,
      50,
    );
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `progress never goes back: ${seen.join(', ')}`);
    assert.ok(seen.length >= 2, `the bar moved while the study ran: ${seen.join(', ')}`);
    assert.deepEqual(await cells.evaluateAll((els) => els.map((e) => e.getAttribute('data-state'))), Array(6).fill('SUCCEEDED'));
    assert.match((await bar.getAttribute('aria-valuetext')) ?? '', /^100% · 6\/6 cells · Done$/);
    assert.ok(states.size >= 2, `cells were seen in more than one state: ${[...states].join(', ')}`);
    // While it ran, the bar said how long is left (once some work had run, the service has a rate).
    assert.ok([...texts].some((t) => /^\d+% · [0-5]\/6 cells · ETA \d+( min \d+)? s$/.test(t)), `an ETA while running: ${[...texts].join(' | ')}`);

    const api = await service.gql(`query($id: ID!) { study(id: $id) { state progress { cellsDone cellsTotal } cells { state } } }`, { id: studyId });
    assert.equal(api.data.study.state, 'SUCCEEDED');
    assert.deepEqual(api.data.study.progress, { cellsDone: 6, cellsTotal: 6 });
  });

  test('cells table sorts; the figure grid shows every cell with its caption, and LIME views switch', async () => {
    const table = page.getByTestId('cells-table');
    await waitFor(async () => (await table.locator('tbody tr').count()) === 6, 'six rows');
    const column = async (i: number) => table.locator('tbody tr').evaluateAll((trs, i) => trs.map((tr) => (tr.children[i] as HTMLElement).innerText), i);
    await waitFor(async () => (await column(4)).every((c) => c !== '—'), 'every caption');
    await table.getByRole('button', { name: 'Method' }).click();
    assert.equal(await table.locator('th[aria-sort]').getAttribute('aria-sort'), 'ascending');
    const methods = await column(2);
    assert.deepEqual(methods, [...methods].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })));
    await table.getByRole('button', { name: 'Method' }).click();
    assert.equal(await table.locator('th[aria-sort]').getAttribute('aria-sort'), 'descending');
    assert.deepEqual(await column(2), [...methods].reverse());
    const headers = await table.locator('thead th').allInnerTexts();
    await table.getByRole('button', { name: 'Duration (s)' }).click();
    const durations = (await column(headers.findIndex((h) => h.startsWith('Duration')))).map(Number);
    assert.ok(durations.every(Number.isFinite), durations.join());
    assert.deepEqual(durations, [...durations].sort((a, b) => a - b));
    // Missing values (cells without curves) sort last, both ways.
    const auc = headers.findIndex((h) => h.startsWith('Deletion AUC'));
    await table.getByRole('button', { name: 'Deletion AUC' }).click();
    assert.deepEqual((await column(auc)).map((v) => v === '—'), [false, false, true, true, true, true]);
    await table.getByRole('button', { name: 'Deletion AUC' }).click();
    assert.deepEqual((await column(auc)).map((v) => v === '—'), [false, false, true, true, true, true]);

    const grid = page.getByTestId('figure-grid');
    const figures = grid.getByTestId('study-figure');
    await waitFor(async () => (await figures.count()) === 6, 'six figures');
    const loaded = () =>
      figures.locator('img').evaluateAll((imgs) => imgs.every((i) => (i as unknown as { complete: boolean; naturalWidth: number }).complete && (i as unknown as { naturalWidth: number }).naturalWidth > 0));
    await waitFor(loaded, 'every figure to load');
    const captions = await figures.locator('figcaption').allInnerTexts();
    const stored = await service.gql(`query($id: ID!) { study(id: $id) { cells { explanation { caption } } } }`, { id: studyId });
    assert.deepEqual([...captions].sort(), stored.data.study.cells.map((c: any) => c.explanation.caption).sort(), 'captions as the service writes them');
    assert.ok(captions.some((c) => /^grad_cam on /.test(c)), captions.join(' | '));

    const lime = grid.locator('figure[data-method="LIME"] img');
    assert.equal(await lime.count(), 4);
    assert.deepEqual(new Set(await lime.evaluateAll((i) => i.map((x) => x.getAttribute('data-view')))), new Set(['positive']));
    const before = await lime.evaluateAll((i) => i.map((x) => x.getAttribute('src')));
    await page.getByRole('group', { name: 'LIME view' }).getByRole('radio', { name: 'Positive and negative' }).check();
    await waitFor(async () => (await lime.evaluateAll((i) => i.map((x) => x.getAttribute('data-view')))).every((v) => v === 'both'), 'the both view');
    await waitFor(loaded, 'the both views to load');
    const both = await lime.evaluateAll((i) => i.map((x) => x.getAttribute('src')));
    for (const [k, src] of both.entries()) assert.notEqual(src, before[k], 'another stored image');
    for (const name of await lime.evaluateAll((i) => i.map((x) => x.getAttribute('data-artifact')))) assert.match(name ?? '', /^lime-both-\d+\.png$/);
    // The Grad-CAM cells were asked for curves: one chart each, with the stored AUCs.
    const charts = page.getByTestId('faithfulness-chart');
    await waitFor(async () => (await charts.count()) === 2, 'two faithfulness charts');
    const aucs = (await service.gql(`query($id: ID!) { study(id: $id) { cells { methodKey explanation { deletionAuc insertionAuc } } } }`, { id: studyId })).data.study.cells
      .filter((c: any) => c.explanation.deletionAuc !== null)
      .map((c: any) => [c.explanation.deletionAuc, c.explanation.insertionAuc].join());
    assert.equal(aucs.length, 2, 'only the Grad-CAM cells have curves');
    const shownAucs = await charts.evaluateAll((els) => els.map((e) => [e.getAttribute('data-deletion-auc'), e.getAttribute('data-insertion-auc')].join()));
    assert.deepEqual([...shownAucs].sort(), aucs.sort());
    const [d, i] = shownAucs[0].split(',').map(Number);
    assert.match((await charts.first().locator('svg').getAttribute('aria-label')) ?? '', new RegExp(`: deletion AUC ${d.toFixed(3)} \\(lower is more faithful\\), insertion AUC ${i.toFixed(3)} \\(higher is more faithful\\), 20 steps, fill blur$`));
    await session.shot('studies-03-finished');
  });

  test('predictions and agreement tables of the finished study, and its report downloads', async () => {
    const preds = page.getByTestId('predictions-table');
    await waitFor(async () => (await preds.locator('tbody tr').count()) === 2, 'a prediction row per image × model', 60_000);
    const api = (await service.gql(`query($id: ID!) { study(id: $id) { report { sha256 byteSize } predictions { image { originalName } top1 { label } } comparisons { rows { iou } summary { iou { mean } } } } }`, { id: studyId })).data.study;
    const shown = await preds.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [(tr.children[0] as HTMLElement).innerText, (tr.children[2] as HTMLElement).innerText]));
    assert.deepEqual(shown.sort(), api.predictions.map((p: any) => [p.image.originalName, p.top1.label]).sort());
    // Sortable too: by probability, then the other way.
    const probabilities = async () => (await preds.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => (tr.children[3] as HTMLElement).innerText))).map((t) => Number(t.replace('%', '')));
    await preds.getByRole('button', { name: 'Probability' }).click();
    assert.equal(await preds.locator('th[aria-sort]').getAttribute('aria-sort'), 'ascending');
    const up = await probabilities();
    assert.deepEqual(up, [...up].sort((a, b) => a - b));
    await preds.getByRole('button', { name: 'Probability' }).click();
    assert.equal(await preds.locator('th[aria-sort]').getAttribute('aria-sort'), 'descending');
    assert.deepEqual(await probabilities(), [...up].reverse());
    const comparisons = page.getByTestId('comparison-table');
    assert.equal(await comparisons.count(), api.comparisons.length);
    assert.ok(api.comparisons.length >= 1, 'LIME 3 vs LIME 5 at least');
    const firstMean = await comparisons.first().locator('tfoot tr').first().locator('td').first().innerText();
    assert.equal(firstMean, api.comparisons[0].summary.iou.mean.toFixed(4));
    await comparisons.first().getByRole('button', { name: 'IoU' }).click();
    const ious = (await comparisons.first().locator('tbody tr').evaluateAll((trs) => trs.map((tr) => (tr.children[1] as HTMLElement).innerText))).map(Number);
    assert.deepEqual(ious, [...ious].sort((a, b) => a - b));

    const link = page.getByTestId('report-download');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const bytes = readFileSync((await download.path())!);
    assert.equal(bytes.byteLength, api.report.byteSize);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), api.report.sha256);
    const names = readZip(bytes).map((e) => e.name);
    assert.ok(names.includes('report.html'), names.join(', '));
    await session.shot('studies-04-results');
  });

  test('the study is listed on the Studies page as done', async () => {
    await page.getByRole('link', { name: '← All studies' }).click();
    const item = page.locator(`li.study-item[data-study-id="${studyId}"]`);
    await item.waitFor();
    assert.equal(await item.getAttribute('data-state'), 'SUCCEEDED');
    assert.equal(await item.getByRole('progressbar').getAttribute('aria-valuenow'), '100');
  });

  test('a long target-layer name as column label wraps inside its column of the figure and cell grids', async () => {
    // Exporters name tensors like this: no spaces, so nothing breaks the line unless the grid allows it.
    const layer = '/backbone/stage4.bottleneck_block_23.depthwise_conv3x3_batchnorm/Relu_output_0';
    const reg = await service.upload(REGISTER_MODEL, { input: { name: 'long-layer-demo', file: null } }, { 'input.file': { bytes: renamedLayerDemoModel(layer), name: 'long-layer.onnx' } });
    assert.ok(reg.data?.registerModel?.data, JSON.stringify(reg));
    await page.goto(`${service.url}/#/studies`);
    await page.reload(); // the models list
    const form = page.locator('section[aria-labelledby="new-study-h"]');
    await form.waitFor();
    await form.getByLabel('Name').fill('long layer');
    await form.getByRole('checkbox', { name: 'red-square.png', exact: true }).check();
    await form.getByRole('checkbox', { name: /long-layer-demo/ }).check();
    await form.getByRole('checkbox', { name: /demo-shapes/ }).uncheck();
    const rows = form.getByTestId('study-method');
    await rows.nth(0).getByLabel('CAM target layer').fill(layer);
    await rows.nth(0).getByLabel('Column label').fill(layer);
    await form.getByRole('button', { name: 'Add a method' }).click();
    await rows.nth(1).getByLabel('Method', { exact: true }).selectOption('GRAD_CAM_PLUS_PLUS');
    await rows.nth(1).getByLabel('CAM target layer').fill(layer);
    await rows.nth(1).getByLabel('Column label').fill(`${layer}++`);
    await form.getByText('2 cells').waitFor();
    await form.getByRole('button', { name: 'Create study' }).click();
    await page.getByRole('heading', { name: 'Study: long layer' }).waitFor({ timeout: 30_000 });
    await waitFor(async () => (await page.getByTestId('study-state').innerText()) === 'Done', 'the study to finish', 120_000);
    const grid = page.getByTestId('figure-grid');
    await waitFor(async () => (await grid.getByTestId('study-figure').count()) === 2, 'two figures');

    // Every glyph box of every header and cell (text ranges: element boxes do not grow with overflow)
    // lies inside its own cell, in both grids.
    for (const id of ['figure-grid', 'cell-grid']) {
      const outside = await page.getByTestId(id).evaluate((t) => {
        const doc = t.ownerDocument;
        const out: string[] = [];
        for (const cell of Array.from(t.querySelectorAll('th, td'))) {
          const box = cell.getBoundingClientRect();
          const walker = doc.createTreeWalker(cell, 4 /* NodeFilter.SHOW_TEXT */);
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const range = doc.createRange();
            range.selectNodeContents(n);
            for (const r of Array.from(range.getClientRects())) {
              if (r.width > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5)) out.push(`"${n.textContent}" spans ${r.left.toFixed(1)}–${r.right.toFixed(1)} px, its cell ${box.left.toFixed(1)}–${box.right.toFixed(1)} px`);
            }
          }
        }
        return out;
      });
      assert.deepEqual(outside, [], id);
    }
    // The label wraps at the figure's width instead of widening its column past the figure.
    const widths = await grid.evaluate((t) => {
      const heads = Array.from(t.querySelectorAll('thead th')).slice(1);
      const figures = Array.from(t.querySelectorAll('tbody tr')[0].querySelectorAll('td figure'));
      return heads.map((h, i) => ({ head: h.getBoundingClientRect().width, figure: figures[i].getBoundingClientRect().width }));
    });
    assert.equal(widths.length, 2);
    for (const w of widths) assert.ok(w.head <= w.figure + 16, `column ${w.head.toFixed(1)} px wide for a ${w.figure.toFixed(1)} px figure`);
    // In the cell grid the labels wrap too, and squeeze no image name onto several lines.
    const rowHead = await page.getByTestId('cell-grid').locator('tbody th').first().evaluate((th) => {
      const range = th.ownerDocument.createRange();
      range.selectNodeContents(th);
      return { text: (th as unknown as { innerText: string }).innerText, lines: new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top))).size };
    });
    assert.deepEqual(rowHead, { text: 'red-square.png', lines: 1 });
    await session.shot('studies-05-long-layer');
  });

  test('no uncaught errors in the page', () => {
    assert.deepEqual(session.pageErrors, []);
  });
});
