// pilResize against (1) a plain float64 re-derivation of Pillow 9.4's arithmetic, written per output
// pixel over the whole image with no precomputed tables or windows, and (2) golden values produced by
// Pillow 9.4.0 itself (Image.fromarray(a).resize((w, h), filter)) on the small images `pattern` makes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EngineError } from '../../../src/engine/errors.ts';
import { pilResize, type Pixels, type ResampleFilter } from '../../../src/engine/pil/resample.ts';

/** Deterministic test image: sample (x, y, c) = (37x + 91y + 53c + 7xy + 11) mod 256. */
function pattern(width: number, height: number, channels = 3): Pixels {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++) data[(y * width + x) * channels + c] = (x * 37 + y * 91 + c * 53 + x * y * 7 + 11) % 256;
  return { data, width, height, channels };
}

/** Pseudo-random noise (xorshift), so every tap of every kernel matters. */
function noise(width: number, height: number, channels = 3, seed = 1): Pixels {
  const data = new Uint8Array(width * height * channels);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    data[i] = (s >>> 0) & 255;
  }
  return { data, width, height, channels };
}

// --- the independent re-derivation --------------------------------------------------------------

/**
 * Fixed-point weights of output sample `o` for every source index 0 … inSize − 1: the triangle
 * kernel stretched by max(1, in/out), centred on (o + ½)·in/out, normalised to sum 1 in float64,
 * then scaled by 2^22 and rounded half away from zero.
 */
function axisWeights(inSize: number, outSize: number, o: number): number[] {
  const scale = inSize / outSize;
  const stretch = Math.max(1, scale);
  const inv = 1 / stretch;
  const center = (o + 0.5) * scale;
  const raw: number[] = [];
  for (let i = 0; i < inSize; i++) raw.push(Math.max(0, 1 - Math.abs((i - center + 0.5) * inv)));
  const sum = raw.reduce((a, b) => a + b, 0);
  return raw.map((w) => Math.trunc((sum === 0 ? w : w / sum) * 2 ** 22 + 0.5));
}

/** One fixed-point dot product of value(i) with the weights, rounded by the 2^21 bias and clamped to a byte. */
function fixedDot(value: (i: number) => number, weights: number[]): number {
  let s = 2 ** 21;
  for (let i = 0; i < weights.length; i++) if (weights[i] !== 0) s += value(i) * weights[i];
  return Math.min(255, Math.max(0, Math.floor(s / 2 ** 22)));
}

function referenceBilinear(src: Pixels, outW: number, outH: number): Uint8Array {
  const { width: W, height: H, channels: C, data } = src;
  const at = (img: Uint8Array, w: number, x: number, y: number, c: number) => img[(y * w + x) * C + c];
  // Horizontal first (skipped when the width is unchanged), rounded to bytes, then vertical.
  let mid = data;
  if (outW !== W) {
    mid = new Uint8Array(outW * H * C);
    for (let x = 0; x < outW; x++) {
      const k = axisWeights(W, outW, x);
      for (let y = 0; y < H; y++)
        for (let c = 0; c < C; c++) mid[(y * outW + x) * C + c] = fixedDot((i) => at(data, W, i, y, c), k);
    }
  }
  const midW = outW !== W ? outW : W;
  if (outH === H) return mid;
  const out = new Uint8Array(outW * outH * C);
  for (let y = 0; y < outH; y++) {
    const k = axisWeights(H, outH, y);
    for (let x = 0; x < outW; x++)
      for (let c = 0; c < C; c++) out[(y * outW + x) * C + c] = fixedDot((i) => at(mid, midW, x, i, c), k);
  }
  return out;
}

