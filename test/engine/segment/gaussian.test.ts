// gaussianFilter sums each output as scipy's NI_Correlate1D does for a symmetric kernel; its
// row-at-a-time loops must give the same bytes as the straightforward per-sample computation below
// (scipy's algorithm written directly: reflect-pad a line, correlate sample by sample), on random
// images of many shapes and sigmas.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../../../src/engine/random.ts';
import { gaussianFilter, gaussianKernel1d, reflectIndex } from '../../../src/engine/segment/gaussian.ts';

/** One 1-D pass along an axis, sample by sample: s = x[i]·k[r]; s += (x[i − r + m] + x[i + r − m])·k[m] for m = 0 … r − 1. */
function referencePass(src: Float64Array, width: number, height: number, channels: number, k: Float64Array, alongRows: boolean): Float64Array {
  const r = (k.length - 1) / 2;
  const out = new Float64Array(src.length);
  const n = alongRows ? height : width;
  const at = (line: number, c: number, i: number) => (alongRows ? (i * width + line) * channels + c : (line * width + i) * channels + c);
  for (let line = 0; line < (alongRows ? width : height); line++) {
    for (let c = 0; c < channels; c++) {
      for (let i = 0; i < n; i++) {
        const x = (d: number) => src[at(line, c, reflectIndex(i + d, n))];
        let s = x(0) * k[r];
        for (let m = 0; m < r; m++) s += (x(m - r) + x(r - m)) * k[m];
        out[at(line, c, i)] = s;
      }
    }
  }
  return out;
}

function reference(img: Float64Array, width: number, height: number, channels: number, sigma: number): Float64Array {
  const k = gaussianKernel1d(sigma);
  return referencePass(referencePass(img, width, height, channels, k, true), width, height, channels, k, false);
}

const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

test('reflectIndex is scipy mode reflect (d c b a | a b c d | d c b a), periodic beyond one image', () => {
  assert.deepEqual([-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => reflectIndex(i, 3)), [1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0, 1, 2]);
  assert.deepEqual([-2, 0, 3].map((i) => reflectIndex(i, 1)), [0, 0, 0]);
});

test('gaussianFilter equals the per-sample reference bit for bit (sizes, sigmas, channels, radius beyond the image)', () => {
  const rand = mulberry32(11);
  const cases: [number, number, number, number][] = [
    [1, 1, 3, 1],
    [1, 9, 3, 2],
    [9, 1, 3, 2],
    [2, 3, 1, 5], // radius 20 over 2–3 samples: reflections wrap many times
    [17, 13, 3, 0.5],
    [17, 13, 3, 0.8],
    [31, 24, 3, 1],
    [24, 31, 4, 2.3],
    [40, 33, 3, 5],
    [33, 40, 2, 10],
    [64, 48, 3, 3.7],
  ];
  for (const [width, height, channels, sigma] of cases) {
    // uint8-like values, then signed floats of mixed magnitude with exact zeros and −0.
    const ints = Float64Array.from({ length: width * height * channels }, () => Math.floor(rand() * 256));
    const floats = Float64Array.from({ length: width * height * channels }, () => {
      const u = rand();
      return u < 0.05 ? 0 : u < 0.1 ? -0 : (rand() - 0.5) * 10 ** Math.floor(rand() * 12 - 6);
    });
    for (const img of [ints, floats]) {
      const got = gaussianFilter(img, width, height, channels, sigma);
      assert.ok(bytes(got).equals(bytes(reference(img, width, height, channels, sigma))), `${width}×${height}×${channels} σ ${sigma}`);
    }
  }
});

test('gaussianFilter with a vanishing sigma copies the image', () => {
  const img = Float64Array.from([1, 2, 3, 4, 5, 6]);
  const out = gaussianFilter(img, 2, 1, 3, 1e-16);
  assert.deepEqual([...out], [...img]);
  assert.notEqual(out, img);
});
