// The portal's in-browser LIME views (client/portal/src/lime-view.ts) against lime's
// get_image_and_mask semantics and the service's own renderer (src/engine/render/lime-views.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeLimeView, limeImageAndMask, localExpOf, parseNpy, renderLimeView, segmentLabels, type LocalExp } from '../../client/portal/src/lime-view.ts';
import { limeView, rankSegments } from '../../src/engine/render/lime-views.ts';
import { encodeNpy } from '../../src/engine/render/raw.ts';

/** Deterministic PRNG (mulberry32). */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A W×H image with a grid of blocky segments and random colours and weights. */
function fixture(seed: number, W = 23, H = 17, cell = 5) {
  const r = rng(seed);
  const cols = Math.ceil(W / cell);
  const segments = new Int32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) segments[y * W + x] = Math.floor(y / cell) * cols + Math.floor(x / cell);
  const count = Math.max(...segments) + 1;
  const rgb = Uint8Array.from({ length: W * H * 3 }, () => Math.floor(r() * 240));
  const rgba = new Uint8ClampedArray(W * H * 4);
  for (let p = 0; p < W * H; p++) rgba.set([rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2], 255], p * 4);
  const weights = Float64Array.from({ length: count }, () => (r() - 0.45) * 2);
  const exp: LocalExp = rankSegments(weights).map((f) => [f, weights[f]] as const);
  return { W, H, segments, rgb, rgba, weights, exp, count };
}

const toRgb = (rgba: Uint8ClampedArray) => Uint8Array.from({ length: (rgba.length / 4) * 3 }, (_, i) => rgba[Math.floor(i / 3) * 4 + (i % 3)]);

describe('portal lime-view', () => {
  test('matches the service renderer (get_image_and_mask + mark_boundaries, unbrightened) for every option', () => {
    for (const seed of [1, 2, 3]) {
      const f = fixture(seed);
      for (const sign of ['positive', 'negative', 'both'] as const) {
        for (const hideRest of [false, true]) {
          for (const numFeatures of [1, 3, 5, f.count]) {
            for (const minWeight of [0, 0.3]) {
              const opts = { positiveOnly: sign === 'positive', negativeOnly: sign === 'negative', hideRest, numFeatures, minWeight };
              const mine = renderLimeView(f.rgba, f.segments, f.exp, f.W, f.H, opts);
              const ref = limeView(f.rgb, f.segments, f.weights, f.W, f.H, { ...opts, brighten: false });
              assert.deepEqual(toRgb(mine.image), Uint8Array.from(ref.data), `seed ${seed} ${sign} hideRest=${hideRest} n=${numFeatures} min=${minWeight}`);
            }
          }
        }
      }
    }
  });

  test('lime semantics: ranking, filters, hide rest black, green/red tint to max(image)', () => {
    // 1×4 image, one pixel per segment. Weights: seg0 +0.2, seg1 −0.9, seg2 +0.5, seg3 −0.1.
    const rgba = Uint8ClampedArray.from([10, 20, 30, 255, 40, 50, 60, 255, 70, 80, 90, 255, 100, 110, 120, 255]);
    const seg = Int32Array.from([0, 1, 2, 3]);
    const exp: LocalExp = [[1, -0.9], [2, 0.5], [0, 0.2], [3, -0.1]];
    let r = limeImageAndMask(rgba, seg, exp, { positiveOnly: true, numFeatures: 1, hideRest: true });
    assert.deepEqual(r.features, [2]);
    assert.deepEqual([...r.image], [0, 0, 0, 255, 0, 0, 0, 255, 70, 80, 90, 255, 0, 0, 0, 255]);
    assert.deepEqual([...r.mask], [0, 0, 1, 0]);
    r = limeImageAndMask(rgba, seg, exp, { positiveOnly: false, negativeOnly: true, numFeatures: 5 });
    assert.deepEqual(r.features, [1, 3]);
    assert.deepEqual([...r.mask], [0, 1, 0, 1], 'negative-only marks shown segments 1, as lime does');
    r = limeImageAndMask(rgba, seg, exp, { positiveOnly: false, numFeatures: 2, hideRest: true });
    assert.deepEqual(r.features, [1, 2]);
    assert.deepEqual([...r.mask], [0, -1, 1, 0]);
    // max(image) over RGB is 120: negative → red channel, positive → green channel.
    assert.deepEqual([...r.image], [0, 0, 0, 255, 120, 50, 60, 255, 70, 120, 90, 255, 0, 0, 0, 255]);
    r = limeImageAndMask(rgba, seg, exp, { positiveOnly: true, minWeight: 0.3 });
    assert.deepEqual(r.features, [2]);
    assert.throws(() => limeImageAndMask(rgba, seg, exp, { positiveOnly: true, negativeOnly: true }), /cannot both be true/);
  });

  test('parses the service .npy (float32 segment labels) and localExp', () => {
    const labels = Float32Array.from({ length: 6 * 4 }, (_, i) => Math.floor(i / 5));
    const npy = parseNpy(new Uint8Array(encodeNpy(labels, [4, 6])));
    assert.equal(npy.dtype, '<f4');
    assert.deepEqual(npy.shape, [4, 6]);
    const s = segmentLabels(npy);
    assert.equal(s.width, 6);
    assert.equal(s.height, 4);
    assert.equal(s.count, 5);
    assert.deepEqual([...s.labels], [...labels]);
    assert.throws(() => parseNpy(new Uint8Array(20)), /bad magic/);
    const le = localExpOf({ localExp: { '3': [[1, 0.5], [0, -0.2]], bad: 1 } });
    assert.deepEqual([...le.keys()], [3]);
    assert.deepEqual(le.get(3), [[1, 0.5], [0, -0.2]]);
    assert.equal(describeLimeView('red square', 'positive', 5, false, 5), 'LIME, class red square, top 5 positive superpixels, outlined in yellow');
  });
});
