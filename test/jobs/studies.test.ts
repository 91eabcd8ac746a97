// Studies on the real stack: one mutation creates the cells and queues them a window at a time, the
// studyUpdated subscription streams weighted progress to the end, identical cells are reused, cancel
// and retry, ownership, and a large study does not starve another user's single request.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CREATE_STUDY, STUDY, STUDY_FIELDS } from '../api/operations.js';
import { startKeyedService, type KeyedService } from '../support/auth.js';
import { startTestService, type TestService } from '../support/service.js';
import { REQUEST_EXPLANATION } from '../api/operations.js';
import { waitUntil, wsClient } from './support.js';

const CANCEL = `mutation($id: ID!) { cancelStudy(id: $id) { __typename ... on CancelStudySuccess { data { id state } } ... on Error { code message } } }`;
const RETRY = `mutation($id: ID!) { retryStudy(id: $id) { __typename ... on RetryStudySuccess { data { id state } } ... on Error { code message } } }`;
const DELETE = `mutation($id: ID!) { deleteStudy(id: $id) { __typename ... on DeleteStudySuccess { data } ... on Error { code message } } }`;

/** Every studyUpdated event until the stream completes. */
function watchStudy(url: string, id: string, o: { key?: string; timeoutMs?: number } = {}): Promise<any[]> {
  const client = wsClient(url, o.key);
  const events: any[] = [];
  return new Promise<any[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`study ${id} did not finish: ${JSON.stringify(events.at(-1)?.progress)}`)), o.timeoutMs ?? 180_000);
    client.subscribe(
      { query: `subscription($id: ID!) { studyUpdated(id: $id) { ${STUDY_FIELDS} } }`, variables: { id } },
      {
        next: (v: any) => (v.data?.studyUpdated ? events.push(v.data.studyUpdated) : reject(new Error(JSON.stringify(v)))),
        error: (e) => reject(e),
        complete: () => {
          clearTimeout(timer);
          void client.dispose();
          resolve(events);
        },
      },
    );
  });
}

