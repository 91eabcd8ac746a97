// `npm run worker`: a job worker for scale-out. Needs REDIS_URL and a DATABASE_URL shared with the API
// nodes (PostgreSQL), and the same artifact store (XAI_ARTIFACT_STORE: an S3 bucket, or a shared directory).
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { BullJobQueue, startBullWorker } from './jobs/bull.js';
import { onShutdown, runMain } from './process.js';
import { redisConnection } from './redis.js';

async function main() {
  const config = loadConfig();
  if (!config.redisUrl) throw new ConfigError('npm run worker needs REDIS_URL (without Redis, jobs run inside the service)');
  const app = await createApp(config);
  // A finished cell makes room in its study's window: the next cells are queued from here too.
  app.jobs = new BullJobQueue(app, redisConnection(config.redisUrl));
  const worker = await startBullWorker(app, redisConnection(config.redisUrl), {
    concurrency: config.jobs.concurrency,
    maxAttempts: config.jobs.maxAttempts,
    lockDurationMs: Number(process.env.XAI_JOB_LOCK_MS) || undefined,
  });
  console.log(`xai-lab worker ${process.pid}: ${config.jobs.concurrency} job(s) at a time, database: ${app.db.provider}, artifacts: ${app.blobs.location}`);
  onShutdown(async () => {
    await worker.close();
    await app.close();
  });
}

runMain(main);