/** Nearest: the source position of output i is ½·step + i·step accumulated by repeated addition. */
function referenceNearest(src: Pixels, outW: number, outH: number): Uint8Array {
  const positions = (inSize: number, outSize: number) => {
    const step = inSize / outSize;
    const idx: number[] = [];
    for (let i = 0, p = step / 2; i < outSize; i++, p += step) idx.push(Math.trunc(p));
    return idx;
  };
  const xs = positions(src.width, outW);
  const ys = positions(src.height, outH);
  const C = src.channels;
  const out = new Uint8Array(outW * outH * C);
  for (let y = 0; y < outH; y++)
    for (let x = 0; x < outW; x++)
      for (let c = 0; c < C; c++) out[(y * outW + x) * C + c] = src.data[(ys[y] * src.width + xs[x]) * C + c];
  return out;
}

function crop(img: Uint8Array, width: number, channels: number, left: number, top: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * channels);
  for (let y = 0; y < h; y++) out.set(img.subarray(((top + y) * width + left) * channels, ((top + y) * width + left + w) * channels), y * w * channels);
  return out;
}

function firstDifference(a: Uint8Array, b: Uint8Array): string {
  if (a.length !== b.length) return `lengths ${a.length} vs ${b.length}`;
  const i = a.findIndex((v, k) => v !== b[k]);
  return i < 0 ? 'none' : `at sample ${i}: ${a[i]} vs ${b[i]}`;
}

const CASES: [string, Pixels, number, number][] = [
  ['downscale 200×150 → 136×102 (the ratio of torchvision Resize(256) on 375 rows)', noise(200, 150), 136, 102],
  ['downscale by a large factor, 997×13 → 3×5', noise(997, 13, 3, 7), 3, 5],
  ['upscale 3×2 → 7×5', noise(3, 2, 3, 3), 7, 5],
  ['upscale 5×4 → 299×17', noise(5, 4, 3, 4), 299, 17],
  ['odd sizes both ways, 37×23 → 19×41', noise(37, 23, 3, 5), 19, 41],
  ['one pixel → many', noise(1, 1, 3, 6), 5, 3],
  ['many → one pixel', noise(41, 9, 3, 8), 1, 1],
  ['extreme aspect 1000×1 → 7×2', noise(1000, 1, 3, 9), 7, 2],
  ['extreme aspect 1×600 → 3×256', noise(1, 600, 3, 10), 3, 256],
  ['width unchanged, height halved (one pass only)', noise(16, 30, 3, 11), 16, 15],
  ['height unchanged, width tripled', noise(10, 6, 3, 12), 30, 6],
  ['one channel', noise(23, 17, 1, 13), 11, 29],
  ['four channels', noise(23, 17, 4, 14), 31, 8],
];

for (const filter of ['bilinear', 'nearest'] as ResampleFilter[]) {
  const reference = filter === 'bilinear' ? referenceBilinear : referenceNearest;
  for (const [name, src, w, h] of CASES) {
    test(`${filter}: ${name} equals the float64 re-derivation`, () => {
      const got = pilResize(src, w, h, filter);
      assert.deepEqual([got.width, got.height, got.channels], [w, h, src.channels]);
      const want = reference(src, w, h);
      assert.ok(Buffer.from(got.data).equals(Buffer.from(want)), `first difference ${firstDifference(got.data, want)}`);
    });
  }
}

test('a window is the same pixels as resizing everything and cropping', () => {
  for (const filter of ['bilinear', 'nearest'] as ResampleFilter[]) {
    for (const [, src, w, h] of CASES) {
      const full = pilResize(src, w, h, filter).data;
      const win = { left: Math.floor(w / 3), top: Math.floor(h / 4), width: Math.max(1, Math.ceil(w / 2)), height: Math.max(1, Math.ceil(h / 2)) };
      const part = pilResize(src, w, h, filter, win);
      const want = crop(full, w, src.channels, win.left, win.top, win.width, win.height);
      assert.ok(Buffer.from(part.data).equals(Buffer.from(want)), `${filter} ${src.width}×${src.height}→${w}×${h}: ${firstDifference(part.data, want)}`);
    }
  }
});

