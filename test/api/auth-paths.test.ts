// Issue 14, case 1: with XAI_AUTH=required every GraphQL execution needs a key — GET, POST, SSE and
// websocket alike, in production (GraphiQL off) and development (GraphiQL on, a static page).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RawWs, sseFirst, startKeyedService, type KeyedService } from '../support/auth.js';

const QUERY = '{ viewer { role name open } images { edges { node { id url } } } }';

for (const nodeEnv of ['production', 'development']) {
  describe(`authentication on every path (NODE_ENV=${nodeEnv})`, () => {
    let k: KeyedService;
    let viewer: string;
    const graphiql = nodeEnv !== 'production';

    before(async () => {
      k = await startKeyedService({ env: { NODE_ENV: nodeEnv } });
      viewer = await k.key('VIEWER');
    });
    after(async () => k?.svc.close());

    const get = (query: string, accept: string, key?: string) =>
      fetch(`${k.svc.url}/graphql?query=${encodeURIComponent(query)}`, { headers: { accept, ...(key ? { authorization: `Bearer ${key}` } : {}) } });

    test('GET with an HTML Accept header executes nothing without a key', async () => {
      assert.equal(k.svc.app.config.graphiql, graphiql);
      const res = await get(QUERY, 'text/html, application/json');
      const body = await res.text();
      if (graphiql) {
        // GraphiQL is a static page: it renders, and it carries no data.
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /text\/html/);
        assert.doesNotMatch(body, /anonymous|"viewer"|"images"/);
      } else {
        assert.equal(res.status, 401, body);
        assert.equal(JSON.parse(body).errors[0].extensions.code, 'UNAUTHENTICATED');
      }
    });

    test('GET and POST without a key are refused with 401', async () => {
      const g = await get(QUERY, 'application/json');
      assert.equal(g.status, 401);
      assert.equal(((await g.json()) as any).errors[0].extensions.code, 'UNAUTHENTICATED');
      const p = await k.svc.gql(QUERY, {}, { key: null });
      assert.equal(p.status, 401);
      assert.equal(p.data, undefined);
    });

    test('SSE subscriptions without a key are refused (GET and POST)', async () => {
      const sub = 'subscription { explanationsUpdated { id } }';
      const viaGet = await sseFirst(`${k.svc.url}/graphql?query=${encodeURIComponent(sub)}`, {});
      assert.equal(viaGet.status, 401, viaGet.text);
      const viaHtmlGet = await sseFirst(`${k.svc.url}/graphql?query=${encodeURIComponent(sub)}`, { headers: { accept: 'text/event-stream, text/html' } });
      // Development answers with the GraphiQL page; neither mode may open the stream.
      assert.ok(!viaHtmlGet.type.includes('text/event-stream'), `an SSE stream opened with an HTML Accept header was served: ${viaHtmlGet.status} ${viaHtmlGet.text}`);
      assert.equal(viaHtmlGet.status, graphiql ? 200 : 401);
      const viaPost = await sseFirst(`${k.svc.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: sub }),
      });
      assert.equal(viaPost.status, 401, viaPost.text);
    });

    test('websocket without a key is closed with 4403; with a key it works', async () => {
      const anon = await RawWs.connect(k.svc.url).catch((e: Error) => e);
      assert.ok(anon instanceof Error);
      assert.match(anon.message, /closed \(4403 /);
      const ws = await RawWs.connect(k.svc.url, { authorization: `Bearer ${viewer}` });
      ws.subscribe('1', '{ viewer { role } }');
      const m = await ws.until((x) => x.id === '1' && x.type === 'next');
      assert.equal(m.payload.data.viewer.role, 'VIEWER');
      ws.close();
    });

    test('with a key, GET executes as that key', async () => {
      const res = await get('{ viewer { role open } }', 'application/json', viewer);
      assert.equal(res.status, 200);
      assert.deepEqual(((await res.json()) as any).data.viewer, { role: 'VIEWER', open: false });
    });
  });
}
