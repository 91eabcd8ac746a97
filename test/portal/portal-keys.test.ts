// The portal with API keys required, in headless Chromium: after the key is saved, <img> tags load the
// signed /files links the API returns (no header is sent for images), and a bare content hash does not.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { ensurePortalBuilt } from '../../src/http/portal.ts';
import { startKeyedService, type KeyedService } from '../support/auth.ts';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: install Debian's chromium to run the portal browser tests`;

describe('portal with API keys in headless Chromium', { skip: SKIP, timeout: 300_000 }, () => {
  let k: KeyedService;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;

  before(async () => {
    const built = await ensurePortalBuilt();
    assert.ok(built.ok, built.ok ? '' : built.message);
    k = await startKeyedService({ env: { XAI_FILES_SECRET: 'portal-files-secret-0123456789abcdef' } });
    userDataDir = mkdtempSync(path.join(os.tmpdir(), 'xai-portal-keys-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    page = context.pages()[0] ?? (await context.newPage());
  });
  after(async () => {
    await context?.close();
    await k?.svc.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  test('with a saved key, uploaded images show from their signed links', async () => {
    const researcher = await k.key('RESEARCHER', 'portal researcher');
    await page.goto(`${k.svc.url}/`);
    await page.locator('#api-key').fill(researcher);
    await page.getByRole('button', { name: 'Save key' }).click();
    await page.getByText('Signed in as portal researcher (RESEARCHER)').waitFor({ timeout: 30_000 });
    await page.setInputFiles('#file-input', { name: 'signed.png', mimeType: 'image/png', buffer: await sharp({ create: { width: 120, height: 90, channels: 3, background: '#2a6' } }).png().toBuffer() });
    const img = page.locator('li.card', { has: page.getByRole('heading', { name: 'signed.png', exact: true }) }).locator('img.card-img');
    await img.waitFor({ timeout: 30_000 });
    await page.waitForFunction((el) => {
      const i = el as unknown as { complete: boolean; naturalWidth: number };
      return i.complete && i.naturalWidth > 0;
    }, await img.elementHandle(), { timeout: 30_000 });
    const src = (await img.getAttribute('src'))!;
    assert.match(src, /\?exp=\d+&sig=/);
    // The same file without its signature does not load in the browser.
    const bare = await page.evaluate(async (u) => (await fetch(u)).status, src.split('?')[0]);
    assert.equal(bare, 401);
  });
});