describe('studies', () => {
  let svc: TestService;
  let images: string[];
  let model: string;
  const create = async (input: Record<string, unknown>) => {
    const r = await svc.gql(CREATE_STUDY, { input: { images, models: [model], ...input } });
    return r.data.createStudy;
  };
  const study = async (id: string) => (await svc.gql(STUDY, { id })).data.study;

  before(async () => {
    svc = await startTestService({ jobs: true, env: { XAI_JOB_CONCURRENCY: '1', XAI_STUDY_WINDOW: '2' } });
    const d = (await svc.gql(`{ images(filter: { format: "png" }) { edges { node { id originalName } } } modelByName(name: "demo-shapes") { id } }`)).data;
    images = d.images.edges.map((e: any) => e.node.id).slice(0, 2);
    model = d.modelByName.id;
  });
  after(async () => svc?.close());

  test('one mutation runs every cell; the subscription shows weighted progress to SUCCEEDED', async () => {
    const created = await create({
      name: 'grid',
      description: 'two photos, three methods',
      seed: 3,
      methods: [
        { method: 'GRAD_CAM' },
        { method: 'LIME', label: 'LIME 5', parameters: { lime: { numSamples: 60, batchSize: 20, numFeatures: 5 } } },
        { method: 'LIME', label: 'LIME 10', parameters: { lime: { numSamples: 60, batchSize: 20, numFeatures: 10 } } },
      ],
      groundTruth: [{ image: images[0], synset: 'n02010272', label: 'crane' }],
    });
    const s = created.data;
    assert.ok(s, JSON.stringify(created));
    assert.equal(s.name, 'grid');
    assert.equal(s.createdBy, 'local');
    assert.deepEqual(s.methods.map((m: any) => [m.key, m.method, m.label]), [['grad-cam', 'GRAD_CAM', 'grad-cam'], ['lime', 'LIME', 'LIME 5'], ['lime-2', 'LIME', 'LIME 10']]);
    assert.deepEqual(s.images.map((i: any) => i.groundTruth), [{ synset: 'n02010272', label: 'crane' }, null]);
    assert.equal(s.cells.length, 6);
    // The window: at most two cells in the queue at once, the rest wait.
    assert.ok(s.cells.filter((c: any) => c.state !== 'PENDING').length <= 2, JSON.stringify(s.cells.map((c: any) => c.state)));
    const lime = s.cells.find((c: any) => c.methodKey === 'lime');
    const cam = s.cells.find((c: any) => c.methodKey === 'grad-cam');
    assert.ok(lime.weight > 10 * cam.weight, 'a LIME cell weighs far more than a Grad-CAM cell');

    const events = await watchStudy(svc.url, s.id);
    const last = events.at(-1);
    assert.equal(last.state, 'SUCCEEDED', JSON.stringify(last.progress));
    assert.deepEqual(last.progress, { cellsDone: 6, cellsFailed: 0, cellsCancelled: 0, cellsTotal: 6, fraction: 1, etaSeconds: 0 });
    const fractions = events.map((e) => e.progress.fraction);
    assert.deepEqual(fractions, [...fractions].sort((a, b) => a - b), 'progress never goes back');
    assert.ok(events.some((e) => e.progress.fraction > 0 && e.progress.fraction < 1), 'intermediate progress was streamed');
    for (const c of last.cells) {
      assert.equal(c.state, 'SUCCEEDED');
      assert.equal(c.explanation.study.id, s.id);
      assert.equal(c.explanation.createdBy, 'local');
    }
    // Each cell is an ordinary explanation: listed under the study, with the study's seed.
    const listed = (await svc.gql(`query($s: ID) { explanations(first: 50, filter: { study: $s }) { edges { node { id seed } } } }`, { s: s.id })).data.explanations.edges;
    assert.equal(listed.length, 6);
    assert.ok(listed.every((e: any) => e.node.seed === 3));

    // An identical study reuses every cell: finished at once, no new explanation.
    const again = (await create({ name: 'grid again', seed: 3, methods: [{ method: 'GRAD_CAM' }, { method: 'LIME', parameters: { lime: { numSamples: 60, batchSize: 20, numFeatures: 5 } } }] })).data;
    assert.equal(again.state, 'SUCCEEDED');
    const byKey = new Map(last.cells.map((c: any) => [`${c.image.id}|${c.methodKey}`, c.explanation.id]));
    for (const c of again.cells) assert.equal(c.explanation.id, byKey.get(`${c.image.id}|${c.methodKey}`));
    assert.equal((await study(s.id)).state, 'SUCCEEDED');
  });

  test('the CAM cells of one image and model run as one job, each result the same as its method run alone', async () => {
    const cams = ['GRAD_CAM', 'GRAD_CAM_PLUS_PLUS', 'XGRAD_CAM', 'HIRES_CAM', 'LAYER_CAM'];
    const s = (await create({ name: 'cam group', seed: 21, images: [images[1]], methods: [...cams.map((method) => ({ method })), { method: 'EIGEN_CAM' }] })).data;
    assert.ok(s.cells.every((c: any) => c.state !== 'PENDING'), 'the CAM cells of one image and model are queued together, beyond the window');
    const done = await waitUntil(async () => {
      const x = await study(s.id);
      return x.state === 'SUCCEEDED' && x;
    }, 120_000);
    const results = await Promise.all(
      done.cells.map(async (c: any) => (await svc.gql(`query($id: ID!) { explanation(id: $id) { method result artifacts { name url } } }`, { id: c.explanation.id })).data.explanation),
    );
    for (const r of results) assert.deepEqual([...r.result.sharedWith].sort(), [...cams, 'EIGEN_CAM'].sort(), `${r.method} was computed in the group's one pass`);
    // Alone (force: a new run), Grad-CAM++ gives the same files.
    const alone = await svc.gql(REQUEST_EXPLANATION, { input: { image: images[1], model, method: 'GRAD_CAM_PLUS_PLUS', seed: 21, force: true } });
    const id = alone.data.requestExplanation.data.id;
    const single = await waitUntil(async () => {
      const e = (await svc.gql(`query($id: ID!) { explanation(id: $id) { status result artifacts { name url } } }`, { id })).data.explanation;
      return e.status === 'SUCCEEDED' && e;
    }, 60_000);
    assert.equal(single.result.sharedWith, undefined);
    const grouped = results.find((r: any) => r.method === 'GRAD_CAM_PLUS_PLUS');
    const bytes = async (url: string) => Buffer.from(await (await fetch(svc.url + url)).arrayBuffer());
    assert.deepEqual(grouped.artifacts.map((a: any) => a.name), single.artifacts.map((a: any) => a.name));
    for (const [k, a] of grouped.artifacts.entries()) assert.ok((await bytes(a.url)).equals(await bytes(single.artifacts[k].url)), a.name);
  });

  test('bad input refuses the whole study with a typed error and stores nothing', async () => {
    const before = await svc.app.prisma.study.count();
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '', methods: [{ method: 'GRAD_CAM' }] }, 'input.name'],
      [{ name: 'x', methods: [] }, 'input.methods'],
      [{ name: 'x', images: [], methods: [{ method: 'GRAD_CAM' }] }, 'input.images'],
      [{ name: 'x', methods: [{ method: 'GRAD_CAM', parameters: { cam: { targetLayer: 'nope' } } }] }, 'input.methods.0.parameters.cam.targetLayer'],
      [{ name: 'x', methods: [{ method: 'LIME', key: 'a' }, { method: 'GRAD_CAM', key: 'a' }] }, 'input.methods.1.key'],
      [{ name: 'x', methods: [{ method: 'LIME', target: { topK: 0 } }] }, 'input.methods.0.target.topK'],
    ];
    for (const [input, field] of cases) {
      const r = await create(input);
      assert.equal(r.__typename, 'InvalidArgumentError', JSON.stringify(r));
      assert.equal(r.field, field);
    }
    const dup = await svc.gql(CREATE_STUDY, { input: { name: 'x', images: [images[0], images[0]], models: [model], methods: [{ method: 'GRAD_CAM' }] } });
    assert.equal(dup.data.createStudy.field, 'input.images.1');
    assert.equal(await svc.app.prisma.study.count(), before);
  });

  test('cancel stops the study and its queued cells; retry runs what is left; delete keeps the explanations', async () => {
    const s = (await create({ name: 'to cancel', seed: 11, methods: [{ method: 'LIME', parameters: { lime: { numSamples: 2000, batchSize: 10 } } }, { method: 'EIGEN_CAM' }] })).data;
    const cancelled = (await svc.gql(CANCEL, { id: s.id })).data.cancelStudy.data;
    assert.equal(cancelled.state, 'CANCELLED');
    const after = await study(s.id);
    assert.ok(after.cells.every((c: any) => c.state === 'PENDING' || c.state === 'CANCELLED' || c.state === 'SUCCEEDED'), JSON.stringify(after.cells.map((c: any) => c.state)));
    assert.ok(after.cells.some((c: any) => c.state === 'PENDING'), 'cells beyond the window were never queued');
    // Cancelled cells are not done work: not counted as done, none of their weight in the fraction.
    const count = (state: string) => after.cells.filter((c: any) => c.state === state).length;
    const weightOf = (cells: any[]) => cells.reduce((a: number, c: any) => a + c.weight, 0);
    assert.ok(count('CANCELLED') >= 1, JSON.stringify(after.cells.map((c: any) => c.state)));
    assert.equal(after.progress.cellsCancelled, count('CANCELLED'));
    assert.equal(after.progress.cellsDone, count('SUCCEEDED'));
    assert.ok(Math.abs(after.progress.fraction - weightOf(after.cells.filter((c: any) => c.state === 'SUCCEEDED')) / weightOf(after.cells)) < 1e-12, JSON.stringify(after.progress));
    assert.ok(after.progress.fraction < 1);
    const deleteRunning = await svc.gql(DELETE, { id: s.id });
    assert.equal(deleteRunning.data.deleteStudy.__typename, 'DeleteStudySuccess');
    assert.equal(await study(s.id), null);

    const t = (await create({ name: 'to retry', seed: 12, methods: [{ method: 'LIME', parameters: { lime: { numSamples: 80, batchSize: 20 } } }] })).data;
    await svc.gql(CANCEL, { id: t.id });
    const notYet = (await svc.gql(RETRY, { id: s.id })).data.retryStudy;
    assert.equal(notYet.code, 'NOT_FOUND');
    const retried = (await svc.gql(RETRY, { id: t.id })).data.retryStudy.data;
    assert.notEqual(retried.state, 'CANCELLED');
    const done = await waitUntil(async () => {
      const x = await study(t.id);
      return x.state === 'SUCCEEDED' && x;
    }, 120_000);
    assert.ok(done.cells.every((c: any) => c.state === 'SUCCEEDED'));
    const again = (await svc.gql(RETRY, { id: t.id })).data.retryStudy;
    assert.equal(again.code, 'INVALID_ARGUMENT');
  });
});

