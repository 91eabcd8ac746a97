// Requests an explanation, follows its progress over the websocket subscription to the end and reads
// the stored result with the caller's query: what the issue-15 API tests assert on.
import assert from 'node:assert/strict';
import { REQUEST_EXPLANATION } from './operations.js';
import type { SuiteService } from './suite-service.js';
import { watch, wsClient } from '../jobs/support.js';

export async function explainAndWatch(svc: SuiteService, input: object, resultQuery: string): Promise<{ e: any; events: any[] }> {
  const r = await svc.gql(REQUEST_EXPLANATION, { input });
  const id = r.data.requestExplanation.data?.id;
  assert.ok(id, JSON.stringify(r));
  const client = wsClient(svc.url);
  const events = await watch(client, id).done;
  await client.dispose();
  const e = (await svc.gql(resultQuery, { id })).data.explanation;
  assert.equal(e.status, 'SUCCEEDED', JSON.stringify(e));
  return { e, events };
}
