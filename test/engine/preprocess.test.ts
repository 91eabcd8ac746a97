import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { EngineError } from '../../src/engine/errors.ts';
import { probeImage } from '../../src/engine/image.ts';
import { cropBoxInOriginal, cropGeometry, preprocess, preprocessBatch, toRgbRaw } from '../../src/engine/preprocess.ts';
import { inferInputSpec, presetSpec, PRESETS, validateInputSpec } from '../../src/engine/presets.ts';
import type { InputSpec } from '../../src/engine/types.ts';
import { pngFile, rgbIhdr } from '../support/images.ts';

const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const shared = path.resolve(repoRoot, '../shared');
const catMouse = path.join(shared, 'images/cat_mouse.jpg');
const skipShared = fs.existsSync(catMouse) ? false : `needs ${shared} (shared test images), which is absent`;

const io = { inputName: 'input', outputName: 'logits' };
/** torchvision normalization but no resize, so pixel positions are exact. */
const exact = (over: Partial<InputSpec> = {}): InputSpec => ({ ...presetSpec('torchvision', io), resizeShorter: 224, ...over });

function isCode(code: string) {
  return (err: unknown) => err instanceof EngineError && err.code === code;
}

/** 224×224 RGB with pixel (x, y) = [x, y, (x + y) % 256], as lossless PNG. */
async function gradientPng(): Promise<Buffer> {
  const raw = Buffer.alloc(224 * 224 * 3);
  for (let y = 0; y < 224; y++)
    for (let x = 0; x < 224; x++) raw.set([x, y, (x + y) % 256], (y * 224 + x) * 3);
  return sharp(raw, { raw: { width: 224, height: 224, channels: 3 } }).png().toBuffer();
}

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
// torchvision's ToTensor + Normalize: each step a float32 operation on float32 mean and std.
const f = Math.fround;
const expected = (v: number, c: number) => f(f(f(v / 255) - f(MEAN[c])) / f(STD[c]));

test('NCHW RGB values are exactly the normalized pixels', async () => {
  const t = await preprocess(await gradientPng(), exact());
  const hw = 224 * 224;
  assert.equal(t.length, 3 * hw);
  for (const [x, y] of [[0, 0], [10, 20], [223, 5], [100, 223], [223, 223]]) {
    const px = [x, y, (x + y) % 256];
    for (let c = 0; c < 3; c++) assert.equal(t[c * hw + y * 224 + x], expected(px[c], c), `c${c} (${x},${y})`);
  }
});

test('NHWC and BGR are permutations of NCHW RGB', async () => {
  const png = await gradientPng();
  const hw = 224 * 224;
  const base = await preprocess(png, exact());
  const nhwc = await preprocess(png, exact({ layout: 'NHWC' }));
  const bgr = await preprocess(png, exact({ channelOrder: 'BGR' }));
  const nhwcBgr = await preprocess(png, exact({ layout: 'NHWC', channelOrder: 'BGR' }));
  for (let i = 0; i < hw; i += 997) {
    for (let c = 0; c < 3; c++) {
      assert.equal(nhwc[i * 3 + c], base[c * hw + i]);
      assert.equal(bgr[c * hw + i], base[(2 - c) * hw + i]);
      assert.equal(nhwcBgr[i * 3 + c], base[(2 - c) * hw + i]);
    }
  }
});

test('crop geometry follows torchvision Resize(256) + CenterCrop(224)', () => {
  const spec = presetSpec('torchvision', io);
  const g = cropGeometry(640, 427, spec);
  // int(256 * 640 / 427) = 383; round((383 - 224) / 2) = round(79.5) = 80 (half to even)
  assert.deepEqual(
    { w: g.resizedWidth, h: g.resizedHeight, left: g.cropLeft, top: g.cropTop },
    { w: 383, h: 256, left: 80, top: 16 },
  );
  assert.equal(g.scaleY, 256 / 427);
  const box = cropBoxInOriginal(g);
  assert.ok(Math.abs(box.left - 80 * (640 / 383)) < 1e-9 && Math.abs(box.height - 224 * (427 / 256)) < 1e-9);
  // Python's round: 0.5 → 0 and 1.5 → 2.
  assert.equal(cropGeometry(225, 300, exact({ resizeShorter: 225 })).cropLeft, 0);
  assert.equal(cropGeometry(227, 300, exact({ resizeShorter: 227 })).cropLeft, 2);
  // portrait
  const p = cropGeometry(427, 640, spec);
  assert.deepEqual([p.resizedWidth, p.resizedHeight, p.cropLeft, p.cropTop], [256, 383, 16, 80]);
});

test('toRgbRaw on a real 640×427 JPEG', { skip: skipShared }, async () => {
  const { data, geometry } = await toRgbRaw(fs.readFileSync(catMouse), presetSpec('torchvision', io));
  assert.equal(data.length, 224 * 224 * 3);
  assert.equal(geometry.originalWidth, 640);
  assert.equal(geometry.cropLeft, 80);
});

