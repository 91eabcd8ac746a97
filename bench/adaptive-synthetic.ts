// Adaptive LIME's stopping rule on synthetic problems with known answers (no model): a saturating,
// interacting function of 10 binary features, its true top-3 set from the population ridge over all
// 1024 masks; feature 4's coefficient moves it from near-tied to easy. sampleUntilStable runs as in the
// engine (the evaluation is the function itself). Prints, per problem, how often the runs stopped as
// STABLE and how often those had the true set, and the samples they used.
import { sampleUntilStable } from '../src/engine/perturb/adaptive.ts';
import { limeDistributions } from '../src/engine/perturb/fit-uncertainty.ts';
import { cosineDistanceToOnes, fitLime, limeKernel } from '../src/engine/perturb/lime.ts';
import { ridgeFromStats, weightedStats } from '../src/engine/perturb/linalg.ts';
import { topSet } from '../src/engine/perturb/uncertainty.ts';
import { mulberry32 } from '../src/engine/random.ts';
import { median } from './stats.ts';

const M = 10;
const K = 3;

function problem(a4: number) {
  const A = [0.3, 0.25, 0.2, 0.17, a4, 0.05, -0.04, 0.03, 0.02, -0.01];
  return (z: ArrayLike<number>) => {
    let s = -0.6 + 0.3 * z[0] * z[1] - 0.2 * z[2] * z[3];
    for (let j = 0; j < M; j++) s += A[j] * z[j];
    return 1 / (1 + Math.exp(-4 * s));
  };
}

const kernelOf = (X: Uint8Array, i: number) => {
  let ones = 0;
  for (let j = 0; j < M; j++) ones += X[i * M + j];
  return limeKernel(cosineDistanceToOnes(ones, M), 0.25);
};

export async function benchAdaptiveSynthetic(seeds = 100, max = 1000, confidence = 0.95): Promise<void> {
  console.log(`\nadaptive LIME on synthetic problems (10 features, top-${K}, confidence ${confidence}, at most ${max} samples, ${seeds} seeds each)`);
  const all = new Uint8Array(1024 * M);
  for (let m = 0; m < 1024; m++) for (let j = 0; j < M; j++) all[m * M + j] = (m >> j) & 1;
  let stopped = 0;
  let right = 0;
  let runs = 0;
  let bookkeeping = 0;
  for (const a4 of [0.06, 0.07, 0.08, 0.09, 0.1, 0.12, 0.15]) {
    const f = problem(a4);
    const fAll = Float64Array.from({ length: 1024 }, (_, m) => f(all.subarray(m * M, (m + 1) * M)));
    const w = Float64Array.from({ length: 1024 }, (_, m) => (max / 1024) * kernelOf(all, m));
    const truth = topSet(ridgeFromStats(weightedStats(all, 1024, M, fAll, w), [...Array(M).keys()], 1).coef, K).join();
    let s = 0;
    let r = 0;
    const used: number[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const rand = mulberry32(seed);
      const X = new Uint8Array(max * M);
      for (let i = 0; i < max * M; i++) X[i] = rand() < 0.5 ? 0 : 1;
      X.fill(1, 0, M);
      const Y = new Float64Array(max);
      const W = new Float64Array(max);
      let fits = fitLime(X, 1, M, Y, [0], 0.25, 'AUTO', 100000);
      const { record } = await sampleUntilStable({
        first: 100,
        max,
        granularity: 32,
        rule: { kind: 'STABILITY' },
        confidence,
        topK: K,
        evaluate: async (upTo) => {
          for (let i = 0; i < upTo; i++) {
            Y[i] = f(X.subarray(i * M, (i + 1) * M));
            W[i] = kernelOf(X, i);
          }
        },
        assess: (n) => {
          fits = fitLime(X.subarray(0, n * M), n, M, Y.subarray(0, n), [0], 0.25, 'AUTO', 100000);
          return limeDistributions(X, n, M, Y, W, fits.map((x) => ({ ...x, used: x.localExp.map(([j]) => j) })), 1, K, seed + 7);
        },
      });
      runs++;
      used.push(record.samplesUsed);
      bookkeeping += record.bookkeepingMs;
      if (record.stopReason === 'STABLE') {
        s++;
        if (topSet(fits[0].weights, K).join() === truth) r++;
      }
    }
    stopped += s;
    right += r;
    console.log(`  feature 4 coefficient ${a4.toFixed(2)}: stopped STABLE ${s}/${seeds}, true set in ${s ? ((100 * r) / s).toFixed(0) : '–'}% of those, median samples ${median(used)}`);
  }
  console.log(`  all: stopped ${stopped}/${runs}, true set in ${((100 * right) / stopped).toFixed(1)}% of those; bookkeeping ${(bookkeeping / runs).toFixed(1)} ms per run`);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchAdaptiveSynthetic();
