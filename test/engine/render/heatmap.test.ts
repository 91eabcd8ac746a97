import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { EngineError } from '../../../src/engine/errors.ts';
import { cropBoxInOriginal, cropGeometry } from '../../../src/engine/preprocess.ts';
import { presetSpec } from '../../../src/engine/presets.ts';
import { colorAt, SHAP_BLUE, SHAP_RED } from '../../../src/engine/render/colormaps.ts';
import { absPercentile, normalizeMap, overlayPixels, renderHeatmap, renderOverlay } from '../../../src/engine/render/heatmap.ts';

const io = { inputName: 'input', outputName: 'logits' };
const torchvision = presetSpec('torchvision', io); // Resize(256) → CenterCrop(224)
const identity = { ...torchvision, resizeShorter: 224 }; // 224×224 image: crop = whole image

const bad = (e: unknown) => e instanceof EngineError && e.code === 'INVALID_ARGUMENT';

async function decode(png: Buffer) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const px = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x + 1) * info.channels)];
  return { data, info, px };
}

async function pngOf(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw.set(pixel(x, y), (y * width + x) * 3);
  return sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

/** Octave/OpenCV jet, computed independently of the LUT: clip(1.5 − |4x − c|) · 255, RGB. */
function jetIdeal(i: number): [number, number, number] {
  const ch = (c: number) => Math.min(1, Math.max(0, 1.5 - Math.abs((4 * i) / 255 - c))) * 255;
  return [ch(3), ch(2), ch(1)];
}

test('heatmap: PNG at the map resolution, peak gets the top color and minimum the bottom one', async () => {
  const w = 16;
  const h = 8;
  const map = Float32Array.from({ length: w * h }, (_, i) => 3 + Math.sin(i));
  map[3 * w + 5] = 10;
  map[0] = -2;
  for (const colormap of ['viridis', 'cividis', 'inferno', 'jet'] as const) {
    const { info, px } = await decode(await renderHeatmap(map, w, h, { colormap }));
    assert.equal(info.width, w);
    assert.equal(info.height, h);
    assert.equal(info.channels, 3);
    assert.deepEqual(px(5, 3), colorAt(colormap, 1), colormap);
    assert.deepEqual(px(0, 0), colorAt(colormap, 0), colormap);
  }
  // Default is viridis with min-max normalization.
  const { px } = await decode(await renderHeatmap(map, w, h));
  assert.deepEqual(px(5, 3), [253, 231, 37]);
  assert.deepEqual(px(0, 0), [68, 1, 84]);
});

test('normalization modes', () => {
  const map = Float32Array.from([-1, 0, 1, 3, Number.NaN]);
  assert.deepEqual([...normalizeMap(map)], [0, 0.25, 0.5, 1, 0]);
  assert.deepEqual([...normalizeMap(map, { normalize: 'max' })], [0, 0, 1 / 3, 1, 0].map(Math.fround));
  assert.deepEqual([...normalizeMap(map, { normalize: 'none' })], [0, 0, 1, 1, 0]);
  assert.deepEqual([...normalizeMap(map, { signed: true })], [-1 / 3, 0, 1 / 3, 1, 0].map(Math.fround));
  assert.deepEqual([...normalizeMap(map, { signed: true, maxAbs: 2 })], [-0.5, 0, 0.5, 1, 0]);
  assert.deepEqual([...normalizeMap(new Float32Array(3).fill(5))], [0, 0, 0]);
  // numpy.percentile(|v|, q), linear interpolation.
  assert.equal(absPercentile(Float32Array.from([0, -1, 2, 3, -4]), 50), 2);
  assert.equal(absPercentile(Float32Array.from([0, -1, 2, 3, -4]), 100), 4);
  assert.ok(Math.abs(absPercentile(Float32Array.from([0, 1, 2, 3, 4]), 99.9) - 3.996) < 1e-12);
  assert.throws(() => normalizeMap(map, { normalize: 'zscore' as never }), bad);
});

test('signed heatmap: RGBA, red for positive, blue for negative, transparent at 0, symmetric scale', async () => {
  const map = new Float32Array(4 * 2);
  map[1] = 2; // peak positive
  map[2] = -2; // peak negative
  map[3] = 1;
  const { info, px } = await decode(await renderHeatmap(map, 4, 2, { signed: true }));
  assert.equal(info.channels, 4);
  assert.deepEqual(px(1, 0), [...SHAP_RED, 255]);
  assert.deepEqual(px(2, 0), [...SHAP_BLUE, 255]);
  assert.equal(px(0, 0)[3], 0);
  assert.ok(Math.abs(px(3, 0)[3] - 128) <= 2, `half value → half alpha, got ${px(3, 0)[3]}`);
  // A shared scale (shap scales all classes of an image together) lowers the alpha.
  const shared = await decode(await renderHeatmap(map, 4, 2, { signed: true, maxAbs: 4 }));
  assert.ok(Math.abs(shared.px(1, 0)[3] - 128) <= 2);
});

test('overlay: original size for a 640×427 photo with torchvision geometry, map corner tints that corner', async () => {
  const W = 640;
  const H = 427;
  const gray = await pngOf(W, H, () => [128, 128, 128]);
  const g = cropGeometry(W, H, torchvision);
  const box = cropBoxInOriginal(g);
  // Map peaks in the top-left 16×16 cells of the 224×224 crop.
  const map = new Float32Array(224 * 224);
  for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) map[y * 224 + x] = 1;
  const { info, px } = await decode(await renderOverlay(gray, g, map, 224, 224, { colormap: 'viridis' }));
  assert.equal(info.width, W);
  assert.equal(info.height, H);

  const yellowish = (p: number[]) => p[1] > p[2] + 60 && p[0] > p[2] + 60; // viridis(1) = (253, 231, 37)
  const purplish = (p: number[]) => p[2] > p[1] + 30; // viridis(0) = (68, 1, 84)
  const neutral = (p: number[]) => p[0] === p[1] && p[1] === p[2];
  const x0 = Math.ceil(box.left);
  const y0 = Math.ceil(box.top);
  const x1 = Math.floor(box.left + box.width) - 1;
  const y1 = Math.floor(box.top + box.height) - 1;
  assert.ok(yellowish(px(x0 + 10, y0 + 10)), `crop corner in the original should be tinted, got ${px(x0 + 10, y0 + 10)}`);
  assert.ok(purplish(px(x0 + 60, y0 + 60)), `got ${px(x0 + 60, y0 + 60)}`);
  assert.ok(purplish(px(x1, y1)));
  // Outside the crop box nothing is tinted (the crop is centered: the photo's own corners are outside).
  for (const [x, y] of [
    [0, 0],
    [x0 - 2, y0 + 10],
    [x0 + 10, y0 - 2],
    [W - 1, H - 1],
    [x1 + 2, y1],
  ]) {
    assert.ok(neutral(px(x, y)), `(${x}, ${y}) should be un-tinted, got ${px(x, y)}`);
  }
  assert.ok(yellowish(px(x0, y0 + 10)), 'the first column inside the box is tinted');

  // A map peaking at the opposite corner moves the tint there.
  const flipped = new Float32Array(224 * 224);
  for (let y = 208; y < 224; y++) for (let x = 208; x < 224; x++) flipped[y * 224 + x] = 1;
  const other = await decode(await renderOverlay(gray, g, flipped, 224, 224, { colormap: 'viridis' }));
  assert.ok(yellowish(other.px(x1 - 10, y1 - 10)));
  assert.ok(purplish(other.px(x0 + 10, y0 + 10)));

  // 'dim' halves the outside.
  const dimmed = await decode(await renderOverlay(gray, g, map, 224, 224, { outside: 'dim' }));
  assert.ok(dimmed.px(0, 0)[0] < px(0, 0)[0] * 0.75);
});