describe('a large study does not starve single requests', () => {
  let k: KeyedService;
  after(async () => k?.svc.close());

  test("another user's single request runs before the study's remaining cells", async () => {
    k = await startKeyedService({ jobs: true, env: { XAI_JOB_CONCURRENCY: '1', XAI_STUDY_WINDOW: '2' } });
    const [alice, bob] = [await k.key('RESEARCHER', 'alice'), await k.key('RESEARCHER', 'bob')];
    const d = (await k.svc.gql(`{ images(first: 4, filter: { format: "png" }) { edges { node { id } } } modelByName(name: "demo-shapes") { id } }`, {}, { key: alice })).data;
    const images = d.images.edges.map((e: any) => e.node.id);
    const methods = [1, 2, 3].map((n) => ({ method: 'LIME', key: `lime-${n}`, parameters: { lime: { numSamples: 100 + n, batchSize: 20 } } }));
    const created = await k.svc.gql(CREATE_STUDY, { input: { name: 'large', seed: 1, images, models: [d.modelByName.id], methods } }, { key: alice });
    const s = created.data.createStudy.data;
    assert.equal(s.cells.length, images.length * 3);
    const single = await k.svc.gql(REQUEST_EXPLANATION, { input: { image: images[0], model: d.modelByName.id, method: 'GRAD_CAM', seed: 99 } }, { key: bob });
    const bobsId = single.data.requestExplanation.data.id;
    // Order of claims, read from the stored start times (no timing assertion: the queue order decides).
    const finished = await waitUntil(async () => {
      const x = (await k.svc.gql(STUDY, { id: s.id }, { key: bob })).data.study;
      return x.state === 'SUCCEEDED' && x;
    }, 240_000, 200);
    const started = async (id: string) =>
      new Date((await k.svc.gql(`query($id: ID!) { explanation(id: $id) { startedAt } }`, { id }, { key: bob })).data.explanation.startedAt).getTime();
    const bobStarted = await started(bobsId);
    const cellStarts = await Promise.all(finished.cells.map((c: any) => started(c.explanation.id)));
    const before = cellStarts.filter((t) => t < bobStarted).length;
    assert.ok(before <= 2, `${before} of the study's cells ran before the single request (window 2)`);
    assert.ok(cellStarts.filter((t) => t > bobStarted).length >= finished.cells.length - 2);
  });
});

