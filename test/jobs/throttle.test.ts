// The progress throttle on a mocked clock: the rate limit is a property of the throttle's own clock,
// so it is checked there, not through the arrival times of websocket messages on a busy machine.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { throttle } from '../../src/jobs/throttle.ts';

// A real clock is far from 0, and so is this one: the throttle's first write is immediate.
const T0 = 1_700_000_000_000;
beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 }));
afterEach(() => mock.timers.reset());

/** Lets the throttle's write chain (promise callbacks) run; setImmediate is not mocked. */
const settle = () => new Promise((r) => setImmediate(r));

function recorder() {
  const writes: { at: number; value: number }[] = [];
  return { writes, write: async (value: number) => void writes.push({ at: Date.now() - T0, value }) };
}

test('reports every millisecond for 1 s: at most one write per 100 ms, and the latest value is written', async () => {
  const { writes, write } = recorder();
  const t = throttle(100, write);
  for (let ms = 0; ms < 1000; ms++) {
    t.push(ms);
    await settle();
    mock.timers.tick(1);
  }
  mock.timers.tick(100);
  await settle();
  await t.flush();
  assert.equal(writes.length, 11, JSON.stringify(writes));
  for (let i = 1; i < writes.length; i++) assert.ok(writes[i].at - writes[i - 1].at >= 100, `writes ${i - 1} and ${i} at ${writes[i - 1].at} and ${writes[i].at}`);
  assert.equal(writes[0].value, 0, 'the first report is written at once');
  assert.equal(writes.at(-1)!.value, 999, 'the last report is not lost');
  assert.deepEqual(writes.map((w) => w.value), [...writes.map((w) => w.value)].sort((a, b) => a - b));
});

test('a report after a quiet period is written at once', async () => {
  const { writes, write } = recorder();
  const t = throttle(100, write);
  t.push(1);
  await settle();
  mock.timers.tick(500);
  t.push(2);
  await t.flush();
  assert.deepEqual(writes, [{ at: 0, value: 1 }, { at: 500, value: 2 }]);
});

test('flush drops a pending report (the terminal state supersedes it) and waits for writes in flight', async () => {
  let release!: () => void;
  const writes: number[] = [];
  const t = throttle(100, (v: number) => new Promise<void>((r) => (release = () => (writes.push(v), r()))));
  t.push(1);
  t.push(2);
  await settle();
  const flushed = t.flush().then(() => 'flushed');
  const first = await Promise.race([flushed, Promise.resolve('pending')]);
  assert.equal(first, 'pending', 'flush waits for the write in flight');
  release();
  assert.equal(await flushed, 'flushed');
  mock.timers.tick(1000);
  assert.deepEqual(writes, [1]);
});
