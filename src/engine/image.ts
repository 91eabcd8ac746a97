// Decoding untrusted image bytes safely. Every decode in the engine goes through openImage so
// the pixel limit and corruption policy are the same everywhere.
import sharp, { type Metadata, type Sharp } from 'sharp';
import { EngineError } from './errors.ts';

/** Default pixel limit (width × height) for untrusted images: ~50 MP, ~150 MB decoded as RGB. */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/** Raster formats we accept. Vector/document formats (svg, pdf) are rejected: their size is unbounded by the bytes. */
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif', 'avif']);

export type ImageSource = Buffer | Uint8Array | string;

export interface ImageInfo {
  /** Width and height after EXIF auto-orientation (what the user sees). */
  width: number;
  height: number;
  format: string;
}

export interface OpenOptions {
  maxPixels?: number;
}

export interface SharpOpenOptions extends OpenOptions {
  /** Apply the EXIF orientation (default true: the picture as viewers show it). */
  autoOrient?: boolean;
  /** Leave an embedded ICC profile unapplied (default false). */
  ignoreIcc?: boolean;
}

/**
 * A sharp pipeline over untrusted input: pixel-limited, failing on truncated data (but tolerating
 * benign decoder warnings, as PIL does), first frame only.
 */
export function openImage(source: ImageSource, opts: SharpOpenOptions = {}): Sharp {
  return sharp(source, {
    limitInputPixels: opts.maxPixels ?? DEFAULT_MAX_PIXELS,
    failOn: 'truncated',
    // First frame only for animated GIF/WebP.
    pages: 1,
    autoOrient: opts.autoOrient ?? true,
    ignoreIcc: opts.ignoreIcc ?? false,
  });
}

/** Maps a sharp/libvips failure to an EngineError. */
export function toImageError(err: unknown): EngineError {
  if (err instanceof EngineError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  if (/exceeds pixel limit/i.test(msg)) {
    return new EngineError('IMAGE_TOO_LARGE', 'the image has more pixels than allowed', { cause: msg });
  }
  if (/unsupported image format/i.test(msg)) {
    return new EngineError('INVALID_IMAGE', 'not an image in a supported format (JPEG, PNG, WebP, GIF, TIFF, AVIF/HEIF)', {
      cause: msg,
    });
  }
  return new EngineError('INVALID_IMAGE', `the image could not be decoded: ${msg}`, { cause: msg });
}

/**
 * Reads the header (rejecting decompression bombs before any decode), then decodes a tiny
 * thumbnail to prove the whole file is decodable (catches truncated/corrupt bodies).
 */
export async function probeImage(bytes: Buffer, opts: { maxPixels: number }): Promise<ImageInfo> {
  if (bytes.length === 0) throw new EngineError('INVALID_IMAGE', 'the image is empty');
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: opts.maxPixels, failOn: 'truncated', pages: 1 }).metadata();
  } catch (err) {
    throw toImageError(err);
  }
  const format = meta.format ?? 'unknown';
  if (!ACCEPTED_FORMATS.has(format)) {
    throw new EngineError('INVALID_IMAGE', `unsupported image format '${format}'`);
  }
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  if (!(width > 0 && height > 0)) throw new EngineError('INVALID_IMAGE', 'the image has no pixels');
  // Header check is our own too, so the limit holds even if sharp's metadata path stops enforcing it.
  if (width * height > opts.maxPixels) {
    throw new EngineError(
      'IMAGE_TOO_LARGE',
      `the image is ${width}×${height} (${width * height} pixels), more than the limit of ${opts.maxPixels}`,
      { width, height, maxPixels: opts.maxPixels },
    );
  }
  try {
    await openImage(bytes, opts).resize(8, 8, { fit: 'fill' }).raw().toBuffer();
  } catch (err) {
    throw toImageError(err);
  }
  return { width, height, format };
}
