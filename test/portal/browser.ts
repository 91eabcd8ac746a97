// Shared by the portal's browser tests: the built portal served by a real service (SQLite, HTTP +
// websocket, in-process jobs) in Debian's headless Chromium via playwright-core; screenshots go to
// test-artifacts/portal/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ensurePortalBuilt } from '../../src/http/portal.ts';
import { repoRoot, startTestService, type TestService } from '../support/service.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const SKIP = existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: install Debian's chromium to run the portal browser tests`;
export const SHOTS = path.join(repoRoot, 'test-artifacts', 'portal');

export interface PortalSession {
  service: TestService;
  context: BrowserContext;
  page: Page;
  /** Uncaught errors in the page. */
  pageErrors: string[];
  shot(name: string): Promise<unknown>;
  close(): Promise<void>;
}

export async function openPortal(opts: { env?: Record<string, string>; downloads?: boolean } = {}): Promise<PortalSession> {
  mkdirSync(SHOTS, { recursive: true });
  const built = await ensurePortalBuilt();
  assert.ok(built.ok, built.ok ? '' : built.message);
  const service = await startTestService({ jobs: true, env: opts.env });
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'xai-portal-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    viewport: { width: 1400, height: 1000 },
    acceptDownloads: opts.downloads ?? false,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${service.url}/`);
  await page.getByText('Open local mode: no key needed').waitFor();
  return {
    service,
    context,
    page,
    pageErrors,
    shot: (name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true }),
    async close() {
      await context.close();
      await service.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 60_000, everyMs = 100): Promise<T> {
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
