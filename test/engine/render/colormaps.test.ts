import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  colorAt,
  colormapLut,
  COLORMAP_NAMES,
  divergingAt,
  divergingLut,
  isColormapName,
  lutIndex,
  SHAP_BLUE,
  SHAP_RED,
} from '../../../src/engine/render/colormaps.ts';

// Rows of matplotlib's lib/matplotlib/_cm_listed.py (float RGB) at LUT indices 0, 64, 128, 192, 255.
const MPL: Record<'viridis' | 'cividis' | 'inferno', Record<number, [number, number, number]>> = {
  viridis: {
    0: [0.267004, 0.004874, 0.329415],
    64: [0.229739, 0.322361, 0.545706],
    128: [0.127568, 0.566949, 0.550556],
    192: [0.369214, 0.788888, 0.382914],
    255: [0.993248, 0.906157, 0.143936],
  },
  cividis: {
    0: [0.0, 0.135112, 0.304751],
    64: [0.263738, 0.307831, 0.422789],
    128: [0.488697, 0.485318, 0.471008],
    192: [0.736488, 0.680629, 0.424028],
    255: [0.995737, 0.909344, 0.217772],
  },
  inferno: {
    0: [0.001462, 0.000466, 0.013866],
    64: [0.3415, 0.062325, 0.429425],
    128: [0.735683, 0.215906, 0.330245],
    192: [0.978422, 0.557937, 0.034931],
    255: [0.988362, 0.998364, 0.644924],
  },
};

test('LUTs are 256 RGB entries for every colormap', () => {
  for (const name of COLORMAP_NAMES) {
    const lut = colormapLut(name);
    assert.ok(lut instanceof Uint8Array);
    assert.equal(lut.length, 768, name);
  }
  assert.equal(divergingLut().length, 1024);
  assert.ok(isColormapName('cividis'));
  assert.ok(!isColormapName('rainbow'));
  assert.throws(() => colormapLut('rainbow' as never), RangeError);
});

test('viridis, cividis and inferno match matplotlib within 2/255 (rounded: within 0.5)', () => {
  for (const [name, rows] of Object.entries(MPL) as [keyof typeof MPL, Record<number, [number, number, number]>][]) {
    const lut = colormapLut(name);
    for (const [i, rgb] of Object.entries(rows)) {
      for (let c = 0; c < 3; c++) {
        const got = lut[Number(i) * 3 + c];
        assert.ok(Math.abs(got - rgb[c] * 255) <= 0.5 + 1e-9, `${name}[${i}][${c}] = ${got}, matplotlib ${rgb[c] * 255}`);
      }
    }
  }
});

test('published endpoint and midpoint colors', () => {
  assert.deepEqual(colorAt('viridis', 0), [68, 1, 84]); // #440154
  assert.deepEqual(colorAt('viridis', 1), [253, 231, 37]); // #fde725
  assert.deepEqual(colorAt('viridis', 0.5), [33, 145, 140]); // #21918c
  assert.deepEqual(colorAt('inferno', 0), [0, 0, 4]); // #000004
  assert.deepEqual(colorAt('inferno', 1), [252, 255, 164]); // #fcffa4
  assert.deepEqual(colorAt('inferno', 0.5), [188, 55, 84]); // #bc3754
  assert.deepEqual(colorAt('cividis', 0), [0, 34, 78]); // #00224e
  assert.deepEqual(colorAt('cividis', 1), [254, 232, 56]); // #fee838
});

test('jet is OpenCV COLORMAP_JET (RGB order)', () => {
  // OpenCV's printed LUT: 0 → BGR(128,0,0), 1 → BGR(132,0,0), 20 → BGR(208,0,0), 255 → BGR(0,0,128).
  const jet = colormapLut('jet');
  const rgb = (i: number) => [jet[i * 3], jet[i * 3 + 1], jet[i * 3 + 2]];
  assert.deepEqual(rgb(0), [0, 0, 128]);
  assert.deepEqual(rgb(1), [0, 0, 132]);
  assert.deepEqual(rgb(20), [0, 0, 208]);
  assert.deepEqual(rgb(255), [128, 0, 0]);
  assert.deepEqual(rgb(128), [130, 255, 126]);
  // Octave's jet: each channel within 1 of clip(1.5 − |4x − c|) · 255 (ties rounded half to even in float32).
  for (let i = 0; i < 256; i++) {
    [3, 2, 1].forEach((c, k) => {
      const ideal = Math.min(1, Math.max(0, 1.5 - Math.abs((4 * i) / 255 - c))) * 255;
      assert.ok(Math.abs(rgb(i)[k] - ideal) <= 0.5 + 1e-6 || (Math.abs(rgb(i)[k] - ideal) <= 1 && ideal % 1 === 0.5), `jet[${i}][${k}]`);
    });
  }
});

test('LUT indexing follows matplotlib (floor(t·256)) and OpenCV for jet (uint8(255·t))', () => {
  assert.equal(lutIndex(0, 'viridis'), 0);
  assert.equal(lutIndex(1, 'viridis'), 255);
  assert.equal(lutIndex(0.5, 'viridis'), 128);
  assert.equal(lutIndex(0.999, 'viridis'), 255);
  assert.equal(lutIndex(0.5, 'jet'), 127);
  assert.equal(lutIndex(0.999, 'jet'), 254);
  assert.equal(lutIndex(-3, 'viridis'), 0);
  assert.equal(lutIndex(7, 'jet'), 255);
  assert.equal(lutIndex(Number.NaN, 'viridis'), 0);
});

test("diverging map is shap's red_transparent_blue: blue → transparent → red", () => {
  assert.deepEqual(divergingAt(-1), [...SHAP_BLUE, 255]);
  assert.deepEqual(divergingAt(1), [...SHAP_RED, 255]);
  assert.equal(divergingAt(0)[3], 0);
  // Alpha grows with |v| on both sides.
  let prev = -1;
  for (let s = 0; s <= 1; s += 0.05) {
    const [r, , , a] = divergingAt(s);
    assert.ok(a >= prev);
    if (a > 20) assert.equal(r, 255);
    prev = a;
  }
  assert.ok(Math.abs(divergingAt(0.5)[3] - 128) <= 2);
  assert.ok(Math.abs(divergingAt(-0.5)[3] - 128) <= 2);
  assert.deepEqual(divergingAt(-0.5).slice(0, 3), [...SHAP_BLUE]);
});
