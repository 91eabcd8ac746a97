import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXP_CUTOFF, pairWeight, quickshiftDensity } from '../../../src/engine/segment/quickshift-density.ts';
import { Generator } from '../../../src/engine/random.ts';

/** The definition, pixel by pixel: base + Σ over the whole window (the pixel itself included) of exp(arg). */
function directDensity(feat: Float64Array, base: Float64Array, width: number, height: number, sigma: number): Float64Array {
  const kw = Math.ceil(3 * sigma);
  const out = new Float64Array(width * height);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const p = r * width + c;
      let d = base[p];
      for (let r2 = Math.max(0, r - kw); r2 <= Math.min(height - 1, r + kw); r2++) {
        for (let c2 = Math.max(0, c - kw); c2 <= Math.min(width - 1, c + kw); c2++) {
          const q = r2 * width + c2;
          let dist = (r - r2) ** 2 + (c - c2) ** 2;
          for (let k = 0; k < 3; k++) dist += (feat[p * 3 + k] - feat[q * 3 + k]) ** 2;
          const arg = -dist / (2 * sigma * sigma);
          if (arg > EXP_CUTOFF) d += Math.exp(arg);
        }
      }
      out[p] = d;
    }
  }
  return out;
}

function randomImage(width: number, height: number, seed: number, scale: number): { feat: Float64Array; base: Float64Array } {
  const g = new Generator(seed);
  const feat = new Float64Array(width * height * 3);
  // Smooth patches with noise, so weights span the whole range above and below the cutoff.
  for (let p = 0; p < width * height; p++) {
    const patch = Math.floor((p % width) / 5) + Math.floor(p / width / 5);
    for (let k = 0; k < 3; k++) feat[p * 3 + k] = ((patch * (k + 3)) % 7) * scale + g.normal(0, 0.3 * scale);
  }
  const base = Float64Array.from({ length: width * height }, () => g.normal(0, 1e-5));
  return { feat, base };
}

test('pairWeight is exp to within 1e-15 relative on (EXP_CUTOFF, 0)', () => {
  let worst = 0;
  for (let i = 1; i < 200_000; i++) {
    const x = (EXP_CUTOFF * i) / 200_000;
    worst = Math.max(worst, Math.abs(pairWeight(x) - Math.exp(x)) / Math.exp(x));
  }
  assert.ok(worst < 1e-15, `worst relative error ${worst}`);
});

test('quickshiftDensity is the window sum of the definition (sizes narrower and wider than the window, several σ)', () => {
  const cases: [number, number, number, number][] = [
    [23, 17, 2, 1],
    [9, 31, 4, 2],
    [40, 12, 1.5, 3],
    [5, 5, 3, 4],
  ];
  for (const [width, height, sigma, seed] of cases) {
    const { feat, base } = randomImage(width, height, seed, sigma);
    const want = directDensity(feat, base, width, height, sigma);
    for (const useSimd of [true, false]) {
      const got = quickshiftDensity(feat, base, width, height, sigma, useSimd);
      for (let p = 0; p < want.length; p++) {
        assert.ok(Math.abs(got[p] - want[p]) <= 1e-13 * want[p], `${width}×${height} σ ${sigma} simd ${useSimd} pixel ${p}: ${got[p]} vs ${want[p]}`);
      }
    }
  }
});

test('the SIMD and JS sweeps give bit-identical densities (row lengths around the 12-pair pass)', () => {
  for (const [width, height, sigma] of [[224, 30, 4], [13, 40, 4], [37, 37, 1], [2, 50, 3], [1, 20, 2]] as const) {
    const { feat, base } = randomImage(width, height, width + height, sigma);
    const simd = quickshiftDensity(feat, base, width, height, sigma, true);
    const js = quickshiftDensity(feat, base, width, height, sigma, false);
    assert.ok(Buffer.from(simd.buffer).equals(Buffer.from(js.buffer)), `${width}×${height} σ ${sigma}`);
  }
});
