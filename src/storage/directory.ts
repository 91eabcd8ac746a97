// The default artifact store: a directory (local, or shared storage such as NFS for several machines).
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, resolve, sep } from 'node:path';
import { blobKey, parseBlobKey, sha256Hex, type BlobStore, type LocalFile, type OpenedBlob, type StoredBlob } from './blobs.js';

/** Writes through a temporary file, then renames, so a crash never leaves a half-written file under the final name. */
async function viaTemporary(path: string, write: (tmp: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    await write(tmp);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Puts a file under `path` by renaming (`move`, same file system) or copying it, atomically either way. */
export async function placeFileAtomic(source: string, path: string, move: boolean): Promise<void> {
  if (move) {
    await mkdir(dirname(path), { recursive: true });
    try {
      await rename(source, path);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e; // another file system: copy
    }
  }
  await viaTemporary(path, (tmp) => copyFile(source, tmp));
}

export function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  return viaTemporary(path, (tmp) => writeFile(tmp, bytes));
}

export function tempPathFor(path: string): string {
  return `${path}.${randomBytes(6).toString('hex')}.tmp`;
}

export async function fileSize(path: string): Promise<number | null> {
  return stat(path).then(
    (s) => s.size,
    () => null,
  );
}

/** Maps keys to files under a root, refusing anything that is not a well-formed blob key. */
export function keyPath(root: string, key: string): string {
  const p = resolve(root, key);
  if (!parseBlobKey(key) || !p.startsWith(root + sep)) throw new Error(`not a blob key: ${key}`);
  return p;
}

export function openFile(path: string, size: number): OpenedBlob {
  return { size, stream: () => createReadStream(path) };
}

export class DirectoryStore implements BlobStore {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  get location() {
    return this.root;
  }

  async put(namespace: string, bytes: Uint8Array, ext: string): Promise<StoredBlob> {
    const sha256 = sha256Hex(bytes);
    const key = blobKey(namespace, sha256, ext);
    const path = keyPath(this.root, key);
    if ((await fileSize(path)) !== bytes.byteLength) await writeFileAtomic(path, bytes);
    return { key, sha256, byteSize: bytes.byteLength };
  }

  async putFile(namespace: string, file: LocalFile, ext: string, opts: { move?: boolean } = {}): Promise<StoredBlob> {
    const key = blobKey(namespace, file.sha256, ext);
    const path = keyPath(this.root, key);
    if ((await fileSize(path)) !== file.size) await placeFileAtomic(file.path, path, opts.move ?? false);
    return { key, sha256: file.sha256, byteSize: file.size };
  }

  read(key: string): Promise<Buffer> {
    return readFile(keyPath(this.root, key));
  }

  async localFile(key: string): Promise<string> {
    return keyPath(this.root, key);
  }

  async open(key: string): Promise<OpenedBlob | null> {
    const path = keyPath(this.root, key);
    const size = await fileSize(path);
    return size === null ? null : openFile(path, size);
  }

  async check(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }
}
