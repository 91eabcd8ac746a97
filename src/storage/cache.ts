// A bounded local copy of remote blobs. Keys are content hashes, so a cached file never goes stale;
// only its size budget needs managing (least recently used first). Pinned blobs (models, which
// onnxruntime opens by path) are kept and not counted against the budget.
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileSize, keyPath, placeFileAtomic, writeFileAtomic } from './directory.js';
import { parseBlobKey } from './blobs.js';

export class LocalCache {
  /** key → bytes, least recently used first (a Map keeps insertion order). */
  private readonly entries = new Map<string, number>();
  private unpinnedBytes = 0;
  private readonly loaded: Promise<void>;

  constructor(
    readonly root: string,
    readonly budgetBytes: number,
    private readonly pinned: (key: string) => boolean,
  ) {
    this.loaded = this.load();
  }

  path(key: string): string {
    return keyPath(this.root, key);
  }

  /** The cached file's path, or null; a hit counts as a use. */
  async get(key: string): Promise<string | null> {
    await this.loaded;
    const path = this.path(key);
    if (!this.entries.has(key)) return null;
    if ((await fileSize(path)) === null) {
      this.forget(key); // removed behind our back: fetch it again
      return null;
    }
    this.record(key, this.entries.get(key)!);
    return path;
  }

  async add(key: string, bytes: Uint8Array): Promise<string> {
    await this.loaded;
    const path = this.path(key);
    await writeFileAtomic(path, bytes);
    this.record(key, bytes.byteLength);
    return path;
  }

  /** Copies (or with `move`, renames) a local file into the cache. */
  async addFile(key: string, source: string, size: number, move: boolean): Promise<string> {
    await this.loaded;
    const path = this.path(key);
    await placeFileAtomic(source, path, move);
    this.record(key, size);
    return path;
  }

  /** Moves a fully written and verified temporary file into the cache. */
  async adopt(key: string, tmpPath: string, size: number): Promise<string> {
    await this.loaded;
    const path = this.path(key);
    await rename(tmpPath, path);
    this.record(key, size);
    return path;
  }

  get usedBytes(): number {
    return this.unpinnedBytes;
  }

  private record(key: string, size: number) {
    this.forget(key);
    this.entries.set(key, size);
    if (!this.pinned(key)) this.unpinnedBytes += size;
    this.evict();
  }

  private forget(key: string) {
    const size = this.entries.get(key);
    if (size === undefined) return;
    this.entries.delete(key);
    if (!this.pinned(key)) this.unpinnedBytes -= size;
  }

  private evict() {
    for (const [key] of this.entries) {
      if (this.unpinnedBytes <= this.budgetBytes) return;
      if (this.pinned(key)) continue;
      this.forget(key);
      // A reader that already opened the file keeps its bytes: unlinking does not cut it off.
      rm(this.path(key), { force: true }).catch(() => {});
    }
  }

  /** Indexes what an earlier run left, oldest first; drops temporary files of interrupted downloads. */
  private async load() {
    const found: { key: string; size: number; mtime: number }[] = [];
    const names = await readdir(this.root, { recursive: true }).catch(() => [] as string[]);
    for (const name of names) {
      const full = join(this.root, name);
      if (name.endsWith('.tmp')) {
        await rm(full, { force: true });
        continue;
      }
      const key = relative(this.root, full).split(sep).join('/');
      if (!parseBlobKey(key)) continue;
      const s = await stat(full).catch(() => null);
      if (s?.isFile()) found.push({ key, size: s.size, mtime: s.mtimeMs });
    }
    found.sort((a, b) => a.mtime - b.mtime);
    for (const f of found) this.record(f.key, f.size);
  }
}
