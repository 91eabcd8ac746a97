// Stopping rules replayed on real photos (issue 15). An adaptive run's samples are a prefix of the
// plain run's (same masks, same probabilities), so per photo and seed we evaluate LIME's 1,000 masks
// once, cache the top-1 class's probabilities outside the repo with a 5,000-sample consensus (seed
// 1000), and replay each rule on prefixes exactly: samples used, top-5 agreement with the consensus
// against plain 1,000 at the same seeds, and the calibration of the reported stability.
// Rule "expected gain": stop at the first check where continuing to the budget is expected to add
// less than ε features to the top-5's overlap with the large-sample top-5 (WeightDistribution.expectedOverlap).
// Knobs: ADAPTIVE_REPLAY_CACHE (default $TMPDIR/xai-adaptive-replay), ADAPTIVE_REPLAY_SEEDS (20),
// ADAPTIVE_REPLAY_EPS (0.1,0.25,0.5).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ModelHandle } from '../src/engine/explain/types.ts';
import { defaultLabels } from '../src/engine/labels.ts';
import { DEFAULTS, normalizeParameters } from '../src/engine/methods.ts';
import { limeDistributions } from '../src/engine/perturb/fit-uncertainty.ts';
import { cosineDistanceToOnes, fitLime, limeKernel, limeMasks } from '../src/engine/perturb/lime.ts';
import { prepareSegmented } from '../src/engine/perturb/prepare.ts';
import { topSet } from '../src/engine/perturb/uncertainty.ts';
import { inferInputSpec } from '../src/engine/presets.ts';
import { describeSession, SessionCache } from '../src/engine/session.ts';
import { percentile } from './stats.ts';

const K = 5;
const N = 1000;
const GRANULARITY = 32; // MobileNetV2's batch

interface Cached {
  stem: string;
  M: number;
  cls: number;
  consensus: number[];
  seeds: Record<string, { Y: number[]; ms: number }>;
}

async function probabilities(sessions: SessionCache, model: ModelHandle, image: Buffer, seed: number, n: number) {
  const req = { model, image, method: 'LIME' as const, params: normalizeParameters('LIME', { target: { kind: 'TOP', k: 1 } } as never, model.numClasses), seed };
  const prep = await prepareSegmented(req, { sessions }, 'lime', {});
  const { seg, composer } = prep;
  const M = seg.count;
  const { X, drawRows } = limeMasks(prep.seed, n, M);
  drawRows(n);
  const Y = new Float64Array(n);
  await prep.runner.run(n, (i, t, off) => composer.compose(X, i * M, t, off), (start, count, probs) => Y.set(probs.subarray(0, count), start), {}, 'sample', { done: 0, total: n });
  return { M, X, Y, cls: prep.classes[0] };
}

async function collect(shared: string, dir: string, seeds: number): Promise<Cached[]> {
  const refDir = path.join(shared, 'reference');
  const index = JSON.parse(fs.readFileSync(path.join(refDir, 'index.json'), 'utf8')) as Record<string, { lime?: unknown }>;
  const modelFile = path.join(shared, 'models/mobilenetv2-float.onnx');
  const sessions = new SessionCache();
  const { spec } = inferInputSpec(describeSession(await sessions.get(modelFile, () => modelFile)));
  const model: ModelHandle = { key: modelFile, path: modelFile, spec, numClasses: 1000, labels: defaultLabels(1000), outputKind: 'LOGITS', quantized: false };
  const out: Cached[] = [];
  for (const name of Object.keys(index).filter((n) => index[n].lime)) {
    const stem = name.replace(/\.[^.]+$/, '');
    const inImages = path.join(shared, 'images', name);
    const image = fs.readFileSync(fs.existsSync(inImages) ? inImages : path.join(refDir, 'photos', name));
    const file = path.join(dir, `${stem}.json`);
    let rec: Cached | null = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Cached) : null;
    if (!rec) {
      const c = await probabilities(sessions, model, image, 1000, 5 * N);
      const [fit] = fitLime(c.X, 5 * N, c.M, c.Y, [c.cls], 0.25, 'AUTO', 100000);
      rec = { stem, M: c.M, cls: c.cls, consensus: topSet(fit.weights, K), seeds: {} };
    }
    for (let s = 1; s <= seeds; s++) {
      if (rec.seeds[s]) continue;
      const t0 = performance.now();
      const r = await probabilities(sessions, model, image, s, N);
      rec.seeds[s] = { Y: [...r.Y], ms: performance.now() - t0 };
      fs.writeFileSync(file, JSON.stringify(rec));
    }
    out.push(rec);
  }
  await sessions.close();
  return out;
}

interface Outcome {
  samples: number;
  overlap: number;
  stability: number;
}

