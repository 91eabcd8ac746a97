// decodeRgb against Pillow 9.4's Image.open(f).convert('RGB'), mode by mode, on images written byte by
// byte in the test. Each expectation is the conversion rule of Pillow's libImaging/Convert.c and its
// PNG/JPEG/GIF plugins applied to the samples the test wrote (the rules were checked against Pillow
// 9.4.0 on the same files while this was written).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import sharp from 'sharp';
import { decodeRgb, PIL_DECODE } from '../../../src/engine/pil/decode.ts';
import { pngChunk, rawGif, rawPng } from '../../support/images.ts';

const W = 7; // odd, so sub-byte rows end in padding bits
const H = 3;
const N = W * H;

async function pil(file: Buffer): Promise<number[]> {
  const px = await decodeRgb(file, PIL_DECODE);
  assert.deepEqual([px.width, px.height, px.channels], [W, H, 3]);
  return [...px.data];
}

/** What sharp itself makes of the file as sRGB (to show where Pillow's rule differs from it). */
async function sharpDefault(file: Buffer): Promise<number[]> {
  return [...(await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer())];
}

const grid = <T>(f: (x: number, y: number) => T): T[][] => Array.from({ length: H }, (_, y) => Array.from({ length: W }, (_, x) => f(x, y)));
const grey = (v: number[]) => v.flatMap((g) => [g, g, g]);
/** Packs samples of `bits` bits MSB first, as PNG rows do. */
function pack(row: number[], bits: number): number[] {
  const out = new Array(Math.ceil((row.length * bits) / 8)).fill(0);
  row.forEach((v, i) => (out[(i * bits) >> 3] |= v << (8 - bits - ((i * bits) & 7))));
  return out;
}
const be16 = (v: number) => [v >> 8, v & 255];

test('1-, 2- and 4-bit grey are scaled to 0…255 (255, 85, 17 per step) and repeated in R, G, B', async () => {
  for (const bits of [1, 2, 4]) {
    const v = grid((x, y) => (x * 3 + y * 5) % 2 ** bits);
    const png = rawPng(W, H, bits, 0, v.map((r) => pack(r, bits)));
    assert.deepEqual(await pil(png), grey(v.flat().map((s) => (s * 255) / (2 ** bits - 1))), `${bits}-bit`);
  }
});

test('8-bit grey, with or without a tRNS transparent value, is repeated in R, G, B', async () => {
  const v = grid((x, y) => (x * 40 + y * 7) & 255);
  assert.deepEqual(await pil(rawPng(W, H, 8, 0, v)), grey(v.flat()));
  assert.deepEqual(await pil(rawPng(W, H, 8, 0, v, [pngChunk('tRNS', Buffer.from(be16(40)))])), grey(v.flat()));
});

test('16-bit grey opens as mode I, whose conversion clamps every value to 0…255', async () => {
  const values = [0, 1, 200, 254, 255, 256, 1000, 40000, 65535];
  const v = grid((x, y) => values[(x + y * W) % values.length]);
  const want = grey(v.flat().map((s) => Math.min(255, s)));
  const png = rawPng(W, H, 16, 0, v.map((r) => r.flatMap(be16)));
  assert.deepEqual(await pil(png), want);
  assert.notDeepEqual(await sharpDefault(png), want, 'sharp scales 16-bit grey instead');
  // A tRNS value does not change the mode.
  assert.deepEqual(await pil(rawPng(W, H, 16, 0, v.map((r) => r.flatMap(be16)), [pngChunk('tRNS', Buffer.from(be16(256)))])), want);
});

