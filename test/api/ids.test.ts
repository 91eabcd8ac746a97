// Issue 14, case 6: malformed and wrong-type global ids are typed INVALID_ARGUMENT errors naming the
// argument, with a capped message that never echoes a long id back; in mutations they are the
// InvalidArgumentError member of the result union.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { RawWs } from '../support/auth.js';
import { PREDICT } from './operations.js';
import { suiteService } from './suite-service.js';

describe('malformed and wrong-type ids', () => {
  const svc = suiteService({ demoImage: true });

  const raw = async (query: string, variables: object) => {
    const res = await fetch(`${svc.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const text = await res.text();
    return { text, body: JSON.parse(text) };
  };

  test('queries: INVALID_ARGUMENT with the argument named, whatever the id looks like', async () => {
    // As large as a request may be (XAI_MAX_REQUEST_BYTES, 1 MiB).
    const huge = 'A'.repeat(900_000);
    const hugeValid = encodeGlobalID('Image', 'x'.repeat(600_000));
    for (const id of ['%%%', 'bm90LWFuLWlk', '', huge, hugeValid]) {
      const { text, body } = await raw(`query($id: ID!) { image(id: $id) { id } }`, { id });
      const e = body.errors?.[0];
      assert.equal(e?.extensions?.code, 'INVALID_ARGUMENT', `${id.slice(0, 20)}: ${text.slice(0, 300)}`);
      assert.equal(e.extensions.field, 'id');
      assert.ok(e.message.length <= 300, `message of ${e.message.length} characters`);
      assert.ok(text.length < 2000, `a ${id.length}-character id gave a ${text.length}-byte response`);
    }
    const wrong = (await raw(`query($id: ID!) { image(id: $id) { id } }`, { id: svc.demo.model })).body.errors[0];
    assert.equal(wrong.extensions.code, 'INVALID_ARGUMENT');
    assert.match(wrong.message, /Model/);
    assert.match(wrong.message, /Image/);
  });

  test('node and nodes: INVALID_ARGUMENT naming the position', async () => {
    const node = (await raw(`query($id: ID!) { node(id: $id) { id } }`, { id: '%%%' })).body.errors[0];
    assert.equal(node.extensions.code, 'INVALID_ARGUMENT');
    const nodes = (await raw(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [svc.demo.image, '%%%'] })).body.errors[0];
    assert.equal(nodes.extensions.code, 'INVALID_ARGUMENT');
    assert.equal(nodes.extensions.field, 'ids.1');
    // Well-formed ids of any type are fine for node/nodes.
    const ok = await svc.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [svc.demo.image, svc.demo.model] });
    assert.deepEqual(ok.data.nodes.map((n: any) => n.id), [svc.demo.image, svc.demo.model]);
  });

  test('mutations: the InvalidArgumentError member of the union, naming the input field', async () => {
    const wrongType = await svc.gql(PREDICT, { input: { image: svc.demo.model, model: svc.demo.model } });
    assert.equal(wrongType.data.predict.__typename, 'InvalidArgumentError', JSON.stringify(wrongType));
    assert.equal(wrongType.data.predict.field, 'input.image');
    assert.match(wrongType.data.predict.message, /expected an Image/);
    const malformed = await svc.gql(PREDICT, { input: { image: svc.demo.image, model: 'Z'.repeat(100_000) } });
    assert.equal(malformed.data.predict.__typename, 'InvalidArgumentError');
    assert.equal(malformed.data.predict.field, 'input.model');
    assert.ok(malformed.data.predict.message.length <= 300);
    const cancel = await svc.gql(`mutation($id: ID!) { cancelExplanation(id: $id) { __typename ... on InvalidArgumentError { field message } } }`, { id: svc.demo.image });
    assert.equal(cancel.data.cancelExplanation.__typename, 'InvalidArgumentError');
    assert.equal(cancel.data.cancelExplanation.field, 'id');
  });

  test('subscriptions over websocket: INVALID_ARGUMENT for that operation', async () => {
    const ws = await RawWs.connect(svc.url);
    ws.subscribe('bad', `subscription($id: ID!) { explanationUpdated(id: $id) { id } }`, { id: '%%%' });
    const m = await ws.until((x) => x.id === 'bad' && (x.type === 'error' || x.type === 'next'));
    const errors = m.type === 'error' ? m.payload : m.payload.errors;
    assert.equal(errors[0].extensions?.code, 'INVALID_ARGUMENT', JSON.stringify(m));
    ws.close();
  });
});
