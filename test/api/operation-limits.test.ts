// Issue 14, case 4: a refused operation (GraphQL Armor limits, syntax errors) is answered on its own,
// the same way over HTTP, SSE and websocket; the socket and its other subscriptions stay open.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RawWs, sseFirst } from '../support/auth.js';
import { startTestService, type TestService } from '../support/service.js';
import { REQUEST_EXPLANATION } from './operations.js';

const OVER_ALIASES = `subscription { ${Array.from({ length: 30 }, (_, i) => `a${i}: explanationsUpdated { id }`).join(' ')} }`;
const OVER_TOKENS = `subscription { explanationsUpdated { ${Array.from({ length: 2500 }, () => 'id').join(' ')} } }`;
const OVER_DEPTH = `subscription { explanationsUpdated { image { explanations { edges { node { image { explanations { edges { node { image { id } } } } } } } } } } }`;
const SYNTAX = 'subscription { explanationsUpdated { id ';

const REFUSED: [string, string, RegExp][] = [
  ['aliases', OVER_ALIASES, /alias/i],
  ['tokens', OVER_TOKENS, /token/i],
  ['depth', OVER_DEPTH, /depth/i],
  ['syntax', SYNTAX, /syntax/i],
];

describe('refused operations are answered one by one', () => {
  let svc: TestService;
  let explanationId: string;

  before(async () => {
    svc = await startTestService();
    const ids = (await svc.gql(`{ images(first: 1) { edges { node { id } } } models { edges { node { id } } } }`)).data;
    explanationId = (
      await svc.gql(REQUEST_EXPLANATION, { input: { image: ids.images.edges[0].node.id, model: ids.models.edges[0].node.id, method: 'LIME', seed: 3 } })
    ).data.requestExplanation.data.id;
  });
  after(async () => svc?.close());

  test('websocket: an error message for the offending operation; the socket and other subscriptions live on', async () => {
    const ws = await RawWs.connect(svc.url);
    ws.subscribe('live', `subscription($id: ID!) { explanationUpdated(id: $id) { id status } }`, { id: explanationId });
    const first = await ws.until((m) => m.id === 'live' && m.type === 'next');
    assert.equal(first.payload.data.explanationUpdated.status, 'QUEUED');
    for (const [name, query, pattern] of REFUSED) {
      ws.subscribe(name, query);
      const m = await ws.until((x) => x.id === name && (x.type === 'error' || x.type === 'next'));
      assert.equal(m.type, 'error', `${name}: ${JSON.stringify(m)}`);
      assert.ok(Array.isArray(m.payload) && m.payload.some((e: any) => pattern.test(e.message)), `${name}: ${JSON.stringify(m.payload)}`);
      assert.equal(ws.closed, null, `${name}: the socket stayed open`);
    }
    // The first subscription still delivers.
    await svc.gql(`mutation($id: ID!) { cancelExplanation(id: $id) { __typename } }`, { id: explanationId });
    const cancelled = await ws.until((m) => m.id === 'live' && m.type === 'next' && m.payload.data.explanationUpdated.status === 'CANCELLED');
    assert.equal(cancelled.payload.data.explanationUpdated.id, explanationId);
    ws.subscribe('after', '{ viewer { role } }');
    assert.equal((await ws.until((m) => m.id === 'after' && m.type === 'next')).payload.data.viewer.role, 'ADMIN');
    ws.close();
  });

  test('HTTP and SSE refuse the same operations with the same messages', async () => {
    for (const [name, query, pattern] of REFUSED) {
      const http = await svc.gql(query);
      assert.ok(http.errors?.some((e) => pattern.test(e.message)), `HTTP ${name}: ${JSON.stringify(http)}`);
      assert.equal(http.data, undefined);
      const sse = await sseFirst(`${svc.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      assert.match(sse.text, pattern, `SSE ${name}: ${sse.status} ${sse.text}`);
      assert.doesNotMatch(sse.text, /"data"\s*:\s*\{/, `SSE ${name} executed nothing`);
    }
  });
});