test('16-bit grey + alpha, 16-bit RGB and RGBA keep the high byte of each sample; alpha is dropped', async () => {
  const s = (x: number, y: number, c: number) => (x * 9001 + y * 13007 + c * 20011 + 77) % 65536;
  const la = rawPng(W, H, 16, 4, grid((x, y) => [...be16(s(x, y, 0)), ...be16(s(x, y, 1))]).map((r) => r.flat()));
  assert.deepEqual(await pil(la), grey(grid((x, y) => s(x, y, 0) >> 8).flat()));
  const rgb = rawPng(W, H, 16, 2, grid((x, y) => [0, 1, 2].flatMap((c) => be16(s(x, y, c)))).map((r) => r.flat()));
  const rgba = rawPng(W, H, 16, 6, grid((x, y) => [0, 1, 2, 3].flatMap((c) => be16(s(x, y, c)))).map((r) => r.flat()));
  const high = grid((x, y) => [0, 1, 2].map((c) => s(x, y, c) >> 8)).flat(2);
  assert.deepEqual(await pil(rgb), high);
  assert.deepEqual(await pil(rgba), high);
});

test('8-bit grey + alpha and RGBA drop alpha without compositing: colour under alpha 0 is kept', async () => {
  const a = (x: number) => (x % 3 === 0 ? 0 : x * 30);
  const la = rawPng(W, H, 8, 4, grid((x, y) => [(x * 40 + y) & 255, a(x)]).map((r) => r.flat()));
  assert.deepEqual(await pil(la), grey(grid((x, y) => (x * 40 + y) & 255).flat()));
  const rgba = rawPng(W, H, 8, 6, grid((x, y) => [x * 30, y * 90, 200, a(x)]).map((r) => r.flat()));
  assert.deepEqual(await pil(rgba), grid((x, y) => [x * 30, y * 90, 200]).flat(2));
});

test('palette PNGs (8- and 2-bit, with tRNS) are looked up; transparency is ignored', async () => {
  const palette: [number, number, number][] = [[10, 20, 30], [200, 100, 50], [255, 255, 0], [1, 2, 3]];
  const plte = pngChunk('PLTE', Buffer.from(palette.flat()));
  const trns = pngChunk('tRNS', Buffer.from([0, 128]));
  const idx = grid((x, y) => (x + 2 * y) % 4);
  const want = idx.flat().flatMap((i) => palette[i]);
  assert.deepEqual(await pil(rawPng(W, H, 8, 3, idx, [plte])), want);
  assert.deepEqual(await pil(rawPng(W, H, 8, 3, idx, [plte, trns])), want);
  assert.deepEqual(await pil(rawPng(W, H, 2, 3, idx.map((r) => pack(r, 2)), [plte, trns])), want);
});

test("GIF: the transparent index shows its palette colour, as PIL's mode P conversion does", async () => {
  const palette: [number, number, number][] = [[10, 20, 30], [200, 100, 50], [255, 255, 0], [77, 88, 99]];
  const idx = Array.from({ length: N }, (_, i) => (i * 7 + (i >> 2)) % 4);
  const want = idx.flatMap((i) => palette[i]);
  assert.deepEqual(await pil(rawGif(W, H, palette, idx)), want);
  const transparent = rawGif(W, H, palette, idx, 3);
  assert.deepEqual(await pil(transparent), want);
  assert.notDeepEqual(await sharpDefault(transparent), want, 'libvips makes transparent pixels black');
});

/** Pillow's cmyk2rgb: nk = 255 − K; R = nk − MULDIV255(C, nk) with MULDIV255(a, b) = (t + (t >> 8)) >> 8, t = a·b + 128. */
function pilCmykToRgb(c: number, k: number): number {
  const nk = 255 - k;
  const t = c * nk + 128;
  return nk - (((t >> 8) + t) >> 8);
}

/** The same JPEG without its Adobe APP14 segment (marker 0xFFEE). */
function withoutAdobeMarker(jpeg: Buffer): Buffer {
  const parts = [jpeg.subarray(0, 2)];
  for (let i = 2; i < jpeg.length; ) {
    if (jpeg[i + 1] === 0xda) {
      parts.push(jpeg.subarray(i));
      break;
    }
    const len = jpeg.readUInt16BE(i + 2);
    if (jpeg[i + 1] !== 0xee) parts.push(jpeg.subarray(i, i + 2 + len));
    i += 2 + len;
  }
  return Buffer.concat(parts);
}

