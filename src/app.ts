// The service container: configuration, database, artifact store, model sessions and the change feed.
import { mkdir } from 'node:fs/promises';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/index.js';
import { SessionCache } from './engine/session.js';
import { TensorCache } from './engine/tensor-cache.js';
import { createEvents, type Events } from './events.js';
import { createLoaders, type Loaders } from './db/loaders.js';
import { openBlobStore, type BlobStore } from './storage/index.js';
import type { JobQueue } from './job-queue.js';
import { redisConnection } from './redis.js';

/** About 20 grids of a 10-image × 6-column page (3.2 MB each). */
const REPORT_GRID_CACHE_BYTES = 64 * 1024 * 1024;

export interface App {
  config: Config;
  db: Database;
  prisma: Database['prisma'];
  blobs: BlobStore;
  sessions: SessionCache;
  /** Preprocessed input tensors by (image hash, input spec). */
  tensors: TensorCache;
  /** Drawn report figure grids by the hash of what they are drawn from (engine/report/figures.ts). */
  reportGrids: TensorCache<Buffer>;
  events: Events;
  /** Rows by id, loaded in batches; immutable ones (images, models) cached in memory. */
  loaders: Loaders;
  /** Null until a job runner is attached (main.ts, or tests that run jobs). */
  jobs: JobQueue | null;
  close(): Promise<void>;
}

export async function createApp(config: Config): Promise<App> {
  await mkdir(config.dataDir, { recursive: true });
  const blobs = openBlobStore(config.artifacts);
  await blobs.check();
  const db = await openDatabase(config.databaseUrl);
  const redis = config.redisUrl ? { publish: redisConnection(config.redisUrl), subscribe: redisConnection(config.redisUrl) } : undefined;
  const sessions = new SessionCache(config.intraOpThreads > 0 ? { intraOpNumThreads: config.intraOpThreads } : {});
  const app: App = {
    config,
    db,
    prisma: db.prisma,
    blobs,
    sessions,
    tensors: new TensorCache(config.tensorCacheBytes),
    reportGrids: new TensorCache<Buffer>(REPORT_GRID_CACHE_BYTES),
    events: createEvents(redis),
    loaders: createLoaders(db.prisma),
    jobs: null,
    async close() {
      await app.jobs?.close();
      await sessions.close();
      await db.close();
      if (redis) await Promise.all([redis.publish.quit(), redis.subscribe.quit()]);
    },
  };
  return app;
}
