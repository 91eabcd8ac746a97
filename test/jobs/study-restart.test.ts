// A study survives kill -9 of the embedded service: after the restart the interrupted cell is run
// again, the cells never queued are queued, and every cell ends with exactly one explanation.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { CREATE_STUDY, STUDY } from '../api/operations.js';
import { spawnScript, type ServiceProcess } from '../support/processes.js';
import { tmpDir } from '../support/tmp.js';
import { gqlAt, waitUntil } from './support.js';

const running: ServiceProcess[] = [];
after(async () => Promise.all(running.map((p) => p.kill())));

async function startService(dataDir: string) {
  const p = spawnScript('src/main.ts', { XAI_DATA_DIR: dataDir, PORT: '0', XAI_JOB_CONCURRENCY: '1', XAI_STUDY_WINDOW: '2' });
  running.push(p);
  const [, url] = await p.waitFor(/listening on (http:\/\/[^\s]+)\/graphql/);
  return { p, url };
}

test('a study interrupted by kill -9 finishes after the restart with every cell done once', async () => {
  const dir = tmpDir('xai-study-restart-');
  const first = await startService(dir);
  const d = await gqlAt(first.url, `{ images(first: 3, filter: { format: "png" }) { edges { node { id } } } modelByName(name: "demo-shapes") { id } }`);
  const lime = (n: number) => ({ method: 'LIME', key: `lime-${n}`, parameters: { lime: { numSamples: 400 + n, batchSize: 10 } } });
  const created = await gqlAt(first.url, CREATE_STUDY, {
    input: { name: 'restart', seed: 2, images: d.images.edges.map((e: any) => e.node.id), models: [d.modelByName.id], methods: [lime(1), lime(2)] },
  });
  const id = created.createStudy.data.id;
  const cellCount = created.createStudy.data.cells.length;
  assert.equal(cellCount, 6);
  // Kill it with a cell done, one running and cells never queued.
  await waitUntil(async () => {
    const s = (await gqlAt(first.url, STUDY, { id })).study;
    return s.progress.cellsDone >= 1 && s.cells.some((c: any) => c.state === 'RUNNING') && s.cells.some((c: any) => c.state === 'PENDING');
  }, 120_000, 50);
  await first.p.kill('SIGKILL');

  const second = await startService(dir);
  const done = await waitUntil(async () => {
    const s = (await gqlAt(second.url, STUDY, { id })).study;
    return ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(s.state) && s;
  }, 240_000, 200);
  assert.equal(done.state, 'SUCCEEDED', JSON.stringify(done.cells.map((c: any) => c.state)));
  assert.deepEqual(done.progress, { cellsDone: 6, cellsFailed: 0, cellsCancelled: 0, cellsTotal: 6, fraction: 1, etaSeconds: 0 });
  const cellExplanations = done.cells.map((c: any) => c.explanation.id);
  assert.equal(new Set(cellExplanations).size, 6, 'six cells, six explanations');
  const filed = await gqlAt(second.url, `query($id: ID!) { study(id: $id) { explanations(first: 50) { edges { node { id status attempts } } } } }`, { id });
  const rows = filed.study.explanations.edges.map((e: any) => e.node);
  assert.deepEqual(rows.map((r: any) => r.id).sort(), [...cellExplanations].sort(), 'no cell was queued twice');
  assert.ok(rows.every((r: any) => r.status === 'SUCCEEDED'));
  assert.equal(rows.filter((r: any) => r.attempts === 2).length, 1, 'the interrupted cell ran again, the others once');
});