test('same size is a copy for both filters, windows included', () => {
  const src = noise(9, 7);
  for (const filter of ['bilinear', 'nearest'] as ResampleFilter[]) {
    assert.deepEqual(pilResize(src, 9, 7, filter).data, src.data);
    assert.deepEqual(pilResize(src, 9, 7, filter, { left: 2, top: 1, width: 3, height: 4 }).data, crop(src.data, 9, 3, 2, 1, 3, 4));
  }
});

test('bilinear preserves a constant image and its range under any scaling', () => {
  const flat = { data: new Uint8Array(13 * 11 * 3).fill(201), width: 13, height: 11, channels: 3 };
  for (const [w, h] of [[5, 3], [40, 29], [1, 1], [13, 50]]) assert.ok(pilResize(flat, w, h, 'bilinear').data.every((v) => v === 201));
  const src = noise(50, 40);
  const out = pilResize(src, 17, 90, 'bilinear').data;
  assert.ok(out.every((v) => v >= Math.min(...src.data) && v <= Math.max(...src.data)));
});

// Produced by Pillow 9.4.0 on pattern(w, h): np.asarray(Image.fromarray(a).resize((ow, oh), filter)).
const GOLDEN: [number, number, number, number, ResampleFilter, number[]][] = [
  [5, 3, 3, 2, 'bilinear', [62, 115, 168, 124, 156, 156, 132, 144, 105, 180, 164, 126, 131, 127, 127, 117, 129, 182]],
  [9, 2, 2, 1, 'bilinear', [118, 146, 143, 128, 142, 106]],
  [1, 6, 1, 2, 'bilinear', [93, 146, 135, 128, 117, 138]],
  [1, 1, 4, 3, 'bilinear', Array.from({ length: 12 }, () => [11, 64, 117]).flat()],
  [7, 7, 3, 3, 'nearest', [146, 199, 252, 234, 31, 84, 66, 119, 172, 86, 139, 192, 202, 255, 52, 62, 115, 168, 26, 79, 132, 170, 223, 20, 58, 111, 164]],
  // 2 → 7: output 3's position is 3.5 · 2/7 = 1 exactly, but Pillow accumulates 1/7 + 3 · 2/7 =
  // 0.999…, so it reads source pixel 0, not 1.
  [2, 1, 7, 1, 'nearest', [11, 64, 117, 11, 64, 117, 11, 64, 117, 11, 64, 117, 48, 101, 154, 48, 101, 154, 48, 101, 154]],
];

test('golden values from Pillow 9.4.0', () => {
  for (const [w, h, ow, oh, filter, want] of GOLDEN) {
    assert.deepEqual([...pilResize(pattern(w, h), ow, oh, filter).data], want, `${filter} ${w}×${h} → ${ow}×${oh}`);
  }
  // The 3×2 → 7×5 upscale, spot-checked: corners and the centre pixel.
  const up = pilResize(pattern(3, 2), 7, 5, 'bilinear').data;
  const px = (x: number, y: number) => [...up.subarray((y * 7 + x) * 3, (y * 7 + x) * 3 + 3)];
  assert.deepEqual([px(0, 0), px(6, 0), px(3, 2), px(0, 4), px(6, 4)], [[11, 64, 117], [85, 138, 191], [97, 150, 203], [102, 155, 208], [190, 243, 40]]);
});

test('bad arguments are INVALID_ARGUMENT', () => {
  const src = noise(4, 4);
  const bad = (e: unknown) => e instanceof EngineError && e.code === 'INVALID_ARGUMENT';
  assert.throws(() => pilResize(src, 0, 3, 'bilinear'), bad);
  assert.throws(() => pilResize({ ...src, width: 5 }, 3, 3, 'bilinear'), bad);
  assert.throws(() => pilResize(src, 3, 3, 'bilinear', { left: 1, top: 0, width: 3, height: 3 }), bad);
  assert.throws(() => pilResize(src, 3, 3, 'bicubic' as ResampleFilter), bad);
});
