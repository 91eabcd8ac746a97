// Scale-out with real processes: one API node and two `npm run worker` processes sharing PostgreSQL,
// Redis (BullMQ + pub/sub) and an S3 bucket, each with its own data directory as on separate machines. kill -9 of the worker running a job: BullMQ's
// stalled-job handling re-delivers it, the other worker finishes it, and the subscriber on the API
// node sees it through Redis.
import assert from 'node:assert/strict';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { after, before, describe, test } from 'node:test';
import pgClient from 'pg';
import { spawnScript, type ServiceProcess } from '../support/processes.js';
import { POSTGRES_SKIP_MESSAGE, withPostgres, type TestPostgres } from '../support/postgres.js';
import { REDIS_SKIP, startRedis, type TestRedis } from '../support/redis.js';
import { startS3, type TestS3 } from '../support/s3.js';
import { tmpDir } from '../support/tmp.js';
import { CREATE_STUDY, REQUEST_EXPLANATION, STUDY_FIELDS } from '../api/operations.js';
import { gqlAt, watch, waitUntil, wsClient } from './support.js';

describe('scale-out on Redis and PostgreSQL', () => {
  let pg: TestPostgres | null = null;
  let redis: TestRedis | null = null;
  let s3: TestS3 | null = null;
  let skip: string | null = null;
  let api: ServiceProcess;
  let url: string;
  const workers: ServiceProcess[] = [];
  let image: string;
  let model: string;

  before(async () => {
    pg = await withPostgres('scaleout');
    if (!pg) return void (skip = POSTGRES_SKIP_MESSAGE);
    redis = await startRedis();
    if (!redis) return void (skip = REDIS_SKIP);
    s3 = await startS3();
    const env = { DATABASE_URL: pg.url, REDIS_URL: redis.url, ...s3.env('scale'), XAI_JOB_LOCK_MS: '2000', XAI_JOB_CONCURRENCY: '1', XAI_STUDY_WINDOW: '2' };
    const machine = () => ({ XAI_DATA_DIR: tmpDir('xai-machine-') });
    api = spawnScript('src/main.ts', { ...env, ...machine(), PORT: '0' });
    url = (await api.waitFor(/listening on (http:\/\/[^\s]+)\/graphql/))[1];
    for (let i = 0; i < 2; i++) {
      const w = spawnScript('src/worker-main.ts', { ...env, ...machine() });
      await w.waitFor(/worker \d+: /);
      workers.push(w);
    }
    const d = await gqlAt(url, `{ images(first: 1, filter: { format: "png" }) { edges { node { id } } } models { edges { node { id } } } }`);
    image = d.images.edges[0].node.id;
    model = d.models.edges[0].node.id;
  });
  after(async () => {
    await Promise.all([api, ...workers].filter(Boolean).map((p) => p.kill()));
    await redis?.stop();
    await s3?.stop();
    await pg?.drop();
  });

  const request = async (seed: number, numSamples: number) =>
    (await gqlAt(url, REQUEST_EXPLANATION, { input: { image, model, method: 'LIME', seed, parameters: { lime: { numSamples, batchSize: 10 } } } })).requestExplanation.data.id as string;

  test('kill -9 of the worker running a LIME job: the other worker finishes it and the subscriber sees it', async (t) => {
    if (skip) return t.skip(skip);
    const client = wsClient(url);
    try {
      const id = await request(21, 3000);
      const watching = watch(client, id, 180_000);
      const rawId = decodeGlobalID(id).id; // logs show database ids
      const started = new RegExp(`job ${rawId} LIME started`);
      const holder = await Promise.race(workers.map((w) => w.waitFor(started).then(() => w)));
      await waitUntil(async () => watching.events.some((e) => e.status === 'RUNNING' && e.samplesDone > 0));
      await holder.kill('SIGKILL');
      const other = workers.find((w) => w !== holder)!;
      await other.waitFor(new RegExp(`job ${rawId} LIME started \\(attempt 2`), 60_000);
      const events = await watching.done;
      const last = events.at(-1);
      assert.equal(last.status, 'SUCCEEDED', JSON.stringify(last.error));
      assert.equal(last.attempts, 2);
      assert.ok(last.artifacts.length > 0);
      const res = await fetch(url + last.artifacts[0].url);
      assert.equal(res.status, 200, 'artifacts written by a worker are served by the API node');
    } finally {
      await client.dispose();
    }
  });

  test('cancel on the API node stops the job on whichever worker runs it', async (t) => {
    if (skip) return t.skip(skip);
    const id = await request(22, 50000);
    await waitUntil(async () => (await gqlAt(url, `query($id: ID!) { explanation(id: $id) { status samplesDone } }`, { id })).explanation.samplesDone > 0);
    const r = await gqlAt(url, `mutation($id: ID!) { cancelExplanation(id: $id) { ... on CancelExplanationSuccess { data { status } } } }`, { id });
    assert.equal(r.cancelExplanation.data.status, 'CANCELLED');
    // The worker is free again: a short job completes.
    const next = await request(23, 100);
    const done = await waitUntil(async () => {
      const e = (await gqlAt(url, `query($id: ID!) { explanation(id: $id) { status } }`, { id: next })).explanation;
      return e.status === 'SUCCEEDED' && e;
    }, 60_000);
    assert.equal(done.status, 'SUCCEEDED');
  });

  test('a study runs unchanged on the workers: they queue its next cells, the API node streams its progress', async (t) => {
    if (skip) return t.skip(skip);
    const d = await gqlAt(url, `{ images(first: 3, filter: { format: "png" }) { edges { node { id } } } }`);
    const images = d.images.edges.map((e: any) => e.node.id);
    const methods = [{ method: 'LIME', parameters: { lime: { numSamples: 120, batchSize: 20 } } }, { method: 'GRAD_CAM' }];
    const s = (await gqlAt(url, CREATE_STUDY, { input: { name: 'scale-out study', seed: 8, images, models: [model], methods } })).createStudy.data;
    assert.equal(s.cells.length, 6);
    assert.ok(s.cells.filter((c: any) => c.state !== 'PENDING').length <= 3, 'a window (plus the CAM cell of the same image) is queued');
    const client = wsClient(url);
    try {
      const events = await new Promise<any[]>((resolve, reject) => {
        const seen: any[] = [];
        const timer = setTimeout(() => reject(new Error(`not finished: ${JSON.stringify(seen.at(-1)?.progress)}`)), 240_000);
        client.subscribe(
          { query: `subscription($id: ID!) { studyUpdated(id: $id) { ${STUDY_FIELDS} } }`, variables: { id: s.id } },
          { next: (v: any) => seen.push(v.data.studyUpdated), error: reject, complete: () => (clearTimeout(timer), resolve(seen)) },
        );
      });
      const last = events.at(-1);
      assert.equal(last.state, 'SUCCEEDED');
      assert.deepEqual(last.progress, { cellsDone: 6, cellsFailed: 0, cellsCancelled: 0, cellsTotal: 6, fraction: 1, etaSeconds: 0 });
      assert.equal(new Set(last.cells.map((c: any) => c.explanation.id)).size, 6);
      assert.ok(events.length >= 3, 'progress crossed Redis from the workers to the API node');
      // Its finishing step ran once, on a worker, before it showed SUCCEEDED: its predictions and the
      // report's comparisons are stored (3 images × 1 model; 1 pair of methods × 3 images).
      const raw = decodeGlobalID(s.id).id;
      const finished = new RegExp(`study ${raw}: predictions and comparisons stored`, 'g');
      await Promise.any(workers.map((w) => w.waitFor(new RegExp(finished.source), 10_000))); // its log line may trail the event
      assert.deepEqual([api, ...workers].map((p) => p.output().match(finished)?.length ?? 0).sort(), [0, 0, 1]);
      assert.equal(api.output().match(finished), null);
      const db = new pgClient.Client({ connectionString: pg!.url });
      await db.connect();
      try {
        const count = async (sql: string) => Number((await db.query(sql, [raw])).rows[0].n);
        assert.equal(await count(`SELECT count(*) AS n FROM "Prediction" WHERE "imageId" IN (SELECT "imageId" FROM "StudyImage" WHERE "studyId" = $1)`), 3);
        const cells = `SELECT "explanationId" FROM "StudyCell" WHERE "studyId" = $1`;
        assert.equal(await count(`SELECT count(*) AS n FROM "Agreement" WHERE "explanationAId" IN (${cells}) AND "explanationBId" IN (${cells})`), 3);
      } finally {
        await db.end();
      }
    } finally {
      await client.dispose();
    }
  });
});
