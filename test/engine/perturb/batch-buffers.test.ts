// The runner's batch tensors come from a pool that keeps them between runs. The pool's rules, and
// the property that makes recycling safe: no result depends on what a recycled buffer held before
// (the pool is filled with NaN, which would spread into any probability that read it).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { ExplainResult } from '../../../src/engine/explain/types.ts';
import { checkFaithfulness, deletionInsertion } from '../../../src/engine/metrics/index.ts';
import { batchBuffers, Float32BufferPool } from '../../../src/engine/perturb/batch-buffers.ts';
import { createPerturbExplainers } from '../../../src/engine/perturb/index.ts';
import { toRgbRaw } from '../../../src/engine/preprocess.ts';
import { mulberry32 } from '../../../src/engine/random.ts';
import { demoModel, fileSessions, request } from '../fixtures.ts';
import { redSquare } from './helpers.ts';

test('the pool lends the smallest idle buffer that fits, each to one borrower, and keeps at most its limits', () => {
  const pool = new Float32BufferPool({ maxBuffers: 3, maxBytes: 4 * 100 });
  const [a, b, c] = [pool.acquire(10), pool.acquire(40), pool.acquire(20)];
  assert.deepEqual([a.length, b.length, c.length], [10, 40, 20]);
  for (const x of [a, b, c]) pool.release(x);
  pool.release(c); // a second release of the same buffer is ignored
  assert.equal(pool.idleCount, 3);
  assert.equal(pool.acquire(15), c, 'the 20 fits 15 best');
  assert.equal(pool.acquire(15), b, 'then the 40');
  const fresh = pool.acquire(15);
  assert.ok(fresh !== a && fresh.length === 15, 'a 10 is too small: a new buffer');
  assert.equal(pool.idleCount, 1);
  // Beyond 3 idle buffers the least recently returned goes (a), then b.
  for (const x of [b, c, fresh]) pool.release(x);
  assert.equal(pool.idleCount, 3);
  assert.equal(pool.idleBytes(), 4 * (40 + 20 + 15));
  pool.release(new Float32Array(30));
  assert.equal(pool.idleBytes(), 4 * (20 + 15 + 30), 'b (40) was the oldest');
  // Beyond 400 bytes: a 90 pushes out c, the 15 and the 30, oldest first, until 360 bytes remain.
  const big = new Float32Array(90);
  pool.release(big);
  assert.equal(pool.idleCount, 1);
  assert.equal(pool.acquire(50), big);
});

const sessions = fileSessions();
const ex = createPerturbExplainers({ sessions });
after(() => sessions.close());

/** Every idle buffer the pool may lend next, as large as any run below asks for, full of NaN. */
function poisonPool(): void {
  batchBuffers.clear();
  const slot = 3 * 224 * 224;
  for (const images of [64, 32, 16, 10]) batchBuffers.release(new Float32Array(images * slot).fill(Number.NaN));
}

/** What a run computes, without its timings. */
const outcome = (r: ExplainResult) => ({ attributions: r.attributions, weights: r.segments?.weights });

test('results do not depend on what recycled batch tensors held: LIME, Kernel SHAP, Partition SHAP and faithfulness on a NaN-filled pool', async () => {
  const image = await redSquare(40, 40, 40);
  const model = demoModel();
  const target = { kind: 'CLASSES', classes: [1] };
  const gray = { kind: 'COLOR', rgb: [128, 128, 128] };
  const runs: [string, () => Promise<unknown>][] = [
    ['LIME', async () => outcome(await ex.explainLime(request(model, image, 'LIME', { target, lime: { numSamples: 150, hide: gray } }), {}))],
    ['KERNEL_SHAP', async () => outcome(await ex.explainKernelShap(request(model, image, 'KERNEL_SHAP', { target, kernelShap: { nsamples: 120, hide: gray } }), {}))],
    ['PARTITION_SHAP', async () => outcome(await ex.explainPartitionShap(request(model, image, 'PARTITION_SHAP', { target, partitionShap: { maxEvals: 100 } }), {}))],
    [
      'faithfulness',
      async () => {
        const rgb = new Uint8Array((await toRgbRaw(image, model.spec)).data);
        const rand = mulberry32(5);
        const map = Float32Array.from({ length: 224 * 224 }, () => rand());
        return deletionInsertion(sessions, { model, rgb, maps: [{ classIndex: 1, map }] }, checkFaithfulness({ steps: 20 }));
      },
    ],
  ];
  for (const [name, run] of runs) {
    batchBuffers.clear();
    const fresh = await run();
    poisonPool();
    const recycled = await run();
    assert.ok(batchBuffers.idleCount > 0, `${name}: the run gave its buffers back`);
    assert.deepEqual(recycled, fresh, name);
    assert.ok(!JSON.stringify(fresh).includes('null'), `${name}: no NaN in the results`);
  }
  batchBuffers.clear();
});
