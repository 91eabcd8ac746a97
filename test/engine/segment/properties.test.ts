// Invariants of segment() / segmentBoundaries() / markBoundaries() that hold for any input.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../../../src/engine/errors.ts';
import { SEGMENTATION_DEFAULTS, type Segmentation } from '../../../src/engine/methods.ts';
import { mulberry32 } from '../../../src/engine/random.ts';
import { markBoundaries, segment, segmentBoundaries, type Segments } from '../../../src/engine/segment/index.ts';
import { adjustedRandIndex, loadManifest, loadRgb } from './fixtures.ts';

const ALL: Segmentation[] = [SEGMENTATION_DEFAULTS.QUICKSHIFT, SEGMENTATION_DEFAULTS.SLIC, SEGMENTATION_DEFAULTS.FELZENSZWALB];

/** A smooth synthetic "photo": gradients, a disc and a bar, plus seeded noise. */
function synthetic(width: number, height: number, seed = 7): Uint8Array {
  const rand = mulberry32(seed);
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 3;
      const disc = (x - width * 0.6) ** 2 + (y - height * 0.4) ** 2 < (Math.min(width, height) * 0.25) ** 2;
      const bar = Math.abs(x - width * 0.25) < width * 0.08;
      const base = disc ? [200, 40, 30] : bar ? [30, 60, 190] : [(x / width) * 120 + 60, (y / height) * 150 + 50, 90];
      for (let c = 0; c < 3; c++) out[p + c] = Math.max(0, Math.min(255, Math.round(base[c] + (rand() - 0.5) * 20)));
    }
  }
  return out;
}

const manifest = loadManifest();
const images: { name: string; rgb: Uint8Array; width: number; height: number }[] = [
  { name: 'synthetic 80×60', rgb: synthetic(80, 60), width: 80, height: 60 },
  ...(manifest?.images ?? []).map((im) => ({ name: im.name, rgb: loadRgb(im.name), width: im.width, height: im.height })),
];

function checkInvariants(s: Segments, rgb: Uint8Array, width: number, height: number, byMode = false): void {
  const n = width * height;
  assert.equal(s.labels.length, n);
  assert.equal(s.stats.length, s.count);
  // consecutive; SLIC and Felzenszwalb numbered in raster order of first appearance, quickshift by
  // its modes' pixel index (skimage's np.unique numbering: each label's first pixel is then not ordered)
  let next = 0;
  const seen = new Uint8Array(s.count);
  for (let p = 0; p < n; p++) {
    const l = s.labels[p];
    assert.ok(l >= 0 && l < s.count, `label ${l} at ${p} out of range`);
    seen[l] = 1;
    if (!byMode) assert.ok(l <= next, `label ${l} at ${p} skips ahead of ${next}`);
    if (l === next) next++;
  }
  assert.ok(seen.every((v) => v === 1), 'every label is used');
  assert.equal(
    s.stats.reduce((a, st) => a + st.pixels, 0),
    n,
  );
  const sums = s.stats.map(() => [0, 0, 0]);
  for (let p = 0; p < n; p++) {
    const st = s.stats[s.labels[p]];
    const x = p % width;
    const y = Math.floor(p / width);
    assert.ok(x >= st.bbox[0] && x < st.bbox[2] && y >= st.bbox[1] && y < st.bbox[3]);
    for (let c = 0; c < 3; c++) sums[s.labels[p]][c] += rgb[p * 3 + c];
  }
  s.stats.forEach((st, l) => {
    assert.equal(st.label, l);
    assert.ok(st.pixels > 0);
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(st.meanRgb[c] - sums[l][c] / st.pixels) < 1e-9);
    assert.ok(st.centroid[0] >= st.bbox[0] && st.centroid[0] <= st.bbox[2] - 1);
    assert.ok(st.centroid[1] >= st.bbox[1] && st.centroid[1] <= st.bbox[3] - 1);
  });
}