test('grayscale PNG becomes three equal channels', async () => {
  const raw = Buffer.alloc(224 * 224, 0);
  raw[0] = 200;
  const png = await sharp(raw, { raw: { width: 224, height: 224, channels: 1 } }).toColourspace('b-w').png().toBuffer();
  assert.equal((await sharp(png).metadata()).channels, 1);
  const { data } = await toRgbRaw(png, exact());
  assert.deepEqual([...data.subarray(0, 6)], [200, 200, 200, 0, 0, 0]);
});

test('RGBA PNG: alpha is dropped like PIL convert("RGB"), colour under transparency kept', async () => {
  const raw = Buffer.alloc(224 * 224 * 4, 255);
  raw.set([10, 20, 30, 0, 200, 100, 50, 128], 0);
  const png = await sharp(raw, { raw: { width: 224, height: 224, channels: 4 } }).png().toBuffer();
  const { data } = await toRgbRaw(png, exact());
  assert.deepEqual([...data.subarray(0, 6)], [10, 20, 30, 200, 100, 50]);
  const t = await preprocess(png, exact());
  assert.equal(t[0], expected(10, 0));
});

test('EXIF orientation: ignored by default as PIL does, applied before resizing on request', async () => {
  const jpg = await sharp({ create: { width: 400, height: 200, channels: 3, background: '#808080' } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const stored = await toRgbRaw(jpg, presetSpec('torchvision', io));
  assert.deepEqual([stored.geometry.originalWidth, stored.geometry.originalHeight], [400, 200]);
  assert.deepEqual([stored.geometry.resizedWidth, stored.geometry.resizedHeight], [512, 256]);
  const { geometry } = await toRgbRaw(jpg, presetSpec('torchvision', { ...io, orientation: 'APPLY' }));
  assert.deepEqual([geometry.originalWidth, geometry.originalHeight], [200, 400]);
  assert.deepEqual([geometry.resizedWidth, geometry.resizedHeight], [256, 512]);
  assert.deepEqual(geometry.decode, { colorProfile: 'IGNORE', orientation: 'APPLY' });
  // The upload's recorded size is the displayed one.
  assert.deepEqual(await probeImage(jpg, { maxPixels: 1e6 }), { width: 200, height: 400, format: 'jpeg' });
});

test('preprocessBatch writes each image at its slot of a shared tensor', async () => {
  const png = await gradientPng();
  const one = await preprocess(png, exact());
  const target = new Float32Array(3 * one.length).fill(7);
  const { geometries } = await preprocessBatch([png, png], exact(), { target, startIndex: 1 });
  assert.equal(geometries.length, 2);
  assert.equal(target[0], 7);
  assert.deepEqual(target.subarray(one.length, 2 * one.length), one);
  assert.deepEqual(target.subarray(2 * one.length), one);
});

test('invalid specs are rejected', () => {
  assert.throws(() => validateInputSpec(exact({ resizeShorter: 200 })), isCode('INVALID_ARGUMENT'));
  assert.throws(() => validateInputSpec(exact({ std: [0, 1, 1] })), isCode('INVALID_ARGUMENT'));
});

// --- image probe -------------------------------------------------------------------------

/** A PNG whose header claims width × height but whose body is one deflated row: a bomb that costs nothing to make. */
function craftedPng(width: number, height: number): Buffer {
  return pngFile(rgbIhdr(width, height), zlib.deflateSync(Buffer.alloc(1 + width * 3)));
}

test('probe: 20000×20000 PNG is IMAGE_TOO_LARGE without decoding', async () => {
  const bomb = craftedPng(20000, 20000);
  // The body holds one row of the 20000 claimed: decoding it would fail as truncated (INVALID_IMAGE),
  // so IMAGE_TOO_LARGE shows the probe refused it from the header alone (no timing needed).
  await assert.rejects(probeImage(bomb, { maxPixels: 50_000_000 }), isCode('IMAGE_TOO_LARGE'));
  await assert.rejects(probeImage(bomb, { maxPixels: 500_000_000 }), isCode('INVALID_IMAGE'), 'under a higher limit, the truncated body is found');
  // preprocessing enforces the same limit
  await assert.rejects(preprocess(bomb, presetSpec('torchvision', io)), isCode('IMAGE_TOO_LARGE'));
});

test('probe: a real image over a small limit is IMAGE_TOO_LARGE', async () => {
  const png = await sharp({ create: { width: 1200, height: 1000, channels: 3, background: '#fff' } }).png().toBuffer();
  await assert.rejects(probeImage(png, { maxPixels: 1_000_000 }), isCode('IMAGE_TOO_LARGE'));
  assert.deepEqual(await probeImage(png, { maxPixels: 2_000_000 }), { width: 1200, height: 1000, format: 'png' });
});

test('probe: random bytes, text, SVG and empty input are INVALID_IMAGE', async () => {
  const random = Buffer.alloc(4096);
  for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24;
  await assert.rejects(probeImage(random, { maxPixels: 1e7 }), isCode('INVALID_IMAGE'));
  await assert.rejects(probeImage(Buffer.from('label,prob\ncat,0.9\n'), { maxPixels: 1e7 }), isCode('INVALID_IMAGE'));
  await assert.rejects(probeImage(Buffer.alloc(0), { maxPixels: 1e7 }), isCode('INVALID_IMAGE'));
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>');
  await assert.rejects(probeImage(svg, { maxPixels: 1e7 }), isCode('INVALID_IMAGE'));
});

test('probe: a JPEG truncated to half is INVALID_IMAGE, in probe and preprocess', async () => {
  const raw = Buffer.alloc(300 * 200 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 31) & 255; // noisy so the body is large
  const jpg = await sharp(raw, { raw: { width: 300, height: 200, channels: 3 } }).jpeg().toBuffer();
  assert.equal((await probeImage(jpg, { maxPixels: 1e7 })).format, 'jpeg');
  const half = jpg.subarray(0, jpg.length >> 1);
  assert.equal((await sharp(half).metadata()).width, 300, 'the header alone looks fine');
  await assert.rejects(probeImage(half, { maxPixels: 1e7 }), (e: unknown) => isCode('INVALID_IMAGE')(e) && /decoded/.test((e as Error).message));
  await assert.rejects(preprocess(half, presetSpec('torchvision', io)), isCode('INVALID_IMAGE'));
});

// --- inferInputSpec ----------------------------------------------------------------------

test('inferInputSpec: NCHW with a dynamic batch', () => {
  const r = inferInputSpec({ inputName: 'input', shape: ['batch', 3, 224, 224], outputName: 'logits', outputShape: ['batch', 1000] });
  assert.equal(r.preset, 'torchvision');
  assert.equal(r.spec.layout, 'NCHW');
  assert.deepEqual([r.spec.width, r.spec.height, r.spec.resizeShorter], [224, 224, 256]);
  assert.equal(r.numClasses, 1000);
  assert.equal(r.fixedBatch, null);
});

test('inferInputSpec: NHWC, fixed batch 1, 299 → inception, [N,C,1,1] output', () => {
  const r = inferInputSpec({ inputName: 'x', shape: [1, 299, 299, 3], outputName: 'y', outputShape: [1, 1001, 1, 1] });
  assert.equal(r.spec.layout, 'NHWC');
  assert.equal(r.preset, 'inception');
  assert.deepEqual([r.spec.width, r.spec.resizeShorter], [299, 342]);
  assert.equal(r.numClasses, 1001);
  assert.equal(r.fixedBatch, 1);
  const tf = inferInputSpec({ inputName: 'x', shape: [1, 299, 299, 3], outputName: 'y', outputShape: [1, 1001] }, 'inception-tf');
  assert.deepEqual(
    [tf.spec.resizeMode, tf.spec.resizeShorter, tf.spec.interpolation, tf.spec.scale, tf.spec.mean[0], tf.spec.std[0]],
    ['STRETCH', null, 'NEAREST', 2 / 255, 1, 1],
  );
  assert.equal(PRESETS.identity.mean[0], 0);
});

test('inferInputSpec: dynamic H/W take the preset size; dynamic classes are null', () => {
  const r = inferInputSpec({ inputName: 'i', shape: ['N', 3, 'H', 'W'], outputName: 'o', outputShape: ['N', 'C'] });
  assert.deepEqual([r.spec.width, r.spec.height], [224, 224]);
  assert.equal(r.numClasses, null);
  const inc = inferInputSpec({ inputName: 'i', shape: ['N', 3, 'H', 'W'], outputName: 'o', outputShape: [] }, 'inception');
  assert.equal(inc.spec.width, 299);
});

test('inferInputSpec: non-image inputs and bad outputs are UNSUPPORTED_MODEL', () => {
  const out = { outputName: 'o', outputShape: ['N', 10] };
  assert.throws(() => inferInputSpec({ inputName: 'i', shape: ['N', 3, 224], ...out }), (e: unknown) =>
    isCode('UNSUPPORTED_MODEL')(e) && /no image-like input.*\[N,3,224\]/.test((e as Error).message));
  assert.throws(() => inferInputSpec({ inputName: 'i', shape: ['N', 1, 28, 28], ...out }), isCode('UNSUPPORTED_MODEL'));
  assert.throws(() => inferInputSpec({ inputName: 'i', shape: ['N', 768], ...out }), isCode('UNSUPPORTED_MODEL'));
  assert.throws(
    () => inferInputSpec({ inputName: 'i', shape: ['N', 3, 224, 224], outputName: 'o', outputShape: ['N', 21, 224, 224] }),
    isCode('UNSUPPORTED_MODEL'),
  );
  assert.throws(
    () => inferInputSpec({ inputName: 'i', inputType: 'uint8', shape: ['N', 3, 224, 224], ...out }),
    isCode('UNSUPPORTED_MODEL'),
  );
});
