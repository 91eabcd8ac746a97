// Image ingestion: validate before storing anything, then deduplicate by content hash.
import type { App } from '../app.js';
import { probeImage } from '../engine/image.js';
import { fromEngineError, InvalidImageError } from '../errors.js';
import type { Image } from '../generated/sqlite/client.js';
import { sha256Hex } from '../storage/blobs.js';

export async function ingestImage(app: App, bytes: Uint8Array, originalName: string | null): Promise<Image> {
  const { maxImageBytes, maxImagePixels } = app.config.limits;
  if (bytes.byteLength > maxImageBytes) {
    throw new InvalidImageError('UPLOAD_TOO_LARGE', `the image is ${bytes.byteLength} bytes; the limit is ${maxImageBytes}`);
  }
  if (bytes.byteLength === 0) throw new InvalidImageError('INVALID_IMAGE', 'the uploaded file is empty');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const info = await probeImage(buf, { maxPixels: maxImagePixels }).catch((e) => fromEngineError(e, 'file'));
  const existing = await app.prisma.image.findUnique({ where: { sha256: sha256Hex(bytes) } });
  if (existing) return existing;
  const blob = await app.blobs.put('images', bytes, `.${info.format}`);
  // Two identical uploads may race; the unique hash makes the loser read the winner's row.
  return app.prisma.image
    .create({
      data: {
        sha256: blob.sha256,
        width: info.width,
        height: info.height,
        format: info.format,
        originalName: originalName?.slice(0, 255) || null,
        byteSize: blob.byteSize,
        storageKey: blob.key,
      },
    })
    .catch(async (e: { code?: string }) => {
      if (e.code !== 'P2002') throw e;
      return app.prisma.image.findUniqueOrThrow({ where: { sha256: blob.sha256 } });
    });
}
