import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { EngineError } from '../../../src/engine/errors.ts';
import {
  brighten,
  limeImageAndMask,
  limeView,
  perturb,
  rankSegments,
  renderLimeView,
  renderSampleGrid,
  renderSegments,
  sampleGrid,
  segmentMeans,
  segmentsViews,
} from '../../../src/engine/render/lime-views.ts';

// 40×40 image cut into a 4×4 grid of 10×10 superpixels: segment s = row·4 + col.
const W = 40;
const H = 40;
const segOf = (x: number, y: number) => Math.floor(y / 10) * 4 + Math.floor(x / 10);
const segments = Int32Array.from({ length: W * H }, (_, p) => segOf(p % W, Math.floor(p / W)));
const color = (x: number, y: number): [number, number, number] => [10 + 10 * segOf(x, y), 50 + (x % 10), 100 + (y % 10)];
const rgb = new Uint8Array(W * H * 3);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) rgb.set(color(x, y), (y * W + x) * 3);
const MAX = 160; // np.max(image): segment 15's red

// prettier-ignore
const weights = Float64Array.from([0.1, -0.5, 0.3, 0.05, -0.2, 0.4, 0, -0.01, 0.2, -0.3, 0.02, 0.6, -0.05, 0.15, -0.6, 0.01]);

const at = (img: Uint8Array, x: number, y: number) => [...img.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)];
/** An interior pixel of segment s (not on any boundary). */
const inside = (s: number): [number, number] => [(s % 4) * 10 + 5, Math.floor(s / 4) * 10 + 5];
const bad = (e: unknown) => e instanceof EngineError && e.code === 'INVALID_ARGUMENT';

test("features are ranked like lime's local_exp: |weight| descending, ties by segment id, unselected (0) left out", () => {
  assert.deepEqual(rankSegments(weights), [11, 14, 1, 5, 2, 9, 4, 8, 13, 0, 3, 12, 10, 7, 15]);
});

test('a segment the fit did not select (weight 0) is never shown, whatever numFeatures', () => {
  const seg = Int32Array.from([0, 0, 1, 1, 2, 2, 3, 3]);
  const w = Float64Array.from([0.5, -0.7, 0.1, 0]);
  const img = Uint8Array.from({ length: 24 }, (_, i) => 10 + i);
  const view = (o: Parameters<typeof limeImageAndMask>[5]) => limeImageAndMask(img, seg, w, 8, 1, o);
  assert.deepEqual([...view({ numFeatures: 5 }).mask], [1, 1, 0, 0, 1, 1, 0, 0]);
  assert.deepEqual([...view({ positiveOnly: false, negativeOnly: true }).mask], [0, 0, 1, 1, 0, 0, 0, 0]);
  assert.deepEqual([...view({ positiveOnly: false, numFeatures: 10 }).mask], [1, 1, -1, -1, 1, 1, 0, 0]);
  assert.deepEqual(view({ positiveOnly: true, minWeight: 0.2 }).selected, [0]);
  const hidden = view({ hideRest: true, numFeatures: 1 }).image;
  assert.deepEqual([...hidden.subarray(0, 6)], [...img.subarray(0, 6)]);
  assert.ok(hidden.subarray(6).every((x) => x === 0));
});

test('positiveOnly shows only the top positive segments; hideRest zeros the others', () => {
  const { image, mask, selected } = limeImageAndMask(rgb, segments, weights, W, H, { positiveOnly: true, numFeatures: 3, hideRest: true });
  assert.deepEqual(selected, [11, 5, 2]);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const shown = [11, 5, 2].includes(segOf(x, y));
      assert.deepEqual(at(image, x, y), shown ? color(x, y) : [0, 0, 0], `(${x}, ${y})`);
      assert.equal(mask[y * W + x], shown ? 1 : 0);
    }
  }
  // Without hideRest the rest keeps the original pixels.
  const kept = limeImageAndMask(rgb, segments, weights, W, H, { positiveOnly: true, numFeatures: 3 });
  assert.deepEqual(kept.image, rgb);
  // minWeight filters before the top-k (w > minWeight), like lime.
  assert.deepEqual(limeImageAndMask(rgb, segments, weights, W, H, { numFeatures: 5, minWeight: 0.35 }).selected, [11, 5]);
  // Defaults are lime's: positive_only=True, num_features=5.
  assert.deepEqual(limeImageAndMask(rgb, segments, weights, W, H).selected, [11, 5, 2, 8, 13]);
});

test('negativeOnly takes the strongest negative segments', () => {
  const { selected, mask } = limeImageAndMask(rgb, segments, weights, W, H, { positiveOnly: false, negativeOnly: true, numFeatures: 2 });
  assert.deepEqual(selected, [14, 1]);
  assert.equal(mask[inside(14)[1] * W + inside(14)[0]], 1);
  assert.throws(() => limeImageAndMask(rgb, segments, weights, W, H, { positiveOnly: true, negativeOnly: true }), bad);
});

test('both: top features by |w|, positive green channel and negative red channel set to max(image)', () => {
  const { image, mask, selected } = limeImageAndMask(rgb, segments, weights, W, H, { positiveOnly: false, numFeatures: 4 });
  assert.deepEqual(selected, [11, 14, 1, 5]);
  for (const s of [11, 5]) {
    const [x, y] = inside(s);
    assert.deepEqual(at(image, x, y), [color(x, y)[0], MAX, color(x, y)[2]], `positive segment ${s}`);
    assert.equal(mask[y * W + x], 1);
  }
  for (const s of [14, 1]) {
    const [x, y] = inside(s);
    assert.deepEqual(at(image, x, y), [MAX, color(x, y)[1], color(x, y)[2]], `negative segment ${s}`);
    assert.equal(mask[y * W + x], -1);
  }
  const [ox, oy] = inside(2); // weight 0.3 but 5th by |w|
  assert.deepEqual(at(image, ox, oy), color(ox, oy));
  assert.equal(mask[oy * W + ox], 0);
  // min_weight skips |w| < minWeight inside the first numFeatures (it does not pull in later ones).
  assert.deepEqual(limeImageAndMask(rgb, segments, weights, W, H, { positiveOnly: false, numFeatures: 4, minWeight: 0.55 }).selected, [11, 14]);
});

