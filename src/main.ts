// Entry point: `npm start`. Creates/migrates the database, seeds the demo model, serves on one port.
import { createApp } from './app.js';
import { loadConfig } from './config.js';
import { onShutdown, runMain } from './process.js';
import { startServer } from './server.js';
import { seedDemo } from './services/demo.js';
import { ensureAdminKey } from './services/keys.js';
import { resumeStudies } from './services/study-progress.js';
import { LocalJobQueue } from './jobs/local-queue.js';
import { BullJobQueue } from './jobs/bull.js';
import { redisConnection } from './redis.js';

async function main() {
  const config = loadConfig();
  const app = await createApp(config);
  if (config.adminKey) await ensureAdminKey(app, config.adminKey);
  if (config.seedDemo) await seedDemo(app);
  // Embedded default: jobs run in this process. With Redis they go to `npm run worker` processes.
  app.jobs = config.redisUrl ? new BullJobQueue(app, redisConnection(config.redisUrl)) : await LocalJobQueue.start(app);
  // Unfinished studies queue what their windows allow (LocalJobQueue.start did it already).
  if (config.redisUrl) await resumeStudies(app);
  const server = await startServer(app);
  console.log(`xai-lab listening on ${server.url}/graphql (HTTP and websocket), database: ${app.db.provider}, artifacts: ${app.blobs.location}, jobs: ${config.redisUrl ? 'BullMQ (run `npm run worker`)' : `in-process, ${config.jobs.concurrency} at a time`}`);
  if (config.files.secretGenerated) {
    console.log('WARNING: XAI_FILES_SECRET is not set: /files links are signed with a random secret of this process;');
    console.log('         they stop working after a restart and on other API nodes. Set it (openssl rand -hex 32).');
  }
  if (config.auth === 'open') {
    console.log(`WARNING: authentication is OFF (open mode, bound to ${config.host} only). Every local client acts as admin.`);
    console.log('         Set XAI_AUTH=required and XAI_ADMIN_KEY=<secret> to require API keys.');
  }
  onShutdown(async () => {
    await server.close();
    await app.close();
  });
}

runMain(main);