test("CMYK JPEG: Adobe-inverted samples (with or without the Adobe marker), converted by Pillow's formula, no colour management", async () => {
  const rgb = Buffer.from(Array.from({ length: N * 3 }, (_, i) => (i * 37) & 255));
  const jpeg = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).toColourspace('cmyk').jpeg({ quality: 100 }).toBuffer();
  assert.equal((await sharp(jpeg).metadata()).space, 'cmyk');
  const plain = withoutAdobeMarker(jpeg);
  assert.ok(plain.length < jpeg.length, 'the Adobe segment was there and is gone');
  // The decoded CMYK samples are libjpeg's (Pillow reads the same ones, as CMYK;I).
  const cmyk = await sharp(jpeg).pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer();
  const want = Array.from({ length: N * 3 }, (_, i) => pilCmykToRgb(cmyk[Math.floor(i / 3) * 4 + (i % 3)], cmyk[Math.floor(i / 3) * 4 + 3]));
  assert.deepEqual(await pil(jpeg), want);
  assert.deepEqual(await pil(plain), want);
  assert.notDeepEqual(await sharpDefault(jpeg), want, 'sharp would convert through an ICC CMYK profile');
});

test('embedded ICC profile: ignored by default, converted to sRGB with CONVERT_TO_SRGB', async () => {
  // A Display P3 profile (sharp's own), embedded in a PNG whose samples the test writes.
  const p3 = (await sharp({ create: { width: 1, height: 1, channels: 3, background: '#f00' } }).withIccProfile('p3').png().toBuffer().then((b) => sharp(b).metadata())).icc!;
  const iccp = pngChunk('iCCP', Buffer.concat([Buffer.from('P3\0\0', 'latin1'), zlib.deflateSync(p3)]));
  const samples = grid((x, y) => [255 - x * 20, y * 100, x * 30]);
  const png = rawPng(W, H, 8, 2, samples.map((r) => r.flat()), [iccp]);
  assert.ok((await sharp(png).metadata()).hasProfile);
  assert.deepEqual(await pil(png), samples.flat(2));
  const converted = await decodeRgb(png, { colorProfile: 'CONVERT_TO_SRGB', orientation: 'IGNORE' });
  // P3 red (255, 0, 0) lies outside sRGB: converted, it clips to sRGB red; a P3 mid grey stays grey.
  assert.notDeepEqual([...converted.data], samples.flat(2));
  assert.deepEqual([...converted.data.subarray(0, 3)], [...(await sharp(png).toColourspace('srgb').raw().toBuffer()).subarray(0, 3)]);
});

test('EXIF orientation: the stored pixels by default, turned with APPLY', async () => {
  const v = grid((x, y) => [x * 30, y * 100, 0]);
  const raw = Buffer.from(v.flat(2));
  const jpeg = await sharp(raw, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
  const stored = await decodeRgb(jpeg, PIL_DECODE);
  assert.deepEqual([stored.width, stored.height], [W, H]);
  const turned = await decodeRgb(jpeg, { colorProfile: 'IGNORE', orientation: 'APPLY' });
  assert.deepEqual([turned.width, turned.height], [H, W]);
  // Orientation 6 turns the picture 90° clockwise: stored pixel (x, y) lands at (H − 1 − y, x).
  for (const [x, y] of [[0, 0], [6, 0], [3, 2]]) {
    const s = [...stored.data.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)];
    const t = [...turned.data.subarray((x * H + (H - 1 - y)) * 3, (x * H + (H - 1 - y)) * 3 + 3)];
    assert.deepEqual(t, s, `stored (${x}, ${y})`);
  }
});
