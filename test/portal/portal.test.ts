// The lab portal in real headless Chromium (playwright-core, Debian's /usr/bin/chromium) against the
// real service (SQLite, HTTP + websocket, in-process jobs), which also serves the built portal.
// Screenshots go to test-artifacts/portal/. Skips when Chromium is absent (CI installs it).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import sharp from 'sharp';
import { ensurePortalBuilt } from '../../src/http/portal.ts';
import { repoRoot, startTestService, type TestService } from '../support/service.ts';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: install Debian's chromium to run the portal browser tests`;
const SHOTS = path.join(repoRoot, 'test-artifacts', 'portal');

let service: TestService;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
const pageErrors: string[] = [];

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

/** A yellow disc on gray: the demo model's kind of picture. */
async function discPng(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="224" height="224"><rect width="224" height="224" fill="#777"/><circle cx="112" cy="112" r="50" fill="#f2d21b"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Sets the method checkboxes and LIME samples, then presses the image card's Explain button; returns the new job's row. */
async function explainWithLime(image: string, samples: number): Promise<{ id: string; row: () => Locator }> {
  const form = page.locator('section[aria-labelledby="explain-h"]');
  await form.getByRole('checkbox', { name: 'Grad-CAM', exact: true }).uncheck();
  await form.getByRole('checkbox', { name: 'LIME', exact: true }).check();
  await form.getByLabel('LIME samples').fill(String(samples));
  const before = new Set(await page.locator('li.job').evaluateAll((els) => els.map((e) => e.getAttribute('data-job-id'))));
  await page.getByRole('button', { name: `Explain ${image}` }).click();
  const id = await waitFor(async () => {
    const ids = await page.locator('li.job', { hasText: `LIME on ${image}` }).evaluateAll((els) => els.map((e) => e.getAttribute('data-job-id')));
    return ids.find((x) => x && !before.has(x));
  }, 'the new job row');
  return { id, row: () => page.locator(`li.job[data-job-id="${id}"]`) };
}

async function valueNow(row: Locator): Promise<number> {
  return Number(await row.getByRole('progressbar').getAttribute('aria-valuenow', { timeout: 5000 }));
}

describe('portal in headless Chromium', { skip: SKIP, timeout: 600_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const built = await ensurePortalBuilt();
    assert.ok(built.ok, built.ok ? '' : built.message);
    service = await startTestService({ jobs: true });
    userDataDir = mkdtempSync(path.join(os.tmpdir(), 'xai-portal-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
      viewport: { width: 1400, height: 1000 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${service.url}/`);
    await page.getByText('Open local mode: no key needed').waitFor();
  });

  after(async () => {
    await context?.close();
    await service?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  test('the page is served by the service with the app, a file input and the demo model', async () => {
    const res = await fetch(`${service.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await res.text(), /<script type="module"[^>]+src="\/assets\/[^"]+\.js"/);
    await page.getByRole('checkbox', { name: /demo-shapes/ }).waitFor();
    assert.equal(await page.getByRole('checkbox', { name: /demo-shapes/ }).isChecked(), true);
    assert.equal(await page.locator('input[type=file]#file-input').count(), 1);
  });

  test('upload an image: a card appears with its prediction', async () => {
    await page.setInputFiles('#file-input', { name: 'probe-disc.png', mimeType: 'image/png', buffer: await discPng() });
    const card = page.locator('li.card', { has: page.getByRole('heading', { name: 'probe-disc.png', exact: true }) });
    await card.waitFor({ timeout: 30_000 });
    const prediction = card.getByTestId('prediction');
    await prediction.waitFor({ timeout: 30_000 });
    assert.match(await prediction.innerText(), /\w+ \d+(\.\d)?%/);
    assert.equal(await card.getByRole('checkbox', { name: 'Select' }).isChecked(), true, 'a new upload is selected');
    await shot('01-uploaded');
  });

  test('a LIME job: the progress bar advances to 100 and the result image loads', async () => {
    const job = await explainWithLime('probe-disc.png', 300);
    const seen: number[] = [];
    await waitFor(
      async () => {
        const v = await valueNow(job.row());
        if (seen.at(-1) !== v) seen.push(v);
        if (seen.length === 3) await shot('02-lime-running');
        return v === 100;
      },
      'aria-valuenow to reach 100',
      120_000,
      50,
    );
    assert.ok(seen.length >= 3, `the bar should move through intermediate values, saw ${seen.join(', ')}`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `progress never goes back: ${seen.join(', ')}`);
    const bar = job.row().getByRole('progressbar');
    assert.equal(await bar.getAttribute('aria-valuemin'), '0');
    assert.equal(await bar.getAttribute('aria-valuemax'), '100');
    assert.match((await bar.getAttribute('aria-label')) ?? '', /LIME on probe-disc\.png with demo-shapes/);
    await waitFor(async () => (await job.row().getAttribute('data-status')) === 'SUCCEEDED', 'SUCCEEDED');
    const img = job.row().locator('img.job-result');
    await img.waitFor();
    await waitFor(() => img.evaluate((el) => (el as unknown as { complete: boolean; naturalWidth: number }).complete && (el as unknown as { naturalWidth: number }).naturalWidth > 0), 'the result image to load');
    await waitFor(async () => /LIME on probe-disc\.png with demo-shapes finished/.test(await page.getByTestId('live-region').innerText()), 'the live region announcement');
    await shot('03-lime-done');

    // Results view: the LIME views switch without re-running; the raw map downloads.
    await job.row().getByRole('link', { name: 'View results' }).click();
    await page.getByRole('heading', { name: 'Results for probe-disc.png' }).waitFor();
    const lime = page.locator('figure.tile[data-method="LIME"]').first();
    await lime.waitFor({ timeout: 30_000 });
    const loaded = (l: Locator) => l.evaluate((el) => (el as unknown as { complete: boolean; naturalWidth: number }).complete && (el as unknown as { naturalWidth: number }).naturalWidth > 0);
    await waitFor(() => loaded(lime.getByTestId('lime-view')), 'the LIME positive view to load');
    assert.equal(await lime.getByTestId('lime-view').getAttribute('data-view'), 'positive');
    await page.getByRole('radio', { name: 'Positive and negative' }).check();
    await waitFor(async () => (await lime.getByTestId('lime-view').getAttribute('data-view')) === 'both' && loaded(lime.getByTestId('lime-view')), 'the both view');
    assert.match(await lime.getByTestId('lime-view').getAttribute('src') ?? '', /^\/files\/artifacts\//);
    await page.getByText(/green tint = positive/).waitFor();
    const raw = lime.getByRole('link', { name: /Download raw LIME map/ });
    const res = await fetch(new URL((await raw.getAttribute('href'))!, service.url));
    assert.equal(res.status, 200);
    const npy = new Uint8Array(await res.arrayBuffer());
    assert.equal(String.fromCharCode(...npy.slice(1, 6)), 'NUMPY');
    await page.getByLabel(/Heatmap opacity/).fill('80');
    await shot('04-results');
    await page.getByRole('link', { name: '← All images' }).click();
    await page.getByRole('heading', { name: 'Images', exact: true }).waitFor();
  });

  test('cancel a running job: it ends CANCELLED', async () => {
    const job = await explainWithLime('probe-disc.png', 20_000);
    await waitFor(async () => (await job.row().getAttribute('data-status')) === 'RUNNING' && (await valueNow(job.row())) > 0, 'the job to run', 60_000);
    await job.row().getByRole('button', { name: /^Cancel LIME on probe-disc\.png/ }).click();
    await waitFor(async () => (await job.row().getAttribute('data-status')) === 'CANCELLED', 'CANCELLED', 30_000);
    assert.equal(await job.row().getByTestId('job-status').innerText(), 'Cancelled');
    assert.equal(await job.row().getByRole('button', { name: /^Cancel/ }).count(), 0);
    await job.row().getByRole('button', { name: /^Retry/ }).waitFor();
    await waitFor(async () => /was cancelled/.test(await page.getByTestId('live-region').innerText()), 'the live region announcement');
    await shot('05-cancelled');
  });

  test('a corrupt upload shows the typed error message', async () => {
    const junk = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + 13) % 251));
    await page.setInputFiles('#file-input', { name: 'x.png', mimeType: 'image/png', buffer: junk });
    const err = page.getByTestId('upload-error').filter({ hasText: 'x.png' });
    await err.waitFor({ timeout: 30_000 });
    assert.match(await err.innerText(), /^x\.png: INVALID_IMAGE: \S/);
    assert.equal(await page.locator('li.card', { has: page.getByRole('heading', { name: 'x.png' }) }).count(), 0);
    await shot('06-invalid-upload');
  });

  test('reload during a run: the progress bar resumes from the subscription', async () => {
    const job = await explainWithLime('probe-disc.png', 4000);
    const v1 = await waitFor(async () => {
      const v = await valueNow(job.row());
      return (await job.row().getAttribute('data-status')) === 'RUNNING' && v >= 2 ? v : null;
    }, 'the job to make progress', 60_000);
    await page.reload();
    await job.row().waitFor({ timeout: 30_000 });
    assert.ok((await valueNow(job.row())) >= v1, 'after the reload the bar shows at least the progress before it');
    const v2 = await waitFor(async () => {
      const v = await valueNow(job.row());
      return v > v1 ? v : null;
    }, `progress beyond ${v1}% after the reload`, 60_000);
    assert.ok(v2 > v1);
    assert.equal(await job.row().getAttribute('data-status'), 'RUNNING');
    await shot('07-after-reload');
    await job.row().getByRole('button', { name: /^Cancel/ }).click();
    await waitFor(async () => (await job.row().getAttribute('data-status')) === 'CANCELLED', 'CANCELLED', 30_000);
  });

  test('Grad-CAM and Partition SHAP side by side with LIME; the opacity slider drives the heatmaps', async () => {
    const form = page.locator('section[aria-labelledby="explain-h"]');
    await form.getByRole('checkbox', { name: 'LIME', exact: true }).uncheck();
    await form.getByRole('checkbox', { name: 'Grad-CAM', exact: true }).check();
    await form.getByRole('checkbox', { name: 'Partition SHAP', exact: true }).check();
    await form.getByLabel('Partition SHAP evaluations').fill('100');
    await page.getByRole('button', { name: 'Explain probe-disc.png' }).click();
    for (const what of ['Grad-CAM', 'Partition SHAP']) {
      const row = page.locator('li.job', { hasText: `${what} on probe-disc.png` }).first();
      await waitFor(async () => (await row.getAttribute('data-status')) === 'SUCCEEDED', `${what} to succeed`, 60_000);
    }
    await page.locator('li.card', { has: page.getByRole('heading', { name: 'probe-disc.png', exact: true }) }).getByRole('link', { name: /^Results for/ }).click();
    await page.getByRole('heading', { name: 'Results for probe-disc.png' }).waitFor();
    await page.getByLabel(/Heatmap opacity/).fill('30');
    for (const method of ['GRAD_CAM', 'PARTITION_SHAP']) {
      const heat = page.locator(`figure.tile[data-method="${method}"] img.heat`).first();
      await heat.waitFor({ timeout: 30_000 });
      await waitFor(() => heat.evaluate((el) => (el as unknown as { complete: boolean; naturalWidth: number }).complete && (el as unknown as { naturalWidth: number }).naturalWidth > 0), `the ${method} heatmap to load`);
      assert.equal(await heat.evaluate((el) => (el as unknown as { style: { opacity: string } }).style.opacity), '0.3');
    }
    await page.locator('figure.tile[data-method="LIME"]').first().waitFor();
    await page.getByText(/blue = negative/).waitFor();
    await page.getByText(/yellow = high/).waitFor();
    await shot('08-side-by-side');
  });

  test('no uncaught errors in the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