function replay(rec: Cached, seed: number, eps: readonly number[]): { plain: Outcome; byEps: Outcome[] } {
  const { M } = rec;
  const Y = Float64Array.from(rec.seeds[seed].Y);
  const { X, drawRows } = limeMasks(seed, N, M);
  drawRows(N);
  const w = Float64Array.from({ length: N }, (_, i) => {
    let ones = 0;
    for (let j = 0; j < M; j++) ones += X[i * M + j];
    return limeKernel(cosineDistanceToOnes(ones, M), DEFAULTS.lime.kernelWidth);
  });
  const consensus = new Set(rec.consensus);
  const memo = new Map<number, Outcome & { gain: number }>();
  const at = (n: number) => {
    const hit = memo.get(n);
    if (hit) return hit;
    const [fit] = fitLime(X.subarray(0, n * M), n, M, Y.subarray(0, n), [rec.cls], DEFAULTS.lime.kernelWidth, 'AUTO', 100000);
    const [d] = limeDistributions(X, n, M, Y, w, [{ ...fit, used: fit.localExp.map(([j]) => j) }], 1, K, seed + 77);
    const e = d.expectedOverlap(Math.sqrt(N / n));
    const o = { samples: n, overlap: d.top.filter((j) => consensus.has(j)).length, stability: d.stability(), gain: e.later - e.now };
    memo.set(n, o);
    return o;
  };
  const byEps = eps.map((epsilon) => {
    let n = Math.ceil(Math.max(100, 2 * M) / GRANULARITY) * GRANULARITY;
    for (;;) {
      const o = at(n);
      if (n >= N || o.gain < epsilon) return o;
      n = Math.min(N, Math.ceil(Math.min(1.5 * n, n + 200) / GRANULARITY) * GRANULARITY);
    }
  });
  return { plain: at(N), byEps };
}

const q = (xs: number[]) => `median ${percentile(xs, 0.5)} (q1 ${percentile(xs, 0.25)}, q3 ${percentile(xs, 0.75)}, mean ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(0)})`;

export async function benchAdaptiveReplay(shared: string): Promise<void> {
  const dir = process.env.ADAPTIVE_REPLAY_CACHE ?? path.join(os.tmpdir(), 'xai-adaptive-replay');
  fs.mkdirSync(dir, { recursive: true });
  const seeds = Number(process.env.ADAPTIVE_REPLAY_SEEDS ?? 20);
  const eps = (process.env.ADAPTIVE_REPLAY_EPS ?? '0.1,0.25,0.5').split(',').map(Number);
  const recs = await collect(shared, dir, seeds);
  console.log(`\nstopping rules replayed on ${recs.length} reference photos × ${seeds} seeds (MobileNetV2, LIME defaults, top-1 class, top-${K}; consensus 5,000 samples; cache ${dir})`);
  const plain: Outcome[] = [];
  const byEps: Outcome[][] = eps.map(() => []);
  for (const rec of recs) {
    const line: string[] = [];
    for (let s = 1; s <= seeds; s++) {
      const r = replay(rec, s, eps);
      plain.push(r.plain);
      r.byEps.forEach((o, i) => byEps[i].push(o));
    }
    const mine = plain.slice(-seeds);
    line.push(`plain 1000 overlap ${(mine.reduce((a, o) => a + o.overlap, 0) / seeds).toFixed(2)}/5`);
    eps.forEach((e, i) => {
      const o = byEps[i].slice(-seeds);
      line.push(`ε ${e}: samples ${percentile(o.map((x) => x.samples), 0.5)}, overlap ${(o.reduce((a, x) => a + x.overlap, 0) / seeds).toFixed(2)}`);
    });
    console.log(`  ${rec.stem.padEnd(18)} M ${String(rec.M).padStart(2)}  ${line.join('  ')}`);
  }
  const agree = (os: Outcome[]) => `top-5 overlap ${(os.reduce((a, o) => a + o.overlap, 0) / os.length).toFixed(3)}/5, exact set ${(os.filter((o) => o.overlap === K).length / os.length).toFixed(3)}`;
  console.log(`  plain 1000                 samples 1000  ${agree(plain)}`);
  eps.forEach((e, i) => console.log(`  expected gain < ${String(e).padEnd(5)}     samples ${q(byEps[i].map((o) => o.samples))}  ${agree(byEps[i])}  sample ratio ×${(N / (byEps[i].reduce((a, o) => a + o.samples, 0) / byEps[i].length)).toFixed(2)}`));
  const all = [...plain, ...byEps.flat()];
  console.log('  calibration of the reported top-5 stability (plain and replayed runs):');
  for (const [lo, hi] of [[0, 0.5], [0.5, 0.8], [0.8, 0.95], [0.95, 1.01]]) {
    const c = all.filter((o) => o.stability >= lo && o.stability < hi);
    const mean = c.reduce((a, o) => a + o.stability, 0) / Math.max(1, c.length);
    console.log(`    claimed [${lo}, ${Math.min(hi, 1)}${hi > 1 ? ']' : ')'}: ${c.length} runs, mean claim ${mean.toFixed(3)}, consensus set in ${c.length ? ((100 * c.filter((o) => o.overlap === K).length) / c.length).toFixed(1) : '–'}%`);
  }
}