describe("a study keeps to its creator's queued-jobs quota", () => {
  let k: KeyedService;
  after(async () => k?.svc.close());

  test('the window never queues more than the quota has left, and a study larger than the quota still finishes', async () => {
    // Window 4 over quota 2: the quota is the tighter limit.
    k = await startKeyedService({ jobs: true, env: { XAI_JOB_CONCURRENCY: '1', XAI_STUDY_WINDOW: '4', XAI_QUOTA_QUEUED_JOBS: '2' } });
    const alice = await k.key('RESEARCHER', 'alice');
    const d = (await k.svc.gql(`{ images(first: 3, filter: { format: "png" }) { edges { node { id } } } modelByName(name: "demo-shapes") { id } }`, {}, { key: alice })).data;
    const images = d.images.edges.map((e: any) => e.node.id);
    const methods = [1, 2].map((n) => ({ method: 'LIME', key: `lime-${n}`, parameters: { lime: { numSamples: 60 + n, batchSize: 20 } } }));
    const created = await k.svc.gql(CREATE_STUDY, { input: { name: 'over quota', seed: 5, images, models: [d.modelByName.id], methods } }, { key: alice });
    const s = created.data.createStudy.data;
    assert.ok(s, JSON.stringify(created.data.createStudy));
    assert.equal(s.cells.length, images.length * 2);
    const inQueue = (cells: any[]) => cells.filter((c) => c.state === 'QUEUED' || c.state === 'RUNNING').length;
    assert.ok(s.cells.filter((c: any) => c.state !== 'PENDING').length <= 2, `queued at creation: ${JSON.stringify(s.cells.map((c: any) => c.state))}`);

    const events = await watchStudy(k.svc.url, s.id, { key: alice });
    assert.equal(events.at(-1).state, 'SUCCEEDED', JSON.stringify(events.at(-1).progress));
    for (const e of events) assert.ok(inQueue(e.cells) <= 2, `queued or running: ${JSON.stringify(e.cells.map((c: any) => c.state))}`);
    assert.ok(events.some((e) => inQueue(e.cells) === 2), 'the quota was used');
    const filed = (await k.svc.gql(`query($s: ID) { explanations(first: 50, filter: { study: $s }) { edges { node { id } } } }`, { s: s.id }, { key: alice })).data.explanations.edges;
    assert.deepEqual(filed.map((e: any) => e.node.id).sort(), events.at(-1).cells.map((c: any) => c.explanation.id).sort(), 'every cell ran once');
  });
});