/** Number of connected components of each label (4- or 8-connectivity). */
function componentsPerLabel(labels: Int32Array, width: number, height: number, eight: boolean): number[] {
  const seen = new Uint8Array(labels.length);
  const count: number[] = [];
  const stack: number[] = [];
  for (let p0 = 0; p0 < labels.length; p0++) {
    if (seen[p0]) continue;
    const l = labels[p0];
    count[l] = (count[l] ?? 0) + 1;
    seen[p0] = 1;
    stack.push(p0);
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % width;
      const y = (p - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if ((dx === 0 && dy === 0) || (!eight && dx !== 0 && dy !== 0)) continue;
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
          const q = yy * width + xx;
          if (!seen[q] && labels[q] === l) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
    }
  }
  return count;
}

describe('segment() invariants', () => {
  for (const im of images) {
    for (const params of ALL) {
      it(`${params.algorithm} on ${im.name}: consecutive labels, consistent stats`, () => {
        checkInvariants(segment(im.rgb, im.width, im.height, params, 1), im.rgb, im.width, im.height, params.algorithm === 'QUICKSHIFT');
      });
    }
    it(`SLIC on ${im.name}: every segment is 4-connected (enforce_connectivity)`, () => {
      for (const params of [SEGMENTATION_DEFAULTS.SLIC, { algorithm: 'SLIC', nSegments: 150, compactness: 1, sigma: 1 } as const]) {
        const s = segment(im.rgb, im.width, im.height, params, 0);
        const comps = componentsPerLabel(s.labels, im.width, im.height, false);
        assert.deepEqual(
          comps.filter((c) => c !== 1),
          [],
        );
      }
    });
    it(`FELZENSZWALB on ${im.name}: every segment is 8-connected and at least min_size`, () => {
      const params = { algorithm: 'FELZENSZWALB', scale: 50, sigma: 0.8, minSize: 30 } as const;
      const s = segment(im.rgb, im.width, im.height, params, 0);
      assert.ok(componentsPerLabel(s.labels, im.width, im.height, true).every((c) => c === 1));
      assert.ok(s.stats.every((st) => st.pixels >= 30));
    });
  }

  it('is deterministic under the seed; only quickshift tie-breaks depend on it', () => {
    const { rgb, width, height } = images[0];
    for (const params of ALL) {
      const a = segment(rgb, width, height, params, 99);
      const b = segment(rgb, width, height, params, 99);
      assert.deepEqual(a.labels, b.labels);
      const c = segment(rgb, width, height, params, 100);
      if (params.algorithm === 'QUICKSHIFT') assert.ok(adjustedRandIndex(a.labels, c.labels) > 0.9);
      else assert.deepEqual(a.labels, c.labels);
    }
  });

  it('does not modify its input', () => {
    const { rgb, width, height } = images[0];
    const copy = Uint8Array.from(rgb);
    for (const params of ALL) segment(rgb, width, height, { ...params, sigma: 1 }, 3);
    assert.deepEqual(rgb, copy);
  });

  it('handles degenerate sizes and flat images', () => {
    for (const [w, h] of [
      [1, 1],
      [1, 7],
      [9, 1],
      [2, 2],
    ]) {
      const rgb = synthetic(w, h, w * 31 + h);
      for (const params of ALL) checkInvariants(segment(rgb, w, h, params, 0), rgb, w, h, params.algorithm === 'QUICKSHIFT');
    }
    const flat = new Uint8Array(32 * 24 * 3).fill(128);
    for (const params of ALL) checkInvariants(segment(flat, 32, 24, params, 0), flat, 32, 24, params.algorithm === 'QUICKSHIFT');
    // a flat image is one Felzenszwalb segment
    assert.equal(segment(flat, 32, 24, SEGMENTATION_DEFAULTS.FELZENSZWALB, 0).count, 1);
  });

  it('rejects invalid arguments with INVALID_ARGUMENT', () => {
    const rgb = synthetic(8, 8);
    const bad: [string, () => unknown][] = [
      ['width 0', () => segment(rgb, 0, 8, SEGMENTATION_DEFAULTS.SLIC, 0)],
      ['fractional height', () => segment(rgb, 8, 7.5, SEGMENTATION_DEFAULTS.SLIC, 0)],
      ['short buffer', () => segment(rgb.subarray(3), 8, 8, SEGMENTATION_DEFAULTS.SLIC, 0)],
      ['NaN seed', () => segment(rgb, 8, 8, SEGMENTATION_DEFAULTS.QUICKSHIFT, NaN)],
      ['kernelSize < 1 (skimage)', () => segment(rgb, 8, 8, { ...SEGMENTATION_DEFAULTS.QUICKSHIFT, kernelSize: 0.5 }, 0)],
      ['ratio > 1', () => segment(rgb, 8, 8, { ...SEGMENTATION_DEFAULTS.QUICKSHIFT, ratio: 2 }, 0)],
      ['maxDist NaN', () => segment(rgb, 8, 8, { ...SEGMENTATION_DEFAULTS.QUICKSHIFT, maxDist: NaN }, 0)],
      ['nSegments 0', () => segment(rgb, 8, 8, { ...SEGMENTATION_DEFAULTS.SLIC, nSegments: 0 }, 0)],
      ['nSegments 2.5', () => segment(rgb, 8, 8, { ...SEGMENTATION_DEFAULTS.SLIC, nSegments: 2.5 }, 0)],
      ['compactness 0', () => segment(rgb, 8, 8, { ...SEGMENTATION_DEFAULTS.SLIC, compactness: 0 }, 0)],
      ['negative sigma', () => segment(rgb, 8, 8, { ...SEGMENTATION_DEFAULTS.SLIC, sigma: -1 }, 0)],
      ['negative scale', () => segment(rgb, 8, 8, { ...SEGMENTATION_DEFAULTS.FELZENSZWALB, scale: -1 }, 0)],
      ['fractional minSize', () => segment(rgb, 8, 8, { ...SEGMENTATION_DEFAULTS.FELZENSZWALB, minSize: 1.5 }, 0)],
      ['unknown algorithm', () => segment(rgb, 8, 8, { algorithm: 'WATERSHED' } as unknown as Segmentation, 0)],
      ['missing field', () => segment(rgb, 8, 8, { algorithm: 'SLIC', nSegments: 10, sigma: 0 } as unknown as Segmentation, 0)],
      ['boundary mode', () => segmentBoundaries(new Int32Array(64), 8, 8, 'subpixel' as never)],
      ['labels length', () => segmentBoundaries(new Int32Array(10), 8, 8)],
      ['color', () => markBoundaries(rgb, new Int32Array(64), 8, 8, [300, 0, 0])],
    ];
    for (const [name, fn] of bad) {
      assert.throws(fn, (e: unknown) => e instanceof EngineError && e.code === 'INVALID_ARGUMENT', name);
    }
  });
});

