// An image file → uint8 RGB as PIL 9.4's Image.open(f).convert('RGB') gives it, with sharp decoding.
//
// sharp/libvips and Pillow decode JPEG, PNG, WebP and TIFF to the same samples; they part only in how
// those samples become RGB (Pillow's libImaging/Convert.c and its PNG/JPEG plugins):
// - alpha is dropped without compositing (RGBA, LA, palette or grey with tRNS);
// - 1/2/4-bit grey is scaled to 0…255 and palettes are looked up — as sharp does;
// - 16-bit colour keeps the high byte of each sample — as sharp does;
// - 16-bit grey opens as mode I (PNG) or I;16 (TIFF), whose conversion to RGB clamps the value to
//   0…255 (so most of a 16-bit grey photo turns white): sharp would scale it, so the clamp is ours;
// - CMYK JPEGs are read as Adobe-inverted CMYK (libvips does the same), and Pillow converts with
//   R = 255 − K − C·(255 − K)/255 (rounded by its MULDIV255), no colour management: sharp would
//   apply an ICC CMYK profile, so that formula is ours;
// - embedded ICC profiles and EXIF orientation are ignored (the DecodePolicy may ask for them instead);
// - GIF pixels of the first frame's transparent index take that index's palette colour (PIL's mode P
//   conversion); libvips makes them transparent black, so gif.ts finds the colour in the file.
import { open, readFile } from 'node:fs/promises';
import { openImage, toImageError, type ImageSource, type OpenOptions } from '../image.ts';
import type { DecodePolicy } from '../types.ts';
import { gifTransparentColour } from './gif.ts';
import type { Pixels } from './resample.ts';

export const PIL_DECODE: Readonly<DecodePolicy> = { colorProfile: 'IGNORE', orientation: 'IGNORE' };

/** PIL's MULDIV255(a, b): a·b/255 rounded, computed with shifts. */
function mulDiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

function cmykToRgb(cmyk: Uint8Array, bands: number, n: number): Uint8Array {
  const out = new Uint8Array(n * 3);
  for (let i = 0, p = 0, o = 0; i < n; i++, p += bands, o += 3) {
    const nk = 255 - cmyk[p + 3];
    // nk − MULDIV255(c, nk) is never outside 0…255, so Pillow's CLIP8 changes nothing.
    out[o] = nk - mulDiv255(cmyk[p], nk);
    out[o + 1] = nk - mulDiv255(cmyk[p + 1], nk);
    out[o + 2] = nk - mulDiv255(cmyk[p + 2], nk);
  }
  return out;
}

/** Mode I / I;16 → RGB: every channel is the grey value clamped to 255. */
function grey16ToRgb(grey: Uint16Array, bands: number, n: number): Uint8Array {
  const out = new Uint8Array(n * 3);
  for (let i = 0, p = 0, o = 0; i < n; i++, p += bands, o += 3) {
    const v = grey[p] > 255 ? 255 : grey[p];
    out[o] = out[o + 1] = out[o + 2] = v;
  }
  return out;
}

/** RGB(A) → RGB; fully transparent pixels become `transparent` when given. */
function dropAlpha(rgba: Uint8Array, bands: number, n: number, transparent: [number, number, number] | null): Uint8Array {
  const out = new Uint8Array(n * 3);
  for (let i = 0, p = 0, o = 0; i < n; i++, p += bands, o += 3) {
    if (transparent && bands === 4 && rgba[p + 3] === 0) out.set(transparent, o);
    else out.set(rgba.subarray(p, p + 3), o);
  }
  return out;
}

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/**
 * A 16-bit grey PNG is mode I in PIL unless it is grey + alpha (colour type 4), which PIL opens as
 * RGBA from the high bytes. libvips reports both that and grey with a tRNS chunk as two bands.
 */
async function isPngGreyAlpha(source: ImageSource): Promise<boolean> {
  let head: Uint8Array;
  if (typeof source === 'string') {
    const f = await open(source, 'r');
    try {
      head = (await f.read(new Uint8Array(26), 0, 26, 0)).buffer;
    } finally {
      await f.close();
    }
  } else head = source;
  return PNG_SIGNATURE.every((b, i) => head[i] === b) && head[25] === 4;
}

let decodes = 0;
/** How many images this process has decoded: lets tests check that an explanation decodes its photo once. */
export function decodeCount(): number {
  return decodes;
}

/** Decodes `source` into 3-channel uint8 RGB under `policy` (PIL's own with PIL_DECODE). */
export async function decodeRgb(source: ImageSource, policy: DecodePolicy, opts: OpenOptions = {}): Promise<Pixels> {
  decodes++;
  try {
    const img = openImage(source, { maxPixels: opts.maxPixels, autoOrient: policy.orientation === 'APPLY', ignoreIcc: policy.colorProfile === 'IGNORE' });
    const meta = await img.metadata();
    // With a profile to honour, sharp's colour management converts every mode to sRGB.
    const managed = policy.colorProfile === 'CONVERT_TO_SRGB' && meta.hasProfile === true;
    if (!managed && meta.space === 'cmyk') {
      const { data, info } = await img.pipelineColourspace('cmyk').toColourspace('cmyk').raw().toBuffer({ resolveWithObject: true });
      return { data: cmykToRgb(data, info.channels, info.width * info.height), width: info.width, height: info.height, channels: 3 };
    }
    if (!managed && meta.space === 'grey16' && !(meta.format === 'png' && (await isPngGreyAlpha(source)))) {
      const { data, info } = await img.toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
      // A Uint16Array view needs an even offset; copy in the unlikely case the buffer has none.
      const bytes = data.byteOffset % 2 === 0 ? data : Uint8Array.from(data);
      const grey = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
      return { data: grey16ToRgb(grey, info.channels, info.width * info.height), width: info.width, height: info.height, channels: 3 };
    }
    if (meta.format === 'gif' && meta.hasAlpha) {
      const { data, info } = await img.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
      const colour = gifTransparentColour(typeof source === 'string' ? await readFile(source) : source);
      return { data: dropAlpha(data, info.channels, info.width * info.height, colour), width: info.width, height: info.height, channels: 3 };
    }
    const { data, info } = await img.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: 3 };
  } catch (err) {
    throw toImageError(err);
  }
}
