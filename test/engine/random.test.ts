// RandomState against numpy 1.24's legacy RandomState. Golden values printed by /usr/bin/python3 with the
// one-liner above each test (`import numpy as np` first); they are literals, python is not needed to run this.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logExact } from '../../src/engine/log-exact.ts';
import { numpySum } from '../../src/engine/numpy-sum.ts';
import { Generator, seedSequenceState } from '../../src/engine/random-pcg64.ts';
import { RandomState } from '../../src/engine/random.ts';

// r=np.random.RandomState(0); r.randint(0, 2**32, size=3, dtype=np.uint64)  (the raw MT19937 outputs)
// r=np.random.RandomState(0); r.random_sample(3)
test('integer seed: MT19937 outputs and random_sample', () => {
  const r = new RandomState(0);
  assert.deepEqual([r.nextUint32(), r.nextUint32(), r.nextUint32()], [2357136044, 2546248239, 3071714933]);
  assert.deepEqual(Array.from(new RandomState(0).randomSamples(3)), [0.5488135039273248, 0.7151893663724195, 0.6027633760716439]);
  // r=np.random.RandomState(2**32-1); r.random_sample(2)
  assert.deepEqual(Array.from(new RandomState(2 ** 32 - 1).randomSamples(2)), [0.0976320289940138, 0.9123828453026218]);
});

// r=np.random.RandomState([1, 2, 3]); r.random_sample(2)
test('array seed: init_by_array', () => {
  assert.deepEqual(Array.from(new RandomState([1, 2, 3]).randomSamples(2)), [0.6098612722867289, 0.8866970434146851]);
});

// r=np.random.RandomState(12345); r.standard_normal(5), r.uniform(-2, 3), r.normal(1, 2)
test('legacy Gaussian (polar, second value cached) and uniform', () => {
  const r = new RandomState(12345);
  const normals = Array.from({ length: 5 }, () => r.standardNormal());
  assert.deepEqual(normals, [-0.20470765948471295, 0.47894333805754824, -0.5194387150567381, -0.55573030434749, 1.9657805725027142]);
  assert.equal(r.uniform(-2, 3), 2.822572598678108);
  assert.equal(r.normal(1, 2), 3.7868116659459807);
  // r=np.random.RandomState(0); r.standard_normal(1001); r.random_sample()  (an odd count leaves a value cached: it is dropped by nothing)
  const s = new RandomState(0);
  for (let i = 0; i < 1001; i++) s.standardNormal();
  assert.equal(s.randomSample(), 0.8830775973191353);
});

