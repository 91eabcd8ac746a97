// Content-addressed file store under the data directory: uploads and artifacts are immutable,
// so a key derived from the hash gives deduplication and safe HTTP caching for free.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';

export interface StoredBlob {
  key: string;
  sha256: string;
  byteSize: number;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class BlobStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Stores bytes under `<namespace>/<aa>/<sha256><ext>`; writing the same content twice is a no-op. */
  async put(namespace: string, bytes: Uint8Array, ext: string): Promise<StoredBlob> {
    const sha256 = sha256Hex(bytes);
    const key = `${namespace}/${sha256.slice(0, 2)}/${sha256}${ext}`;
    const path = this.path(key);
    const exists = await stat(path).then(
      (s) => s.size === bytes.byteLength,
      () => false,
    );
    if (!exists) {
      await mkdir(dirname(path), { recursive: true });
      // Write then rename so a crash never leaves a half-written file under the final key.
      const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    }
    return { key, sha256, byteSize: bytes.byteLength };
  }

  path(key: string): string {
    const p = resolve(this.root, key);
    if (!p.startsWith(this.root + sep)) throw new Error(`blob key escapes the store: ${key}`);
    return p;
  }

  read(key: string): Promise<Buffer> {
    return readFile(this.path(key));
  }

  stream(key: string) {
    return createReadStream(this.path(key));
  }

  async size(key: string): Promise<number | null> {
    return stat(this.path(key)).then(
      (s) => s.size,
      () => null,
    );
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}
