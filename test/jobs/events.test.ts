// The change feed with many subscribers per topic: in-process, and across two "nodes" sharing a real
// redis-server. No MaxListenersExceededWarning, one Redis SUBSCRIBE per topic per node, and leaving
// subscribers really unsubscribe.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { createEvents, reviveExplanation } from '../../src/events.js';
import type { Explanation } from '../../src/generated/sqlite/client.js';
import { REDIS_SKIP, startRedis, type TestRedis } from '../support/redis.js';
import { waitUntil } from './support.js';

const N = 1000;

function explanation(id: string): Explanation {
  const at = new Date('2026-01-02T03:04:05.678Z');
  return { id, status: 'RUNNING', createdAt: at, updatedAt: at, startedAt: at, queuedAt: at, finishedAt: null } as unknown as Explanation;
}

/** Collects process warnings; they are emitted on a later tick, so read them after one. */
function warnings() {
  const seen: Error[] = [];
  const on = (w: Error) => seen.push(w);
  process.on('warning', on);
  return {
    async get() {
      await new Promise((r) => setTimeout(r, 50));
      return seen.map((w) => `${w.name}: ${w.message}`);
    },
    stop: () => process.off('warning', on),
  };
}

/** Starts `n` subscriptions (a Repeater subscribes on its first next()); resolves with their first values. */
function subscribeMany(events: ReturnType<typeof createEvents>, id: string, n: number) {
  const its = Array.from({ length: n }, () => events.pubsub.subscribe('explanation', id)[Symbol.asyncIterator]());
  return { its, first: Promise.all(its.map((it) => it.next())) };
}

test('the warning probe sees a MaxListenersExceededWarning (control for the tests below)', async () => {
  const w = warnings();
  const e = new EventEmitter();
  for (let i = 0; i < 11; i++) e.on('x', () => {});
  const seen = await w.get();
  w.stop();
  assert.ok(seen.some((s) => s.startsWith('MaxListenersExceededWarning')), String(seen));
});

test(`in-process: ${N} subscribers on one explanation get the event, no warning`, async () => {
  const w = warnings();
  const events = createEvents();
  const { its, first } = subscribeMany(events, 'job-1', N);
  events.explanationChanged(explanation('job-1'));
  const got = await first;
  assert.equal(got.filter((r) => !r.done && r.value.id === 'job-1').length, N);
  assert.ok(got[0].value.createdAt instanceof Date); // never serialized in-process
  await Promise.all(its.map((it) => it.return?.()));
  const seen = await w.get();
  w.stop();
  assert.deepEqual(seen, []);
});

describe('over Redis, two nodes', () => {
  let redis: TestRedis | null = null;
  const conns: Redis[] = [];
  const connect = () => {
    const c = new Redis(redis!.url, { maxRetriesPerRequest: null }); // as the service connects
    conns.push(c);
    return c;
  };
  const numsub = async (admin: Redis, channel: string) => Number(((await admin.pubsub('NUMSUB', channel)) as [string, number])[1]);

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await Promise.all(conns.map((c) => c.quit().catch(() => {})));
    await redis?.stop();
  });

  test(`${N} subscribers on node A, published on node B: all receive it once, one Redis subscription, no warning`, async (t) => {
    if (!redis) return t.skip(REDIS_SKIP);
    const w = warnings();
    const subA = connect();
    const nodeA = createEvents({ publish: connect(), subscribe: subA });
    const nodeB = createEvents({ publish: connect(), subscribe: connect() });
    const admin = connect();
    const listenersBefore = subA.eventNames().map((e) => [e, subA.listenerCount(e)]);

    const { its, first } = subscribeMany(nodeA, 'job-2', N);
    const feed = nodeA.pubsub.subscribe('explanations')[Symbol.asyncIterator]();
    const feedFirst = feed.next();
    // Redis itself reports one subscriber connection per channel, not one per listener.
    await waitUntil(async () => (await numsub(admin, 'explanation:job-2')) === 1 && (await numsub(admin, 'explanations')) === 1, 10_000, 20);
    assert.deepEqual(subA.eventNames().map((e) => [e, subA.listenerCount(e)]), listenersBefore);

    const sent = explanation('job-2');
    nodeB.explanationChanged(sent);
    const got = await first;
    assert.equal(got.filter((r) => !r.done && r.value.id === 'job-2').length, N);
    assert.equal((await feedFirst).value.id, 'job-2');
    // Payloads cross Redis as JSON: timestamps arrive as strings and reviveExplanation restores them.
    assert.equal(typeof got[0].value.createdAt, 'string');
    const revived = reviveExplanation(got[0].value);
    assert.ok(revived.createdAt instanceof Date);
    assert.equal(revived.createdAt.getTime(), sent.createdAt.getTime());
    assert.equal(revived.finishedAt, null);

    // Exactly once: a second event is the next value of every iterator, not a duplicate of the first.
    nodeB.explanationChanged({ ...sent, status: 'SUCCEEDED' } as Explanation);
    const second = await Promise.all(its.map((it) => it.next()));
    assert.equal(second.filter((r) => r.value?.status === 'SUCCEEDED').length, N);

    // Everyone leaves: node A unsubscribes from Redis, and a later subscriber subscribes again.
    await Promise.all([...its, feed].map((it) => it.return?.()));
    await waitUntil(async () => (await numsub(admin, 'explanation:job-2')) === 0 && (await numsub(admin, 'explanations')) === 0, 10_000, 20);
    assert.deepEqual(await admin.pubsub('CHANNELS'), []);
    assert.deepEqual(subA.eventNames().map((e) => [e, subA.listenerCount(e)]), listenersBefore);

    const again = subscribeMany(nodeA, 'job-2', 1);
    await waitUntil(async () => (await numsub(admin, 'explanation:job-2')) === 1, 10_000, 20);
    nodeB.explanationChanged({ ...sent, status: 'CANCELLED' } as Explanation);
    assert.equal((await again.first)[0].value.status, 'CANCELLED');
    await again.its[0].return?.();

    const seen = await w.get();
    w.stop();
    assert.deepEqual(seen, []);
  });
});
