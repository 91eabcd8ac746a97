// Restart recovery with real processes: kill -9 the embedded service during a run, start it again.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { spawnScript, type ServiceProcess } from '../support/processes.js';
import { tmpDir } from '../support/tmp.js';
import { EXPLANATION_FIELDS, gqlAt, waitUntil } from './support.js';
import { REQUEST_EXPLANATION } from '../api/operations.js';

const running: ServiceProcess[] = [];
after(async () => Promise.all(running.map((p) => p.kill())));

async function startService(dataDir: string, env: Record<string, string> = {}) {
  const p = spawnScript('src/main.ts', { XAI_DATA_DIR: dataDir, PORT: '0', XAI_JOB_CONCURRENCY: '1', ...env });
  running.push(p);
  const [, url] = await p.waitFor(/listening on (http:\/\/[^\s]+)\/graphql/);
  return { p, url };
}

async function startLongJob(url: string) {
  const d = await gqlAt(url, `{ images(first: 1, filter: { format: "png" }) { edges { node { id } } } models { edges { node { id } } } }`);
  const r = await gqlAt(url, REQUEST_EXPLANATION, {
    input: { image: d.images.edges[0].node.id, model: d.models.edges[0].node.id, method: 'LIME', seed: 5, parameters: { lime: { numSamples: 3000, batchSize: 10 } } },
  });
  const id = r.requestExplanation.data.id;
  await waitUntil(async () => {
    const e = (await gqlAt(url, `query($id: ID!) { explanation(id: $id) { status samplesDone } }`, { id })).explanation;
    return e.status === 'RUNNING' && e.samplesDone > 0;
  });
  return id;
}

const getExplanation = async (url: string, id: string) =>
  (await gqlAt(url, `query($id: ID!) { explanation(id: $id) { ${EXPLANATION_FIELDS} } }`, { id })).explanation;

test('a job interrupted by kill -9 is queued again at restart and finishes', async () => {
  const dir = tmpDir('xai-restart-');
  const first = await startService(dir);
  const id = await startLongJob(first.url);
  await first.p.kill('SIGKILL');

  const second = await startService(dir);
  await second.p.waitFor(/1 interrupted job\(s\) queued again/);
  const done = await waitUntil(async () => {
    const e = await getExplanation(second.url, id);
    return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(e.status) && e;
  }, 120_000);
  assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
  assert.equal(done.attempts, 2);
  assert.ok(done.artifacts.length > 0);
});

test('a job that used up its attempts is failed at restart, never left RUNNING', async () => {
  const dir = tmpDir('xai-restart-');
  const env = { XAI_JOB_MAX_ATTEMPTS: '1' };
  const first = await startService(dir, env);
  const id = await startLongJob(first.url);
  await first.p.kill('SIGKILL');
  const second = await startService(dir, env);
  const e = await getExplanation(second.url, id);
  assert.equal(e.status, 'FAILED');
  assert.equal(e.error.code, 'ATTEMPTS_EXHAUSTED');
});