test('limeView: brighten (x/2 + 0.5) then yellow outer boundaries around the mask', async () => {
  const v = limeView(rgb, segments, weights, W, H, { positiveOnly: true, numFeatures: 1, hideRest: true });
  assert.equal(v.width, W);
  const [x, y] = inside(11); // segment 11: x 30..39, y 20..29
  assert.deepEqual(at(v.data, x, y), color(x, y).map((c) => Math.round(c / 2 + 127.5)));
  assert.deepEqual(at(v.data, 5, 5), [128, 128, 128]); // hidden (0) → 0.5 gray
  assert.deepEqual(at(v.data, 29, 25), [255, 255, 0]); // background side of the mask's edge ('outer')
  assert.deepEqual(at(v.data, 35, 19), [255, 255, 0]);
  assert.notDeepEqual(at(v.data, 30, 25), [255, 255, 0]); // the segment itself is not painted
  assert.deepEqual(at(v.data, 5, 35), [128, 128, 128]);
  // brighten: false keeps the raw get_image_and_mask image.
  const plain = limeView(rgb, segments, weights, W, H, { positiveOnly: true, numFeatures: 1, hideRest: true, brighten: false });
  assert.deepEqual(at(plain.data, 5, 5), [0, 0, 0]);
  assert.deepEqual(at(plain.data, x, y), color(x, y));
  assert.deepEqual([...brighten(Uint8Array.of(0, 255, 100))], [128, 255, 178]);
  const { info } = await sharp(await renderLimeView(rgb, segments, weights, W, H)).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([info.width, info.height, info.channels], [W, H, 3]);
});

test('segment views: boundaries of every superpixel, and mean-color fill', async () => {
  const means = segmentMeans(rgb, segments, W, H);
  assert.deepEqual([...means.subarray(5 * 3, 5 * 3 + 3)], [60, 54, 104]); // floor(54.5), floor(104.5) as lime's uint8 fudged_image
  const v = segmentsViews(rgb, segments, W, H);
  assert.deepEqual(at(v.meanFill.data, 12, 17), [60, 54, 104]);
  assert.deepEqual(at(v.boundaries.data, 9, 5), [255, 255, 0]); // segment 0 is skimage's background label: outer side marked
  assert.deepEqual(at(v.boundaries.data, 5, 5), color(5, 5));
  const png = await renderSegments(rgb, segments, W, H);
  for (const b of [png.boundaries, png.meanFill]) {
    const m = await sharp(b).metadata();
    assert.deepEqual([m.width, m.height], [W, H]);
  }
});

test('sample grid: 16 perturbed samples tile as 4×4 with gaps; fills follow lime (mean or hide_color)', async () => {
  const masks = Array.from({ length: 16 }, (_, k) => Uint8Array.from({ length: 16 }, (_, s) => (k === 0 ? 1 : k === 1 ? 0 : (s + k) % 2)));
  const grid = sampleGrid(rgb, segments, W, H, masks);
  assert.equal(grid.width, 4 * W + 3 * 2);
  assert.equal(grid.height, 4 * H + 3 * 2);
  const tile = (k: number, x: number, y: number) => {
    const gx = (k % 4) * (W + 2) + x;
    const gy = Math.floor(k / 4) * (H + 2) + y;
    return [...grid.data.subarray((gy * grid.width + gx) * 3, (gy * grid.width + gx) * 3 + 3)];
  };
  assert.deepEqual(tile(0, 13, 27), color(13, 27)); // all on: the original
  assert.deepEqual(tile(1, 13, 27), [...segmentMeans(rgb, segments, W, H).subarray(9 * 3, 9 * 3 + 3)]); // all off: means
  assert.deepEqual(tile(2, 13, 27), segOf(13, 27) % 2 === 0 ? [100, 54, 104] : color(13, 27));
  assert.deepEqual([...grid.data.subarray(W * 3, W * 3 + 3)], [255, 255, 255]); // gap
  const black = perturb(rgb, segments, W, H, new Uint8Array(16), [0, 0, 0]);
  assert.ok(black.every((v) => v === 0));
  const m = await sharp(await renderSampleGrid(rgb, segments, W, H, masks.slice(0, 6), [0, 0, 0], { columns: 3, gap: 4 })).metadata();
  assert.deepEqual([m.width, m.height], [3 * W + 2 * 4, 2 * H + 4]);
  assert.throws(() => sampleGrid(rgb, segments, W, H, [new Uint8Array(3)]), bad);
  assert.throws(() => sampleGrid(rgb, segments, W, H, []), bad);
});

test('input validation', () => {
  assert.throws(() => limeImageAndMask(rgb.subarray(3), segments, weights, W, H), bad);
  assert.throws(() => limeImageAndMask(rgb, segments.subarray(1), weights, W, H), bad);
  assert.throws(() => limeImageAndMask(rgb, segments, weights.subarray(0, 10), W, H), bad);
  assert.throws(() => limeImageAndMask(rgb, segments, weights, W, H, { numFeatures: -1 }), bad);
});