test('overlay is drawn in the orientation the model saw (EXIF orientation 6)', async () => {
  // Stored 640×427, left half dark and right half bright; orientation 6 displays it turned 90° clockwise.
  const raw = Buffer.alloc(640 * 427 * 3);
  for (let y = 0; y < 427; y++) for (let x = 0; x < 640; x++) raw.fill(x < 320 ? 30 : 220, (y * 640 + x) * 3, (y * 640 + x + 1) * 3);
  const jpeg = await sharp(raw, { raw: { width: 640, height: 427, channels: 3 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
  const zero = new Float32Array(224 * 224);
  const luma = (p: number[]) => p[0] + p[1] + p[2];

  // Default (PIL): the stored pixels, dark on the left.
  const stored = await decode(await renderOverlay(jpeg, cropGeometry(640, 427, torchvision), zero, 224, 224, { opacity: 0 }));
  assert.deepEqual([stored.info.width, stored.info.height], [640, 427]);
  assert.ok(luma(stored.px(5, 200)) < luma(stored.px(635, 200)));

  // orientation APPLY: turned, so the stored left half is now on top.
  const applied = { ...torchvision, orientation: 'APPLY' as const };
  const turned = await decode(await renderOverlay(jpeg, cropGeometry(427, 640, applied), zero, 224, 224, { opacity: 0 }));
  assert.deepEqual([turned.info.width, turned.info.height], [427, 640]);
  assert.ok(luma(turned.px(200, 5)) < luma(turned.px(200, 635)));

  // A geometry of the other orientation does not fit the decoded original.
  await assert.rejects(renderOverlay(jpeg, cropGeometry(427, 640, torchvision), zero, 224, 224), bad);
  await assert.rejects(renderOverlay(jpeg, cropGeometry(640, 427, applied), zero, 224, 224), bad);
});

test("jet overlay equals show_cam_on_image: 0.5·img + 0.5·jet(cam) within ±1", async () => {
  const N = 224;
  const img = (x: number, y: number): [number, number, number] => (x === 0 && y === 0 ? [255, 255, 255] : [x, y, (x * y) % 256]);
  const png = await pngOf(N, N, img);
  const map = Float32Array.from({ length: N * N }, (_, i) => ((i % N) + 2 * Math.floor(i / N)) % N / (N - 1));
  map[0] = 0.5; // white pixel under jet's pure green → max(cam) = 1, so no rescaling
  const g = cropGeometry(N, N, identity);
  assert.equal(g.scaleX, 1);
  const { info, px } = await decode(await renderOverlay(png, g, map, N, N, { colormap: 'jet' }));
  assert.equal(info.width, N);
  let worst = 0;
  for (let y = 0; y < N; y++) {
    for (let x = 0; x < N; x++) {
      const heat = jetIdeal(Math.trunc(Math.fround(255 * map[y * N + x]))); // cv2.applyColorMap(np.uint8(255 * mask))
      const got = px(x, y);
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(got[c] - (0.5 * img(x, y)[c] + 0.5 * heat[c])));
    }
  }
  assert.ok(worst <= 1, `max deviation ${worst}`);
});

test('jet overlay rescales by max(cam) like show_cam_on_image when nothing reaches 1', () => {
  const N = 32;
  const g = cropGeometry(N, N, { ...identity, resizeShorter: N, width: N, height: N });
  const original = Uint8Array.from({ length: N * N * 3 }, (_, i) => 20 + (i % 80));
  const map = Float32Array.from({ length: N * N }, (_, i) => (i % 7) / 6);
  const out = overlayPixels(original, g, map, N, N, { colormap: 'jet', opacity: 0.3 });
  const cam: number[] = [];
  for (let p = 0; p < N * N; p++) {
    const heat = jetIdeal(Math.trunc(Math.fround(255 * map[p])));
    for (let c = 0; c < 3; c++) cam.push((0.3 * heat[c] + 0.7 * original[p * 3 + c]) / 255);
  }
  const max = Math.max(...cam);
  assert.ok(max < 1);
  for (let i = 0; i < cam.length; i++) assert.ok(Math.abs(out.data[i] - Math.floor((255 * cam[i]) / max)) <= 1, `channel ${i}`);
});

test('signed overlay: zero map leaves the photo untouched, positive tints red, negative blue', () => {
  const N = 16;
  const g = cropGeometry(N, N, { ...identity, resizeShorter: N, width: N, height: N });
  const original = new Uint8Array(N * N * 3).fill(100);
  assert.deepEqual(overlayPixels(original, g, new Float32Array(N * N), N, N, { signed: true }).data, original);
  const map = new Float32Array(N * N);
  map[0] = 1;
  map[N * N - 1] = -1;
  const out = overlayPixels(original, g, map, N, N, { signed: true, opacity: 1 }).data;
  assert.deepEqual([...out.subarray(0, 3)], [...SHAP_RED]);
  assert.deepEqual([...out.subarray(out.length - 3)], [...SHAP_BLUE]);
});

test('argument errors', async () => {
  const g = cropGeometry(8, 8, { ...identity, resizeShorter: 8, width: 8, height: 8 });
  assert.throws(() => overlayPixels(new Uint8Array(8 * 8 * 3), g, new Float32Array(10), 8, 8), bad);
  assert.throws(() => overlayPixels(new Uint8Array(5), g, new Float32Array(64), 8, 8), bad);
  assert.throws(() => overlayPixels(new Uint8Array(8 * 8 * 3), g, new Float32Array(64), 8, 8, { opacity: 2 }), bad);
  await assert.rejects(renderHeatmap(new Float32Array(4), 2, 2, { colormap: 'hot' as never }), bad);
  await assert.rejects(renderOverlay(Buffer.from('nope'), g, new Float32Array(64), 8, 8), (e: unknown) => e instanceof EngineError && e.code === 'INVALID_IMAGE');
});
