// The lab portal in real headless Chromium (playwright-core, Debian's /usr/bin/chromium) against the
// real service (SQLite, HTTP + websocket, in-process jobs), which also serves the built portal.
// Screenshots go to test-artifacts/portal/. Skips when Chromium is absent (CI installs it).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { parseNpy } from '../../client/portal/src/lime-view.ts';
import { REGISTER_MODEL } from '../api/operations.ts';
import { renamedLayerDemoModel } from '../support/models.ts';
import type { TestService } from '../support/service.ts';
import { openPortal, SKIP, waitFor, type PortalSession } from './browser.ts';

let session: PortalSession;
let service: TestService;
let page: Page;
/** The 300-sample LIME job of the first LIME test (its explorer is tested next). */
let limeJobId: string | undefined;

const shot = (name: string) => session.shot(name);

/** A yellow disc on gray: the demo model's kind of picture. */
async function discPng(fill = '#f2d21b'): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="224" height="224"><rect width="224" height="224" fill="#777"/><circle cx="112" cy="112" r="50" fill="${fill}"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
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
    session = await openPortal();
    ({ service, page } = session);
  });

  after(async () => session?.close());

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
    limeJobId = job.id;
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
    // Issue 15: under the figure the largest weights with their 95% error bars, next to it the
    // top-k stability and effective samples, all as the API returns them for this explanation.
    const u = (
      await service.gql(`query($id: ID!) { explanation(id: $id) { uncertainty { topK effectiveSampleSize classes { classIndex stability features { segment weight lower upper } } } } }`, {
        id: await lime.getAttribute('data-explanation-id'),
      })
    ).data.explanation.uncertainty;
    const [cls] = u.classes;
    assert.equal(
      (await lime.getByTestId('stability').innerText()).trim(),
      `top-${u.topK} stability ${Math.round(100 * cls.stability)}% · ${Math.round(u.effectiveSampleSize)} effective samples`,
    );
    const largest = [...cls.features].sort((a: any, b: any) => Math.abs(b.weight) - Math.abs(a.weight) || a.segment - b.segment);
    const bars = lime.getByTestId('weight-bars');
    assert.equal(await bars.locator('g').count(), Math.min(10, largest.length));
    const described = (await bars.getAttribute('aria-label')) ?? '';
    for (const f of largest.slice(0, 3)) assert.ok(described.includes(`segment ${f.segment}: ${f.weight.toFixed(3)} [${f.lower.toFixed(3)}, ${f.upper.toFixed(3)}]`), described);
    assert.equal(await bars.locator('g').first().locator('line.interval').count(), 3, 'each bar has its interval and two caps');
    await page.getByRole('group', { name: 'Stored LIME images' }).getByRole('radio', { name: 'Positive and negative' }).check();
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

  test('LIME explorer: sign, hide rest, number of features and class re-render the canvas without requests', async (t) => {
    assert.ok(limeJobId, 'the LIME job of the previous test');
    const id = limeJobId!;
    // Expectations from the stored data, through the API.
    const gql = await fetch(`${service.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query($id: ID!) { node(id: $id) { ... on Explanation { result artifacts { name url } } } }', variables: { id } }),
    });
    const node = ((await gql.json()) as { data: { node: { result: { localExp: Record<string, [number, number][]>; classes: { index: number; label: string }[] }; artifacts: { name: string; url: string }[] } } }).data.node;
    const segUrl = node.artifacts.find((a) => a.name === 'raw-segments.npy')!.url;
    const npy = parseNpy(new Uint8Array(await (await fetch(new URL(segUrl, service.url))).arrayBuffer()));
    const [H, W] = npy.shape;
    const seg = Int32Array.from(npy.data, (v) => Math.round(v));

    await page.locator('li.card', { has: page.getByRole('heading', { name: 'probe-disc.png', exact: true }) }).getByRole('link', { name: /^Results for/ }).click();
    await page.getByRole('heading', { name: 'Results for probe-disc.png' }).waitFor();
    const explorer = page.locator(`figure.lime-explorer[data-explanation-id="${id}"]`);
    const canvas = explorer.getByTestId('lime-canvas');
    await canvas.waitFor({ timeout: 30_000 });
    assert.equal(await canvas.getAttribute('role'), 'img');
    assert.equal(await canvas.evaluate((c) => [(c as unknown as { width: number }).width, (c as unknown as { height: number }).height].join('x')), `${W}x${H}`);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));

    const cls = Number(await canvas.getAttribute('data-class'));
    const exp = node.result.localExp[String(cls)];
    const label = node.result.classes.find((c) => c.index === cls)?.label ?? '';
    const features = async () => ((await canvas.getAttribute('data-features')) ?? '').split(',').filter(Boolean).map(Number);
    const pixels = () => canvas.evaluate((c) => {
      const el = c as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } };
      return Array.from(el.getContext('2d').getImageData(0, 0, el.width, el.height).data);
    });
    const positives = exp.filter(([, w]) => w > 0).map(([f]) => f);
    const negatives = exp.filter(([, w]) => w < 0).map(([f]) => f);
    t.diagnostic(`class ${cls}: ${positives.length} positive, ${negatives.length} negative superpixels; ${node.result.classes.length} class(es) explained`);
    assert.deepEqual(await features(), positives.slice(0, 5), 'default: top 5 positive superpixels');
    assert.equal(await canvas.getAttribute('aria-label'), `LIME, class ${label}, top 5 positive superpixels${positives.length < 5 ? ` (${positives.length} found)` : ''}, outlined in yellow`);
    const initial = await pixels();

    /** Shown segment f with hide rest: its pixels non-black, everything else black or yellow (its outer outline). */
    const checkOnly = (px: number[], f: number) => {
      let inside = 0;
      let nonBlack = 0;
      let yellow = 0;
      let ring = 0;
      for (let p = 0; p < W * H; p++) {
        const [r, g, b] = [px[p * 4], px[p * 4 + 1], px[p * 4 + 2]];
        const black = r === 0 && g === 0 && b === 0;
        if (!black) nonBlack++;
        if (seg[p] === f) {
          inside++;
          assert.ok(!black, `pixel ${p} of segment ${f} is shown`);
        } else {
          const x = p % W;
          const y = Math.floor(p / W);
          const touches = (x > 0 && seg[p - 1] === f) || (x < W - 1 && seg[p + 1] === f) || (y > 0 && seg[p - W] === f) || (y < H - 1 && seg[p + W] === f);
          if (touches) ring++;
          if (r === 255 && g === 255 && b === 0) yellow++;
          else assert.ok(black, `pixel ${p} outside segment ${f} is hidden (black) or outline (yellow), got ${r},${g},${b}`);
        }
      }
      assert.equal(yellow, ring, 'the yellow outline is the outer boundary of the segment');
      assert.equal(nonBlack, inside + ring, 'non-black pixels = the segment + its outline');
      return inside;
    };

    await explorer.getByRole('checkbox', { name: 'Hide rest' }).check();
    await explorer.getByLabel(/Number of features/).fill('1');
    await waitFor(async () => (await features()).length === 1, 'one feature');
    assert.deepEqual(await features(), positives.slice(0, 1));
    const topSize = checkOnly(await pixels(), positives[0]);
    assert.equal(topSize, seg.filter((s) => s === positives[0]).length);
    assert.match((await canvas.getAttribute('aria-label')) ?? '', new RegExp(`^LIME, class ${label}, top 1 positive superpixel, outlined in yellow, rest hidden$`));
    await shot('09-lime-explorer-top1-hide-rest');

    // Keyboard: arrow keys move through the radio group.
    await explorer.getByRole('radio', { name: 'Positive only' }).focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await explorer.getByRole('radio', { name: 'Negative only' }).isChecked(), true);
    if (negatives.length > 0) {
      await waitFor(async () => (await features())[0] === negatives[0], 'the top negative superpixel');
      checkOnly(await pixels(), negatives[0]);
      assert.match((await canvas.getAttribute('aria-label')) ?? '', /top 1 negative superpixel/);
      await explorer.getByLabel(/Number of features/).fill('3');
      await waitFor(async () => (await features()).join() === negatives.slice(0, 3).join(), 'the top 3 negative superpixels');
    }

    // Both signs, rest shown: top features by |weight|, tinted (positive: green channel = max(image)).
    await explorer.getByRole('radio', { name: 'Positive and negative' }).check();
    await explorer.getByRole('checkbox', { name: 'Hide rest' }).uncheck();
    await explorer.getByLabel(/Number of features/).fill('4');
    await waitFor(async () => (await features()).join() === exp.slice(0, 4).map(([f]) => f).join(), 'the top 4 superpixels of either sign');
    const both = await pixels();
    let max = 0;
    for (let p = 0; p < W * H; p++) {
      if (initial[p * 4] === 255 && initial[p * 4 + 1] === 255 && initial[p * 4 + 2] === 0) continue; // outline, not image
      for (let c = 0; c < 3; c++) max = Math.max(max, initial[p * 4 + c]);
    }
    const [f0, w0] = exp[0];
    const tinted = [...seg.keys()].filter((p) => seg[p] === f0 && both[p * 4 + (w0 < 0 ? 0 : 1)] === max).length;
    assert.ok(tinted >= 0.5 * seg.filter((s) => s === f0).length, `segment ${f0} is tinted ${w0 < 0 ? 'red' : 'green'}`);
    assert.notDeepEqual(both, initial);
    await shot('10-lime-explorer-both');

    // Another explained class.
    if (node.result.classes.length > 1) {
      const other = node.result.classes.find((c) => c.index !== cls && node.result.localExp[String(c.index)])!;
      await explorer.getByLabel('Class').selectOption(String(other.index));
      await waitFor(async () => Number(await canvas.getAttribute('data-class')) === other.index, 'the other class');
      assert.deepEqual(await features(), node.result.localExp[String(other.index)].slice(0, 4).map(([f]) => f));
      assert.match((await canvas.getAttribute('aria-label')) ?? '', new RegExp(`^LIME, class ${other.label},`));
    }
    assert.deepEqual(requests, [], 'toggles re-render in the browser without requests');
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

  test('a long target-layer name wraps inside its result card instead of overflowing into the next one', async () => {
    // Exporters name tensors like this: no spaces, so nothing breaks the line unless the caption allows it.
    const layer = '/backbone/stage4.bottleneck_block_23.depthwise_conv3x3_batchnorm/Relu_output_0';
    const reg = await service.upload(REGISTER_MODEL, { input: { name: 'long-layer-demo', file: null } }, { 'input.file': { bytes: renamedLayerDemoModel(layer), name: 'long-layer.onnx' } });
    assert.ok(reg.data?.registerModel?.data, JSON.stringify(reg));
    await page.goto(`${service.url}/`); // a fresh load (the models list), on the gallery
    await page.getByRole('heading', { name: 'Images', exact: true }).waitFor();
    await page.setInputFiles('#file-input', { name: 'layer-probe.png', mimeType: 'image/png', buffer: await discPng('#1bd2f2') });
    const card = page.locator('li.card', { has: page.getByRole('heading', { name: 'layer-probe.png', exact: true }) });
    await card.getByTestId('prediction').first().waitFor({ timeout: 30_000 });
    const form = page.locator('section[aria-labelledby="explain-h"]');
    await form.getByRole('checkbox', { name: /long-layer-demo/ }).check();
    await form.getByRole('checkbox', { name: /demo-shapes/ }).uncheck();
    for (const m of ['LIME', 'Partition SHAP']) await form.getByRole('checkbox', { name: m, exact: true }).uncheck();
    for (const m of ['Grad-CAM', 'Grad-CAM++']) await form.getByRole('checkbox', { name: m, exact: true }).check();
    await form.getByRole('checkbox', { name: 'Deletion and insertion curves' }).check();
    await card.getByRole('button', { name: 'Explain layer-probe.png' }).click();
    for (const what of ['Grad-CAM', 'Grad-CAM++']) {
      const row = page.locator('li.job', { hasText: `${what} on layer-probe.png with long-layer-demo` }).first();
      await waitFor(async () => (await row.getAttribute('data-status')) === 'SUCCEEDED', `${what} to succeed`, 60_000);
    }
    await card.getByRole('link', { name: /^Results for/ }).click();
    const section = page.locator('section.model-results', { has: page.getByRole('heading', { name: 'long-layer-demo', exact: true }) });
    await section.getByText(`layer ${layer}`).first().waitFor({ timeout: 30_000 });
    // Every glyph box of every caption (text ranges, not element boxes, which do not grow with overflow)
    // lies inside its own figure, and figures do not overlap.
    const boxes = await section.locator('figure.tile').evaluateAll((figs) =>
      figs.map((f) => {
        const doc = f.ownerDocument;
        const box = f.getBoundingClientRect();
        const walker = doc.createTreeWalker(f.querySelector('figcaption')!, 4 /* NodeFilter.SHOW_TEXT */);
        const rects: { left: number; right: number; text: string }[] = [];
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
          const range = doc.createRange();
          range.selectNodeContents(n);
          for (const r of Array.from(range.getClientRects())) rects.push({ left: r.left, right: r.right, text: n.textContent ?? '' });
        }
        return { left: box.left, right: box.right, rects };
      }),
    );
    assert.ok(boxes.length >= 3, `the original and two CAM figures, got ${boxes.length}`);
    for (const [i, b] of boxes.entries()) {
      if (i > 0) assert.ok(b.left >= boxes[i - 1].right, `figure ${i} starts after figure ${i - 1} ends`);
      for (const r of b.rects) {
        assert.ok(r.left >= b.left - 0.5 && r.right <= b.right + 0.5, `caption text "${r.text}" spans ${r.left.toFixed(1)}–${r.right.toFixed(1)} px, outside its figure ${b.left.toFixed(1)}–${b.right.toFixed(1)} px`);
      }
    }
    // The curves asked for with the form: a chart per tile, its AUCs the stored ones, inside its figure.
    const tiles = section.locator('figure.tile[data-explanation-id]');
    assert.equal(await tiles.count(), 2);
    for (const tile of await tiles.all()) {
      const id = (await tile.getAttribute('data-explanation-id'))!;
      const stored = (await service.gql(`query($id: ID!) { explanation(id: $id) { deletionAuc insertionAuc } }`, { id })).data.explanation;
      const chart = tile.getByTestId('faithfulness-chart');
      await chart.waitFor();
      assert.equal(Number(await chart.getAttribute('data-deletion-auc')), stored.deletionAuc);
      assert.equal(Number(await chart.getAttribute('data-insertion-auc')), stored.insertionAuc);
      const [outer, inner] = [await tile.boundingBox(), await chart.locator('svg').boundingBox()];
      assert.ok(inner!.x >= outer!.x - 0.5 && inner!.x + inner!.width <= outer!.x + outer!.width + 0.5, 'the chart fits its figure');
    }
    await form.getByRole('checkbox', { name: 'Deletion and insertion curves' }).uncheck();
    await shot('11-long-layer-caption');
    for (const m of ['Grad-CAM++']) await form.getByRole('checkbox', { name: m, exact: true }).uncheck();
    await form.getByRole('checkbox', { name: /demo-shapes/ }).check();
    await form.getByRole('checkbox', { name: /long-layer-demo/ }).uncheck();
  });

  test('no uncaught errors in the page', () => {
    assert.deepEqual(session.pageErrors, []);
  });
});
