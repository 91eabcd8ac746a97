// The Studies page in headless Chromium against a real service, part 2: ground truth typed per image
// (a class index, a label, or nothing for an ImageNet-style file name, which the service reads) and
// the "wrong against the ground truth" flags of the predictions table; the study's Cancel and Retry
// buttons (cancelled while a cell runs, then run again to the end) and the retried study's report.
// Demo model and images only; every wait is for a state, never for a time.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { readZip } from '../../client/cli/unzip.ts';
import { UPLOAD_IMAGE } from '../api/operations.ts';
import type { TestService } from '../support/service.ts';
import { openPortal, SKIP, waitFor, type PortalSession } from './browser.ts';

let session: PortalSession;
let service: TestService;
let page: Page;

/** A file named as ImageNet names its photos: the service reads the synset in the name. */
const SYNSET_FILE = 'n02010272_1613.png';

const studyIdOf = (p: Page) => decodeURIComponent(/#\/study\/(.+)$/.exec(p.url())![1]);
const STUDY = `query($id: ID!) { study(id: $id) { state progress { cellsDone cellsCancelled cellsTotal } images { image { originalName } groundTruth { synset label } } cells { methodKey state explanation { status } }
  predictions { image { originalName } top1 { label } groundTruth { synset label source } correct } report { sha256 byteSize } } }`;

/** A fresh Studies page (an empty form). */
async function openStudiesForm() {
  await page.goto(`${service.url}/#/studies`);
  await page.reload();
  const form = page.locator('section[aria-labelledby="new-study-h"]');
  await form.waitFor();
  return form;
}

describe('Studies page: ground truth, cancel and retry, in headless Chromium', { skip: SKIP, timeout: 600_000 }, () => {
  before(async () => {
    session = await openPortal({ downloads: true });
    ({ service, page } = session);
    // A picture none of the demo images is (uploads are content-addressed), under an ImageNet-style name.
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="224" height="224"><rect width="224" height="224" fill="#777"/><circle cx="100" cy="120" r="60" fill="#1b8f2a"/></svg>`;
    const up = await service.upload(UPLOAD_IMAGE, { file: null }, { file: { bytes: await sharp(Buffer.from(svg)).png().toBuffer(), name: SYNSET_FILE, type: 'image/png' } });
    assert.equal(up.data.uploadImage.data.originalName, SYNSET_FILE, JSON.stringify(up));
    await page.reload();
    await page.getByText('Open local mode: no key needed').waitFor();
  });
  after(async () => session?.close());

  test('ground truth per image: a class index, a label, and the synset of a file name; the predictions table flags the wrong ones', async () => {
    const form = await openStudiesForm();
    await form.getByLabel('Name').fill('truth');
    for (const name of ['red-square.png', 'yellow-disc.png', SYNSET_FILE]) await form.getByRole('checkbox', { name, exact: true }).check();
    await form.getByRole('checkbox', { name: /demo-shapes/ }).check();
    const truth = form.getByTestId('ground-truth');
    const field = (name: string) => truth.getByLabel(`Ground truth of ${name}`, { exact: true });
    await field(SYNSET_FILE).waitFor();
    // The file name's synset is what the service will take: shown, not sent.
    assert.equal(await field(SYNSET_FILE).getAttribute('placeholder'), 'n02010272 (from the file name)');
    assert.equal(await field(SYNSET_FILE).inputValue(), '');
    assert.equal(await field('red-square.png').getAttribute('placeholder'), 'none');
    const note = (name: string) => truth.locator('.field', { has: page.getByLabel(`Ground truth of ${name}`, { exact: true }) }).getByTestId('ground-truth-note');
    assert.match(await note(SYNSET_FILE).innerText(), /n02010272, read from the file name by the service/);

    // A class index the model does not have: explained under the field, and the form refuses it.
    await field('red-square.png').fill('9');
    await waitFor(async () => /class 9 is not a class of demo-shapes \(it has 5\)/.test(await note('red-square.png').innerText()), 'the index note');
    assert.equal(await field('red-square.png').getAttribute('aria-invalid'), 'true');
    await form.getByRole('button', { name: 'Create study' }).click();
    await waitFor(async () => /^Ground truth of red-square\.png: class 9 is not a class/.test(await form.getByTestId('study-error').innerText()), 'the form error');

    // Class 2 of demo-shapes is green: wrong for the red square. "Yellow" is a label the model knows.
    await field('red-square.png').fill('2');
    await waitFor(async () => (await note('red-square.png').innerText()) === '→ green', 'class 2 read as green');
    await field('yellow-disc.png').fill('Yellow');
    await waitFor(async () => (await note('yellow-disc.png').innerText()) === '→ yellow', 'the label read with the model spelling');
    await session.shot('study-truth-01-form');
    await form.getByRole('button', { name: 'Create study' }).click();
    await page.getByRole('heading', { name: 'Study: truth' }).waitFor({ timeout: 30_000 });
    const id = studyIdOf(page);

    // What the form sent: only the typed truths (the file name's synset is the service's to read).
    const sent = (await service.gql(STUDY, { id })).data.study;
    const byName = new Map(sent.images.map((i: any) => [i.image.originalName, i.groundTruth]));
    assert.deepEqual(byName.get('red-square.png'), { synset: null, label: 'green' });
    assert.deepEqual(byName.get('yellow-disc.png'), { synset: null, label: 'yellow' });
    assert.equal(byName.get(SYNSET_FILE), null);
    const grid = page.getByTestId('figure-grid');
    await grid.getByText('truth: n02010272 (file name)').waitFor();
    await grid.getByText('truth: green').waitFor();

    await waitFor(async () => (await page.getByTestId('study-state').innerText()) === 'Done', 'the study to finish', 180_000);
    const preds = page.getByTestId('predictions-table');
    await waitFor(async () => (await preds.locator('tbody tr').count()) === 3, 'a prediction row per image');
    const api = (await service.gql(STUDY, { id })).data.study.predictions;
    const rows = await preds.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => ({ image: (tr.children[0] as HTMLElement).innerText, truth: (tr.children[5] as HTMLElement).innerText, correct: (tr.children[6] as HTMLElement).innerText, wrong: tr.classList.contains('flag-wrong') })),
    );
    const shown = new Map(rows.map((r) => [r.image, r]));
    for (const p of api) {
      const r = shown.get(p.image.originalName)!;
      assert.ok(r, p.image.originalName);
      assert.equal(r.wrong, p.correct === false, `${p.image.originalName}: flagged exactly when the API says wrong`);
      assert.equal(r.correct, p.correct === false ? 'no (wrong)' : 'yes');
    }
    const apiBy = new Map(api.map((p: any) => [p.image.originalName, p]));
    // The red square is red to the model, so class 2 (green) is wrong; the demo classes have no synsets,
    // so the file name's synset matches none of them.
    assert.equal((apiBy.get('red-square.png') as any).top1.label, 'red');
    assert.equal((apiBy.get('red-square.png') as any).correct, false);
    assert.equal(shown.get('red-square.png')!.truth, 'green');
    assert.deepEqual((apiBy.get(SYNSET_FILE) as any).groundTruth, { synset: 'n02010272', label: null, source: 'FILE_NAME' });
    assert.equal(shown.get(SYNSET_FILE)!.truth, 'n02010272 (file name)');
    assert.equal(shown.get(SYNSET_FILE)!.wrong, true);
    const yellow = apiBy.get('yellow-disc.png') as any;
    assert.equal(shown.get('yellow-disc.png')!.wrong, yellow.top1.label !== 'yellow');
    await session.shot('study-truth-02-flags');

    // On a narrow window the sortable tables scroll sideways instead of breaking words: every image
    // name and state of the cells table stays on one line.
    await page.setViewportSize({ width: 820, height: 1000 });
    try {
      const lines = await page.getByTestId('cells-table').locator('tbody tr').evaluateAll((trs) =>
        trs.flatMap((tr) =>
          [0, 3].map((i) => {
            const td = tr.children[i] as HTMLElement;
            const range = td.ownerDocument.createRange();
            range.selectNodeContents(td);
            return { text: td.innerText, lines: new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top))).size };
          }),
        ),
      );
      for (const l of lines) assert.equal(l.lines, 1, `"${l.text}" is on ${l.lines} lines`);
      const scroll = await page.getByTestId('cells-table').evaluate((t) => ({ box: t.parentElement!.clientWidth, table: t.scrollWidth }));
      assert.ok(scroll.table >= scroll.box, JSON.stringify(scroll));
      await session.shot('study-truth-03-narrow');
    } finally {
      await page.setViewportSize({ width: 1400, height: 1000 });
    }
  });

  test('Cancel while a cell runs: the cells and the page say cancelled; Retry runs it to the end; its report downloads', async () => {
    const form = await openStudiesForm();
    await form.getByLabel('Name').fill('cancel me');
    await form.getByRole('checkbox', { name: 'blue-triangle.png', exact: true }).check();
    await form.getByRole('checkbox', { name: /demo-shapes/ }).check();
    const rows = form.getByTestId('study-method');
    await rows.nth(0).getByLabel('Method', { exact: true }).selectOption('LIME');
    // Enough samples that the cell is still running when the button is pressed (it runs to the end after Retry).
    await rows.nth(0).getByLabel('LIME samples').fill('4000');
    await form.getByRole('button', { name: 'Add a method' }).click();
    await rows.nth(1).getByLabel('Method', { exact: true }).selectOption('GRAD_CAM');
    await form.getByText('2 cells').waitFor();
    await form.getByRole('button', { name: 'Create study' }).click();
    await page.getByRole('heading', { name: 'Study: cancel me' }).waitFor({ timeout: 30_000 });
    const id = studyIdOf(page);

    const cells = page.getByTestId('study-cell');
    const lime = page.locator('td[data-testid="study-cell"]').nth(0);
    await waitFor(async () => (await cells.count()) === 2, 'two cells');
    // The LIME cell is the first column; wait until it really samples (its progress shows), then cancel.
    await waitFor(async () => (await lime.getAttribute('data-state')) === 'RUNNING' && /\d+%/.test(await lime.innerText()), 'the LIME cell to run', 120_000, 50);
    await session.shot('study-cancel-01-running');
    await page.getByRole('button', { name: 'Cancel study' }).click();
    await waitFor(async () => (await page.getByTestId('study-state').innerText()) === 'Cancelled', 'the study to show Cancelled', 60_000);
    await waitFor(async () => (await lime.getAttribute('data-state')) === 'CANCELLED', 'the LIME cell to show Cancelled', 60_000);
    assert.equal(await lime.locator('span').first().innerText(), 'Cancelled');
    assert.match((await page.getByRole('progressbar', { name: 'Progress of study cancel me' }).getAttribute('aria-valuetext')) ?? '', /Cancelled$/);
    assert.equal(await page.getByRole('button', { name: 'Cancel study' }).count(), 0);
    const cancelled = (await service.gql(STUDY, { id })).data.study;
    assert.equal(cancelled.state, 'CANCELLED');
    const limeCell = cancelled.cells.find((c: any) => c.methodKey === 'lime');
    assert.equal(limeCell.state, 'CANCELLED');
    assert.equal(limeCell.explanation.status, 'CANCELLED');
    const shownStates = await cells.evaluateAll((els) => els.map((e) => e.getAttribute('data-state')));
    assert.deepEqual(shownStates, cancelled.cells.map((c: any) => c.state), 'the grid shows the stored cell states');
    // The cancelled cells are counted next to the bar, as the API counts them.
    const p = cancelled.progress;
    assert.ok(p.cellsCancelled >= 1, JSON.stringify(p));
    assert.equal(p.cellsCancelled, cancelled.cells.filter((c: any) => c.state === 'CANCELLED').length);
    const counts = `${p.cellsDone}/${p.cellsTotal} cells · ${p.cellsCancelled} cancelled · Cancelled`;
    assert.match(await page.getByTestId('study-progress-text').innerText(), new RegExp(`^\\d+% · ${counts}$`));
    assert.match((await page.getByRole('progressbar', { name: 'Progress of study cancel me' }).getAttribute('aria-valuetext')) ?? '', new RegExp(` · ${counts}$`));
    await session.shot('study-cancel-02-cancelled');

    await page.getByRole('button', { name: 'Retry study' }).click();
    await waitFor(async () => (await page.getByTestId('study-state').innerText()) === 'Done', 'the retried study to finish', 300_000, 200);
    assert.deepEqual(await cells.evaluateAll((els) => els.map((e) => e.getAttribute('data-state'))), ['SUCCEEDED', 'SUCCEEDED']);
    assert.equal(await page.getByTestId('study-progress-text').innerText(), '100% · 2/2 cells · Done', 'no cancelled cells are left to count');
    const done = (await service.gql(STUDY, { id })).data.study;
    assert.equal(done.state, 'SUCCEEDED');
    assert.ok(done.cells.every((c: any) => c.state === 'SUCCEEDED'));
    assert.equal(await page.getByRole('button', { name: 'Retry study' }).count(), 0);

    const link = page.getByTestId('report-download');
    await link.waitFor({ timeout: 60_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const bytes = readFileSync((await download.path())!);
    assert.equal(bytes.byteLength, done.report.byteSize);
    assert.equal(createHash('sha256').update(bytes).digest('hex'), done.report.sha256);
    assert.ok(readZip(bytes).some((e) => e.name === 'report.html'));
    await session.shot('study-cancel-03-retried');
  });

  test('no uncaught errors in the page', () => {
    assert.deepEqual(session.pageErrors, []);
  });
});
