// Issue 14, case 10: explanations record who created them; only the creator or an admin may cancel,
// retry or delete them (reading stays lab-wide); per-key quotas on queued jobs and on requests per
// minute answer RATE_LIMITED with a Retry-After.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RawWs, sseFirst, startKeyedService, type KeyedService } from '../support/auth.js';
import { CREATE_STUDY, REQUEST_EXPLANATION, STUDY } from './operations.js';
import { demoIds, suiteService, type DemoIds } from './suite-service.js';

const RESULT = `__typename ... on Error { code message }`;
const CANCEL = `mutation($id: ID!) { cancelExplanation(id: $id) { ${RESULT} ... on CancelExplanationSuccess { data { status } } } }`;
const RETRY = `mutation($id: ID!) { retryExplanation(id: $id) { ${RESULT} ... on RateLimitedError { retryAfterSeconds } ... on RetryExplanationSuccess { data { status } } } }`;
const DELETE = `mutation($id: ID!) { deleteExplanation(id: $id) { ${RESULT} ... on DeleteExplanationSuccess { data } } }`;
const READ = `query($id: ID!) { explanation(id: $id) { id status createdBy } viewer { id } }`;

/** A keyed service with two researchers and an admin, and the demo ids as alice reads them. */
function aliceBobAndAdmin() {
  const users = {} as { k: KeyedService; alice: string; bob: string; admin: string; input: DemoIds };
  before(async () => {
    users.k = await startKeyedService();
    [users.alice, users.bob, users.admin] = [await users.k.key('RESEARCHER', 'alice'), await users.k.key('RESEARCHER', 'bob'), await users.k.key('ADMIN', 'boss')];
    users.input = await demoIds(users.k.svc, undefined, users.alice);
  });
  after(async () => users.k?.svc.close());
  return users;
}

describe('ownership of explanations', () => {
  const users = aliceBobAndAdmin();
  let seed = 1;

  const request = async (key: string) => {
    const r = await users.k.svc.gql(REQUEST_EXPLANATION, { input: { ...users.input, method: 'GRAD_CAM', seed: seed++ } }, { key });
    assert.ok(r.data?.requestExplanation?.data, JSON.stringify(r));
    return r.data.requestExplanation.data.id as string;
  };
  const call = async (doc: string, id: string, key: string) => {
    const r = await users.k.svc.gql(doc, { id }, { key });
    assert.ok(r.data, JSON.stringify(r));
    return Object.values(r.data)[0] as any;
  };

  test('the creator is recorded and readable by everyone', async () => {
    const id = await request(users.alice);
    const asBob = (await users.k.svc.gql(READ, { id }, { key: users.bob })).data;
    const asAlice = (await users.k.svc.gql(READ, { id }, { key: users.alice })).data;
    assert.equal(asBob.explanation.createdBy, asAlice.viewer.id);
    assert.notEqual(asBob.viewer.id, asAlice.viewer.id);
  });

  test('another researcher may not cancel, retry or delete; the creator and admins may', async () => {
    const id = await request(users.alice);
    for (const doc of [CANCEL, DELETE]) {
      const r = await call(doc, id, users.bob);
      assert.equal(r.__typename, 'ForbiddenError', JSON.stringify(r));
      assert.equal(r.code, 'FORBIDDEN');
    }
    assert.equal((await users.k.svc.gql(READ, { id }, { key: users.bob })).data.explanation.status, 'QUEUED', 'untouched');
    assert.equal((await call(CANCEL, id, users.alice)).data.status, 'CANCELLED');
    assert.equal((await call(RETRY, id, users.bob)).__typename, 'ForbiddenError');
    assert.equal((await call(RETRY, id, users.admin)).data.status, 'QUEUED', 'admins may');
    assert.equal((await call(DELETE, id, users.alice)).__typename, 'InvalidArgumentError', 'a queued job is cancelled before it is deleted');
    assert.equal((await call(CANCEL, id, users.admin)).data.status, 'CANCELLED');
    assert.equal((await call(DELETE, id, users.bob)).__typename, 'ForbiddenError');
    assert.equal((await call(DELETE, id, users.alice)).data, id);
    assert.equal((await users.k.svc.gql(READ, { id }, { key: users.bob })).data.explanation, null, 'deleted');
  });
});