// r=np.random.RandomState(0); r.randint(0, 2, 20), r.randint(5), r.randint(-3, 1000), r.randint(0, 2**40, 3)
test('randint: masked rejection, 32- and 64-bit paths', () => {
  const r = new RandomState(0);
  assert.deepEqual(Array.from(r.randints(0, 2, 20)), [0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
  assert.equal(r.randint(5), 0);
  assert.equal(r.randint(-3, 1000), 846);
  assert.deepEqual(Array.from(r.randints(0, 2 ** 40, 3)), [712260534809, 332161587272, 41438582676]);
  // r=np.random.RandomState(0); r.randint(0, 2, 10000).sum()
  assert.equal(new RandomState(0).randints(0, 2, 10000).reduce((a, b) => a + b, 0), 5085);
  // r=np.random.RandomState(0); r.randint(0, 1, 3), r.random_sample()  (a one-value range draws nothing)
  const z = new RandomState(0);
  assert.deepEqual(Array.from(z.randints(0, 1, 3)), [0, 0, 0]);
  assert.equal(z.randomSample(), 0.5488135039273248);
  assert.throws(() => z.randint(3, 3), RangeError);
});

// r=np.random.RandomState(7); r.permutation(10), r.choice(5, 6), r.choice(7, 4, replace=False)
// r=np.random.RandomState(5); a=list(range(6)); r.shuffle(a); a
test('permutation, shuffle and choice without p', () => {
  const r = new RandomState(7);
  assert.deepEqual(Array.from(r.permutation(10)), [8, 5, 0, 2, 1, 9, 7, 3, 6, 4]);
  assert.deepEqual(Array.from(r.choice(5, 6)), [2, 2, 0, 4, 0, 4]);
  assert.deepEqual(Array.from(r.choice(7, 4, false)), [1, 5, 6, 4]);
  assert.deepEqual(new RandomState(5).shuffle([0, 1, 2, 3, 4, 5]), [5, 2, 4, 1, 0, 3]);
});

// r=np.random.RandomState(3); p=np.array([0.1,0.2,0.3,0.4]); r.choice(4,5,p=p), r.choice(4,3,replace=False,p=p), r.choice(1), r.uniform()
test('choice with p, with and without replacement; choice(1) draws nothing', () => {
  const r = new RandomState(3);
  const p = [0.1, 0.2, 0.3, 0.4];
  assert.deepEqual(Array.from(r.choice(4, 5, true, p)), [2, 3, 1, 2, 3]);
  assert.deepEqual(Array.from(r.choice(4, 3, false, p)), [3, 1, 0]);
  assert.equal(r.choice(1, 1)[0], 0);
  assert.equal(r.uniform(), 0.44080984365063647);
  assert.throws(() => r.choice(3, 4, false), RangeError);
  assert.throws(() => r.choice(3, 1, true, [0.5, 0.2, 0.2]), RangeError);
});

test('same seed, same stream; bad seeds are refused', () => {
  const a = new RandomState(42);
  const b = new RandomState(42);
  for (let i = 0; i < 2000; i++) assert.equal(a.normal(), b.normal());
  for (const bad of [-1, 2 ** 32, 0.5, Number.NaN]) assert.throws(() => new RandomState(bad), RangeError);
  assert.throws(() => new RandomState([]), RangeError);
});

// Correctly rounded values from mpmath at 200 bits: import mpmath; mpmath.mp.prec=200; float(mpmath.log(x)).
// The first four are inputs where glibc's log (numpy's) rounds the other way and Math.log agrees with neither.
test('logExact is correctly rounded', () => {
  const cases: [number, number][] = [
    [0.3535348626679904, -1.0397731770995389],
    [0.6996231823995839, -0.35721339973777744],
    [0.7851652629523068, -0.2418610573033345],
    [0.9372449468869547, -0.06481061480561107],
    [0.14675589081711304, -1.9189846792253313],
    [0.1862602113776709, -1.6806105970365317],
    [0.027387593197926163, -3.597665171129741],
    [0.8007445686755367, -0.22221327331258003],
    [1, 0],
    [2, 0.6931471805599453],
    [5e-324, -744.4400719213812],
    [1.7976931348623157e308, 709.782712893384],
  ];
  for (const [x, y] of cases) assert.equal(logExact(x), y, `log(${x})`);
  // Next to 1: log(1 + 2^-52) = 2^-52 − 2^-105 + … is just below 2^-52, whose neighbour below is nearer.
  assert.equal(logExact(1 + 2 ** -52), 2.2204460492503128e-16);
  assert.equal(logExact(1 - 2 ** -53), -1.1102230246251565e-16);
  assert.ok(Number.isNaN(logExact(-1)));
  assert.equal(logExact(0), -Infinity);
});

// np.random.SeedSequence(0).generate_state(8); g=np.random.default_rng(0); g.bit_generator.random_raw(3) (hex)
// np.random.default_rng(0).random(3); np.random.default_rng(2**40+3).random(2)
test('default_rng: SeedSequence, PCG64 raw outputs and random()', () => {
  assert.deepEqual(Array.from(seedSequenceState(0, 8)), [2968811710, 3677149159, 745650761, 2884920346, 2642120001, 549907821, 574372308, 742431198]);
  const g = new Generator(0);
  const hex = () => g.nextUint64().map((x) => x.toString(16).padStart(8, '0')).join('');
  assert.deepEqual([hex(), hex(), hex()], ['a30febcfd9c2825f', '4510bdf882d9d721', '0a7d3da94ecde8b8']);
  const u = new Generator(0);
  assert.deepEqual([u.random(), u.random(), u.random()], [0.6369616873214543, 0.2697867137638703, 0.04097352393619469]);
  const big = new Generator(2 ** 40 + 3);
  assert.deepEqual([big.random(), big.random()], [0.7736560850714245, 0.9958573802012665]);
});

// np.random.default_rng(0).standard_normal(6); x=np.random.default_rng(12345).standard_normal(100000); x.sum(), (x*x).sum(), x.min()
// Our ziggurat tables are rebuilt, not numpy's literal ones: values agree to ~2.5e-14 relative (about a third
// bit for bit), and every accept/reject decision is the same, so the stream never shifts.
test('default_rng: ziggurat normals follow numpy\'s stream', () => {
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-13 * Math.abs(b);
  const g = new Generator(0);
  const ref = [0.1257302210933933, -0.1321048632913019, 0.6404226504432821, 0.10490011715303971, -0.535669373161111, 0.36159505490948474];
  for (const r of ref) {
    const v = g.standardNormal();
    assert.ok(close(v, r), `${v} vs ${r}`);
  }
  const h = new Generator(12345);
  let sum = 0;
  let sq = 0;
  let min = Infinity;
  for (let i = 0; i < 100000; i++) {
    const v = h.standardNormal();
    sum += v;
    sq += v * v;
    min = Math.min(min, v);
  }
  assert.ok(Math.abs(sum - 572.9685226313534) < 1e-9, `sum ${sum}`); // a shifted stream would be off by O(1)
  assert.ok(Math.abs(sq - 99802.45170381377) < 1e-7, `sum of squares ${sq}`);
  assert.ok(close(min, -4.07355037788305), `min ${min}`);
});

// a = np.random.RandomState(3).random_sample(n) * 1e6; a.sum()  (sequential summation differs on each)
test('numpySum adds in np.sum\'s pairwise order', () => {
  const cases: [number, number][] = [
    [64, 30030290.122177318],
    [100, 47934404.88258928],
    [129, 62305589.39152182],
    [300, 146645393.5130466],
    [1000, 504940176.9907854],
  ];
  for (const [n, expected] of cases) {
    const a = Array.from(new RandomState(3).randomSamples(n), (v) => v * 1e6);
    assert.equal(numpySum(a), expected, `n = ${n}`);
    assert.notEqual(a.reduce((x, y) => x + y, 0), expected, `n = ${n}: a sequential sum differs`);
  }
  assert.equal(numpySum([1, 2, 3], 1), 5);
  assert.equal(numpySum([]), 0);
});
