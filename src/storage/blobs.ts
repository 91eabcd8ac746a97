// The artifact store contract. Uploads, models and artifacts are immutable and content-addressed:
// a key derived from the hash gives deduplication, integrity checks and safe HTTP caching for free.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StoredBlob {
  key: string;
  sha256: string;
  byteSize: number;
}

/** A file on this machine with its SHA-256 and size. */
export interface LocalFile {
  path: string;
  sha256: string;
  size: number;
}

export interface OpenedBlob {
  size: number;
  stream(): Readable;
}

export interface BlobStore {
  /** Where blobs live, for logs: a directory or s3://bucket/prefix. */
  readonly location: string;
  /** Stores bytes under `<namespace>/<aa>/<sha256><ext>`; storing the same content twice is a no-op. */
  put(namespace: string, bytes: Uint8Array, ext: string): Promise<StoredBlob>;
  /** Stores a file whose hash is known, streaming it (large models are never read into memory).
   *  With `move` the file may be renamed into the store; otherwise it is left where it is. */
  putFile(namespace: string, file: LocalFile, ext: string, opts?: { move?: boolean }): Promise<StoredBlob>;
  read(key: string): Promise<Buffer>;
  /** A local file holding the blob: onnxruntime opens models by path. */
  localFile(key: string): Promise<string>;
  /** Size and bytes for serving, or null when no such blob exists. */
  open(key: string): Promise<OpenedBlob | null>;
  /** Fails with a clear message when the store is unusable (checked at start). */
  check(): Promise<void>;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A pass-through stream that hashes and counts what flows through it. */
export function hashingTap(): { tap: Transform; result(): { sha256: string; size: number } } {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.byteLength;
      done(null, chunk);
    },
  });
  return { tap, result: () => ({ sha256: hash.digest('hex'), size }) };
}

/** SHA-256 and size of a file, read as a stream. */
export async function hashFile(path: string): Promise<LocalFile> {
  const { tap, result } = hashingTap();
  await pipeline(createReadStream(path), tap, new Writable({ write: (_c, _e, done) => done() }));
  return { path, ...result() };
}

export function blobKey(namespace: string, sha256: string, ext: string): string {
  return `${namespace}/${sha256.slice(0, 2)}/${sha256}${ext}`;
}

const KEY = /^([a-z]+)\/([0-9a-f]{2})\/([0-9a-f]{64})(\.[a-z0-9]+)?$/;

/** Splits a well-formed key; null for anything else (so no key can name a path outside the store). */
export function parseBlobKey(key: string): { namespace: string; sha256: string; ext: string } | null {
  const m = KEY.exec(key);
  if (!m || m[2] !== m[3].slice(0, 2)) return null;
  return { namespace: m[1], sha256: m[3], ext: m[4] ?? '' };
}

const MEDIA_TYPES: Record<string, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
  avif: 'image/avif',
  heif: 'image/heif',
  json: 'application/json',
  zip: 'application/zip',
};

export function mediaTypeOfKey(key: string): string {
  return MEDIA_TYPES[key.slice(key.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
}