describe('open mode', () => {
  const svc = suiteService({ demoImage: true });

  test('the local user is the documented identity "local", and owns what it creates', async () => {
    const r = await svc.gql(REQUEST_EXPLANATION, { input: { ...svc.demo, method: 'GRAD_CAM', seed: 77 } });
    const id = r.data.requestExplanation.data.id;
    const read = (await svc.gql(READ, { id })).data;
    assert.equal(read.explanation.createdBy, 'local');
    assert.equal(read.viewer.id, 'local');
    assert.equal((await svc.gql(CANCEL, { id })).data.cancelExplanation.data.status, 'CANCELLED');
  });
});

describe('quotas', () => {
  let k: KeyedService;
  before(async () => {
    k = await startKeyedService({ env: { XAI_QUOTA_QUEUED_JOBS: '3', XAI_QUOTA_REQUESTS_PER_MINUTE: '40' } });
  });
  after(async () => k?.svc.close());

  test('queued jobs per key: RATE_LIMITED with Retry-After beyond the limit; identical requests and other keys are not counted', async () => {
    const carol = await k.key('RESEARCHER', 'carol');
    const dave = await k.key('RESEARCHER', 'dave');
    const input = await demoIds(k.svc, undefined, carol);
    const req = (key: string, seed: number) =>
      fetch(`${k.svc.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: REQUEST_EXPLANATION.replace('__typename', `__typename ... on RateLimitedError { retryAfterSeconds }`), variables: { input: { ...input, method: 'GRAD_CAM', seed } } }),
      });
    const queued: string[] = [];
    for (const seed of [1, 2, 3]) queued.push(((await (await req(carol, seed)).json()) as any).data.requestExplanation.data.id);
    const again = (await (await req(carol, 1)).json()) as any;
    assert.equal(again.data.requestExplanation.data.id, queued[0], 'an identical request returns the queued job');
    const res = await req(carol, 4);
    const refused = ((await res.json()) as any).data.requestExplanation;
    assert.equal(refused.__typename, 'RateLimitedError', JSON.stringify(refused));
    assert.equal(refused.code, 'RATE_LIMITED');
    assert.ok(refused.retryAfterSeconds > 0);
    assert.equal(res.headers.get('retry-after'), String(refused.retryAfterSeconds));
    assert.equal(await k.svc.app.prisma.explanation.count({ where: { seed: 4 } }), 0, 'nothing was queued');
    assert.ok(((await (await req(dave, 4)).json()) as any).data.requestExplanation.data, 'another key has its own quota');
    await k.svc.gql(CANCEL, { id: queued[1] }, { key: carol });
    assert.ok(((await (await req(carol, 5)).json()) as any).data.requestExplanation.data, 'a cancelled job frees its place');
    const retry = (await k.svc.gql(RETRY, { id: queued[1] }, { key: carol })).data.retryExplanation;
    assert.equal(retry.code, 'RATE_LIMITED', 'retrying counts as queueing');
  });

  test('requests per minute per key: HTTP 429 with Retry-After, also over SSE and websocket', async () => {
    const erin = await k.key('VIEWER', 'erin');
    const frank = await k.key('VIEWER', 'frank');
    const ws = await RawWs.connect(k.svc.url, { authorization: `Bearer ${erin}` });
    let last: Response | null = null;
    for (let i = 0; i < 41 && (!last || last.status === 200); i++) {
      last = await fetch(`${k.svc.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${erin}` }, body: '{"query":"{ viewer { role } }"}' });
    }
    assert.equal(last!.status, 429);
    assert.ok(Number(last!.headers.get('retry-after')) >= 1);
    assert.equal(((await last!.json()) as any).errors[0].extensions.code, 'RATE_LIMITED');
    const sse = await sseFirst(`${k.svc.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${erin}` }, body: JSON.stringify({ query: 'subscription { explanationsUpdated { id } }' }) });
    assert.equal(sse.status, 429);
    ws.subscribe('q', '{ viewer { role } }');
    const m = await ws.until((x) => x.id === 'q' && (x.type === 'error' || x.type === 'next'));
    assert.equal(m.type, 'error');
    assert.equal(m.payload[0].extensions.code, 'RATE_LIMITED');
    assert.equal(ws.closed, null, 'the socket stays open');
    ws.close();
    const other = await k.svc.gql('{ viewer { role } }', {}, { key: frank });
    assert.equal(other.data.viewer.role, 'VIEWER', 'other keys are not limited');
  });
});

describe('ownership of studies', () => {
  const users = aliceBobAndAdmin();

  const CANCEL_STUDY = `mutation($id: ID!) { cancelStudy(id: $id) { ${RESULT} ... on CancelStudySuccess { data { state } } } }`;
  const RETRY_STUDY = `mutation($id: ID!) { retryStudy(id: $id) { ${RESULT} ... on RetryStudySuccess { data { state } } } }`;
  const DELETE_STUDY = `mutation($id: ID!) { deleteStudy(id: $id) { ${RESULT} ... on DeleteStudySuccess { data } } }`;
  const call = async (doc: string, id: string, key: string) => Object.values((await users.k.svc.gql(doc, { id }, { key })).data)[0] as any;
  const create = async (key: string, name: string) => {
    const r = await users.k.svc.gql(CREATE_STUDY, { input: { name, images: [users.input.image], models: [users.input.model], methods: [{ method: 'GRAD_CAM' }, { method: 'EIGEN_CAM' }] } }, { key });
    assert.ok(r.data?.createStudy?.data, JSON.stringify(r));
    return r.data.createStudy.data;
  };

  test('a study records its creator; its cells are the creator’s; only the creator or an users.admin may change it', async () => {
    const s = await create(users.alice, 'users.alice’s');
    const viewerId = (await users.k.svc.gql('{ viewer { id } }', {}, { key: users.alice })).data.viewer.id;
    assert.equal(s.createdBy, viewerId);
    assert.ok(s.cells.every((c: any) => c.explanation === null || c.explanation.createdBy === viewerId));
    const asBob = (await users.k.svc.gql(STUDY, { id: s.id }, { key: users.bob })).data.study;
    assert.equal(asBob.name, 'users.alice’s', 'reading stays lab-wide');

    for (const doc of [CANCEL_STUDY, DELETE_STUDY]) assert.equal((await call(doc, s.id, users.bob)).__typename, 'ForbiddenError');
    const filed = await users.k.svc.gql(REQUEST_EXPLANATION, { input: { ...users.input, method: 'SALIENCY', study: s.id } }, { key: users.bob });
    assert.equal(filed.data.requestExplanation.__typename, 'ForbiddenError', 'nobody else files explanations under it');
    assert.equal((await call(CANCEL_STUDY, s.id, users.alice)).data.state, 'CANCELLED');
    assert.equal((await call(RETRY_STUDY, s.id, users.bob)).__typename, 'ForbiddenError');
    assert.equal((await call(RETRY_STUDY, s.id, users.admin)).data.state, 'QUEUED', 'admins may');
    assert.equal((await call(DELETE_STUDY, s.id, users.alice)).code, 'INVALID_ARGUMENT', 'a queued study is cancelled before it is deleted');
    assert.equal((await call(CANCEL_STUDY, s.id, users.admin)).data.state, 'CANCELLED');
    assert.equal((await call(DELETE_STUDY, s.id, users.bob)).__typename, 'ForbiddenError');
    assert.equal((await call(DELETE_STUDY, s.id, users.alice)).data, s.id);
    assert.equal((await users.k.svc.gql(STUDY, { id: s.id }, { key: users.bob })).data.study, null);
  });

  test('viewers may read studies but not create them', async () => {
    const viewer = await users.k.key('VIEWER', 'vic');
    const r = await users.k.svc.gql(CREATE_STUDY, { input: { name: 'v', images: [users.input.image], models: [users.input.model], methods: [{ method: 'GRAD_CAM' }] } }, { key: viewer });
    assert.equal(r.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.ok((await users.k.svc.gql('{ studies { edges { node { id } } } }', {}, { key: viewer })).data.studies);
  });
});
