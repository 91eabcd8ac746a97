// The service container: configuration, database, blob store, model sessions and the change feed.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/index.js';
import { SessionCache } from './engine/session.js';
import { TensorCache } from './engine/tensor-cache.js';
import { createEvents, type Events } from './events.js';
import type { Image, Model } from './generated/sqlite/client.js';
import { RowCache } from './services/rows.js';
import { BlobStore } from './storage/blobs.js';

export interface App {
  config: Config;
  db: Database;
  prisma: Database['prisma'];
  blobs: BlobStore;
  sessions: SessionCache;
  /** Preprocessed input tensors by (image hash, input spec). */
  tensors: TensorCache;
  events: Events;
  /** Immutable rows (images, models) cached in memory. */
  rows: { images: RowCache<Image>; models: RowCache<Model> };
  close(): Promise<void>;
}

export async function createApp(config: Config): Promise<App> {
  await mkdir(config.dataDir, { recursive: true });
  const db = await openDatabase(config.databaseUrl);
  const sessions = new SessionCache(config.intraOpThreads > 0 ? { intraOpNumThreads: config.intraOpThreads } : {});
  return {
    config,
    db,
    prisma: db.prisma,
    blobs: new BlobStore(join(config.dataDir, 'blobs')),
    sessions,
    tensors: new TensorCache(config.tensorCacheBytes),
    events: createEvents(),
    rows: { images: new RowCache(), models: new RowCache() },
    async close() {
      await sessions.close();
      await db.close();
    },
  };
}
