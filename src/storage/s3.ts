// S3-compatible artifact store for several machines (AWS S3, MinIO, Ceph RGW, R2, ...). Every node
// keeps a bounded local cache: onnxruntime needs model files on disk, and served artifacts and job
// inputs are read far more often than written. Downloads are verified against the hash in the key.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Options } from '../config.js';
import { StorageUnavailableError } from '../errors.js';
import { blobKey, hashingTap, mediaTypeOfKey, parseBlobKey, sha256Hex, type BlobStore, type LocalFile, type OpenedBlob, type StoredBlob } from './blobs.js';
import { LocalCache } from './cache.js';
import { fileSize, openFile, tempPathFor } from './directory.js';

/** Above this size a HEAD request is cheaper than uploading content the bucket may already hold. */
const HEAD_BEFORE_PUT_BYTES = 1024 * 1024;

class BlobMissing extends Error {}

export class S3Store implements BlobStore {
  readonly location: string;
  readonly cache: LocalCache;
  private readonly client: S3Client;
  private readonly fetching = new Map<string, Promise<string>>();

  constructor(private readonly opts: S3Options) {
    this.location = `s3://${opts.bucket}/${opts.prefix}`;
    this.cache = new LocalCache(opts.cacheDir, opts.cacheBytes, (key) => key.startsWith('models/'));
    this.client = new S3Client({
      region: opts.region,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      forcePathStyle: opts.forcePathStyle,
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      // Third-party S3 servers reject the SDK's newer default checksums; integrity comes from the
      // SHA-256 we send with every upload and verify on every download.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 5000, requestTimeout: 120_000 },
    });
  }

  async put(namespace: string, bytes: Uint8Array, ext: string): Promise<StoredBlob> {
    const sha256 = sha256Hex(bytes);
    const key = blobKey(namespace, sha256, ext);
    await this.upload(key, sha256, bytes.byteLength, () => bytes, () => this.cache.add(key, bytes));
    return { key, sha256, byteSize: bytes.byteLength };
  }

  async putFile(namespace: string, file: LocalFile, ext: string, opts: { move?: boolean } = {}): Promise<StoredBlob> {
    const key = blobKey(namespace, file.sha256, ext);
    // The body is a stream with a known length: a model of any size is never held in memory.
    await this.upload(key, file.sha256, file.size, () => createReadStream(file.path), () => this.cache.addFile(key, file.path, file.size, opts.move ?? false));
    return { key, sha256: file.sha256, byteSize: file.size };
  }

  /** Uploads unless the bucket already has the blob, then keeps it in this node's cache. */
  private async upload(key: string, sha256: string, size: number, body: () => Uint8Array | Readable, cache: () => Promise<unknown>): Promise<void> {
    // A cached blob was uploaded or downloaded by this node, so the bucket has it.
    if (await this.cache.get(key)) return;
    const present = size > HEAD_BEFORE_PUT_BYTES && (await this.remoteSize(key)) === size;
    if (!present) {
      await this.call(`upload ${key}`, () =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.opts.bucket,
            Key: this.opts.prefix + key,
            Body: body(),
            ContentLength: size,
            ContentType: mediaTypeOfKey(key),
            ChecksumSHA256: Buffer.from(sha256, 'hex').toString('base64'),
          }),
        ),
      );
    }
    await cache();
  }

  async read(key: string): Promise<Buffer> {
    return readFile(await this.localFile(key));
  }

  async localFile(key: string): Promise<string> {
    return this.fetch(key).catch((e) => {
      if (e instanceof BlobMissing) throw new StorageUnavailableError(`${this.location}${key} is missing from the artifact store`);
      throw e;
    });
  }

  async open(key: string): Promise<OpenedBlob | null> {
    const path = await this.fetch(key).catch((e) => {
      if (e instanceof BlobMissing) return null;
      throw e;
    });
    if (!path) return null;
    const size = await fileSize(path);
    return size === null ? null : openFile(path, size);
  }

  /** The blob's cached file, downloading it first when needed. */
  private async fetch(key: string): Promise<string> {
    const cached = await this.cache.get(key);
    if (cached) return cached;
    // Concurrent jobs on one model share a single download.
    let p = this.fetching.get(key);
    if (!p) {
      p = this.download(key).finally(() => this.fetching.delete(key));
      this.fetching.set(key, p);
    }
    return p;
  }

  async check(): Promise<void> {
    await mkdir(this.opts.cacheDir, { recursive: true });
    await this.call('check the bucket', () => this.client.send(new HeadBucketCommand({ Bucket: this.opts.bucket })), true);
  }

  private async remoteSize(key: string): Promise<number | null> {
    try {
      const h = await this.call(`look up ${key}`, () => this.client.send(new HeadObjectCommand({ Bucket: this.opts.bucket, Key: this.opts.prefix + key })));
      return h.ContentLength ?? null;
    } catch (e) {
      if (e instanceof BlobMissing) return null;
      throw e;
    }
  }

  private async download(key: string): Promise<string> {
    const expected = parseBlobKey(key)?.sha256;
    if (!expected) throw new Error(`not a blob key: ${key}`);
    const res = await this.call(`download ${key}`, () => this.client.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: this.opts.prefix + key })));
    const path = this.cache.path(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = tempPathFor(path);
    const { tap, result } = hashingTap();
    try {
      await this.call(`download ${key}`, () => pipeline(res.Body as Readable, tap, createWriteStream(tmp)));
      const { sha256: actual, size } = result();
      if (actual !== expected) throw new StorageUnavailableError(`${this.location}${key} is corrupt: its SHA-256 is ${actual}`);
      return await this.cache.adopt(key, tmp, size);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }

  /** Runs an S3 call, turning its failures into a missing blob or a typed, explained error. */
  private async call<T>(action: string, fn: () => Promise<T>, atStart = false): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof StorageUnavailableError) throw e;
      const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      const status = err.$metadata?.httpStatusCode;
      if (!atStart && (err.name === 'NoSuchKey' || err.name === 'NotFound' || status === 404)) throw new BlobMissing(action);
      const where = `${this.location}${this.opts.endpoint ? ` at ${this.opts.endpoint}` : ''}`;
      const hint =
        status === 404 ? ': the bucket does not exist' : status === 403 ? ': access denied (check the AWS_* credentials)' : `: ${err.name ?? 'Error'}: ${err.message ?? String(e)}`;
      throw new StorageUnavailableError(`artifact store ${where}: could not ${action}${hint}`);
    }
  }
}