describe('boundaries', () => {
  // two objects (1, 2) on background 0
  const L = Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 2, 2, 0, 0, 2, 2, 2, 0, 0, 0, 0, 0]);
  const rows = (b: Uint8Array) => Array.from({ length: 5 }, (_, y) => Array.from(b.subarray(y * 5, y * 5 + 5)).join(''));

  it('segmentBoundaries matches skimage.find_boundaries on a hand example', () => {
    // expected values printed by scikit-image 0.19.3 (int32 labels)
    assert.deepEqual(rows(segmentBoundaries(L, 5, 5)), ['01100', '11111', '11111', '01111', '00111']);
    assert.deepEqual(rows(segmentBoundaries(L, 5, 5, 'outer')), ['01100', '10111', '11110', '01110', '00111']);
    assert.deepEqual(rows(segmentBoundaries(L, 5, 5, 'inner')), ['00000', '01100', '01111', '00111', '00000']);
  });

  it('markBoundaries paints a copy, yellow by default, outer mode by default', () => {
    const rgb = new Uint8Array(25 * 3).fill(10);
    const out = markBoundaries(rgb, L, 5, 5);
    assert.notEqual(out, rgb);
    assert.ok(rgb.every((v) => v === 10));
    const b = segmentBoundaries(L, 5, 5, 'outer');
    for (let p = 0; p < 25; p++) {
      assert.deepEqual(Array.from(out.subarray(p * 3, p * 3 + 3)), b[p] ? [255, 255, 0] : [10, 10, 10]);
    }
    const thick = markBoundaries(rgb, L, 5, 5, [0, 0, 255], 'thick');
    assert.equal(thick[6 * 3 + 2], 255); // (1,1) is on the thick boundary, not the outer one
    assert.equal(out[6 * 3 + 2], 10);
  });
});
