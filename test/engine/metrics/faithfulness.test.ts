// Deletion and insertion curves on the built-in demo model, whose correct attribution is known by
// construction: class "red" depends only on the red pixels. Deleting the drawn square first must
// drop the probability faster than a random order, and that faster than deleting it last.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkFaithfulness, deletionInsertion, fillImage, stepCounts, trapezoid } from '../../../src/engine/metrics/index.ts';
import { fillKey, stepBlocks, type FillCache } from '../../../src/engine/metrics/faithfulness.ts';
import { TensorCache } from '../../../src/engine/tensor-cache.ts';
import { toRgbRaw } from '../../../src/engine/preprocess.ts';
import { mulberry32 } from '../../../src/engine/random.ts';
import { SessionCache } from '../../../src/engine/session.ts';
import { demoModel } from '../fixtures.ts';
import { redSquare } from '../perturb/helpers.ts';

const W = 224;
const RED = 1;

async function demoCase() {
  const model = demoModel();
  const crop = await toRgbRaw(await redSquare(64, 40, 40), model.spec);
  const rgb = new Uint8Array(crop.data);
  const shape = Float32Array.from({ length: W * W }, (_, p) => {
    const x = p % W;
    const y = Math.floor(p / W);
    return x >= 40 && x < 104 && y >= 40 && y < 104 ? 1 : 0;
  });
  const rand = mulberry32(3);
  const random = Float32Array.from({ length: W * W }, () => rand());
  const leastFirst = Float32Array.from(shape, (v) => -v);
  return { model, rgb, shape, random, leastFirst };
}

for (const fill of ['BLUR', 'MEAN', 'BLACK'] as const) {
  test(`deletion and insertion AUC order the demo maps: shape first, random, least relevant first (fill ${fill})`, async () => {
    const { model, rgb, shape, random, leastFirst } = await demoCase();
    const sessions = new SessionCache();
    try {
      const params = checkFaithfulness({ fill, steps: 20 });
      const [s, r, l] = await deletionInsertion(
        sessions,
        { model, rgb, maps: [shape, random, leastFirst].map((map) => ({ classIndex: RED, map })) },
        params,
      );
      assert.ok(s.deletion.auc < r.deletion.auc && r.deletion.auc < l.deletion.auc, `deletion AUC ${s.deletion.auc} < ${r.deletion.auc} < ${l.deletion.auc}`);
      assert.ok(s.insertion.auc > r.insertion.auc && r.insertion.auc > l.insertion.auc, `insertion AUC ${s.insertion.auc} > ${r.insertion.auc} > ${l.insertion.auc}`);
      for (const c of [s, r, l]) {
        assert.equal(c.deletion.probabilities.length, 21);
        // Step 0 of deletion and the last step of insertion are the unmodified crop; the other ends are the fill.
        assert.equal(c.deletion.probabilities[0], s.deletion.probabilities[0]);
        assert.equal(c.insertion.probabilities[20], s.deletion.probabilities[0]);
        assert.equal(c.insertion.probabilities[0], s.deletion.probabilities[20]);
        assert.equal(c.deletion.probabilities[20], s.deletion.probabilities[20]);
        assert.equal(c.deletion.auc, trapezoid(c.deletion.fractions, c.deletion.probabilities));
      }
      assert.ok(s.deletion.probabilities[0] > 0.9, 'the demo model sees red');
    } finally {
      await sessions.close();
    }
  });
}

test('several maps in one call give the curves of each map alone (one runner and work image serve them all)', async () => {
  const { model, rgb, shape, random, leastFirst } = await demoCase();
  const sessions = new SessionCache();
  try {
    // 2·(20+1) = 42 images a map at batch 32: a full batch, then 10 in the smaller second tensor.
    const params = checkFaithfulness({ steps: 20 });
    const maps = [
      { classIndex: RED, map: shape },
      { classIndex: 0, map: random },
      { classIndex: RED, map: leastFirst },
    ];
    const together = await deletionInsertion(sessions, { model, rgb, maps }, params);
    for (const [k, m] of maps.entries()) assert.deepEqual(together[k], (await deletionInsertion(sessions, { model, rgb, maps: [m] }, params))[0], `map ${k}`);
  } finally {
    await sessions.close();
  }
});

test('a fill cache keeps one fill per crop, fill and σ, and the curves are those computed without it', async () => {
  const { model, rgb, shape } = await demoCase();
  const sessions = new SessionCache();
  const fills: FillCache = new TensorCache(64 * 1024 * 1024);
  try {
    const maps = [{ classIndex: RED, map: shape }];
    const blur5 = checkFaithfulness({ steps: 10 });
    const plain = await deletionInsertion(sessions, { model, rgb, maps }, blur5);
    const first = await deletionInsertion(sessions, { model, rgb, maps, fills }, blur5);
    const again = await deletionInsertion(sessions, { model, rgb, maps, fills }, blur5);
    assert.deepEqual(first, plain);
    assert.deepEqual(again, plain);
    assert.equal(fills.sizeBytes, 3 * W * W * 4, 'one fill cached');
    assert.ok(fills.has(fillKey(rgb, model.spec, blur5)));
    // Another σ, another fill (and other curves); MEAN ignores σ.
    const blur2 = checkFaithfulness({ steps: 10, blurSigma: 2 });
    assert.notDeepEqual(await deletionInsertion(sessions, { model, rgb, maps, fills }, blur2), plain);
    assert.equal(fillKey(rgb, model.spec, { fill: 'MEAN', blurSigma: 5 }), fillKey(rgb, model.spec, { fill: 'MEAN', blurSigma: 2 }));
    const other = Uint8Array.from(rgb, (v, i) => (i === 0 ? v ^ 1 : v));
    assert.notEqual(fillKey(other, model.spec, blur5), fillKey(rgb, model.spec, blur5));
    assert.equal(fills.sizeBytes, 2 * 3 * W * W * 4);
  } finally {
    await sessions.close();
  }
});

test('curve steps, areas and fills', () => {
  assert.deepEqual(stepCounts(10, 4), [0, 3, 5, 8, 10]);
  assert.equal(trapezoid([0, 0.5, 1], [1, 1, 0]), 0.75);
  const rgb = Uint8Array.from([0, 10, 20, 100, 110, 120]);
  assert.deepEqual([...fillImage(rgb, 2, 1, { fill: 'MEAN', blurSigma: 5 })], [50, 60, 70, 50, 60, 70]);
  assert.deepEqual([...fillImage(rgb, 2, 1, { fill: 'BLACK', blurSigma: 5 })], [0, 0, 0, 0, 0, 0]);
  assert.throws(() => checkFaithfulness({ steps: 0 }), /steps/);
  assert.throws(() => checkFaithfulness({ fill: 'GRAY' as never }), /fill/);
});

test('stepBlocks keeps each step block of the ranking, in ascending pixel index', () => {
  // 10 pixels ranked 7 2 9 0 5 1 8 3 6 4, 4 steps: blocks of ranks [0, 3) [3, 5) [5, 8) [8, 10).
  const order = Uint32Array.from([7, 2, 9, 0, 5, 1, 8, 3, 6, 4]);
  assert.deepEqual([...stepBlocks(order, stepCounts(10, 4))], [2, 7, 9, 0, 5, 1, 3, 8, 4, 6]);
  // One step: the whole image, in index order; as many steps as pixels: the ranking itself.
  assert.deepEqual([...stepBlocks(order, stepCounts(10, 1))], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual([...stepBlocks(order, stepCounts(10, 10))], [...order]);
});
