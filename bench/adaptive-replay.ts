// Stopping rules replayed on real photos (issue 15). An adaptive run's samples are a prefix of the
// plain run's (same masks, same probabilities), so per photo and seed we evaluate LIME's 1,000 masks
// once, cache the top-1 class's probabilities outside the repo, and replay each rule on prefixes
// exactly: samples used, top-5 agreement with the consensus (plain LIME on 5,000 samples pooled from
// the photo's *other* seeds, so it is independent of the run scored) against plain 1,000 at the same
// seeds, and the calibration of the reported stability.
// Each mask design is replayed on its own masks (ORTHOGONAL: scrambled Hadamard blocks, perturb/lime.ts),
// always against plain LIME 1,000 at the same photo and seed and the plain-LIME consensus.
// Rule "expected gain": stop at the first check where continuing to the budget is expected to add
// less than ε features to the top-5's overlap with the large-sample top-5 (WeightDistribution.expectedOverlap).
// Knobs: ADAPTIVE_REPLAY_CACHE (default $TMPDIR/xai-adaptive-replay), ADAPTIVE_REPLAY_SEEDS (20),
// ADAPTIVE_REPLAY_EPS (0.1,0.2,0.3), ADAPTIVE_REPLAY_GROWTH (1.25,1.5), ADAPTIVE_REPLAY_FIXED (1000,400,256),
// ADAPTIVE_REPLAY_DESIGNS (every mask design; plain LIME always), ADAPTIVE_REPLAY_CONSENSUS (5000 samples).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ModelHandle } from '../src/engine/explain/types.ts';
import { defaultLabels } from '../src/engine/labels.ts';
import { DEFAULTS, MASK_DESIGNS, normalizeParameters } from '../src/engine/methods.ts';
import { DEFAULT_GROWTH, sampleUntilStable, type StoppingRule } from '../src/engine/perturb/adaptive.ts';
import { fitLime, limeAssessor, limeFirstCheck, limeGrowth, limeMasks, type MaskDesign } from '../src/engine/perturb/lime.ts';
import { BOOTSTRAP_SALT, prepareSegmented } from '../src/engine/perturb/prepare.ts';
import { topSet, type WeightDistribution } from '../src/engine/perturb/uncertainty.ts';
import { inferInputSpec } from '../src/engine/presets.ts';
import { describeSession, SessionCache } from '../src/engine/session.ts';
import { percentile } from './stats.ts';

const K = 5;
const N = 1000;
const GRANULARITY = 32; // MobileNetV2's batch

interface CachedRun {
  Y: number[];
  ms: number;
}

interface Cached {
  stem: string;
  M: number;
  cls: number;
  /** Plain (reference) masks, per seed; then the other designs' runs, per design and seed. */
  seeds: Record<string, CachedRun>;
  antithetic: Record<string, CachedRun>;
  designs?: Partial<Record<MaskDesign, Record<string, CachedRun>>>;
}

/** A cached record's runs of one mask design (the first two designs keep their original fields). */
function runsOf(rec: Cached, design: MaskDesign): Record<string, CachedRun> {
  if (design === 'LIME') return rec.seeds;
  if (design === 'ANTITHETIC') return rec.antithetic;
  rec.designs ??= {};
  return (rec.designs[design] ??= {});
}

/** The designs to cache and replay (ADAPTIVE_REPLAY_DESIGNS), plain LIME always first. */
function designs(): MaskDesign[] {
  const asked = (process.env.ADAPTIVE_REPLAY_DESIGNS ?? MASK_DESIGNS.join(',')).split(',') as MaskDesign[];
  return ['LIME', ...asked.filter((d) => d !== 'LIME' && MASK_DESIGNS.includes(d))];
}

/**
 * Every seed's masks are laid on the segmentation of seed 1: quickshift's tie-breaking noise follows
 * the seed and now and then merges two segments (cat_mouse has 30 segments at seed 6, 31 at seeds 1–5),
 * and the runs of a photo and its pooled consensus must share their features.
 */
const SEGMENTATION_SEED = 1;

async function probabilities(sessions: SessionCache, model: ModelHandle, image: Buffer, seed: number, n: number, design: MaskDesign) {
  const req = { model, image, method: 'LIME' as const, params: normalizeParameters('LIME', { target: { kind: 'TOP', k: 1 } } as never, model.numClasses), seed: SEGMENTATION_SEED };
  const prep = await prepareSegmented(req, { sessions }, 'lime', {});
  const { seg, composer } = prep;
  const M = seg.count;
  const { X, drawRows } = limeMasks(seed, n, M, design);
  drawRows(n);
  const Y = new Float64Array(n);
  await prep.runner.run(n, (i, t, off) => composer.compose(X, i * M, t, off), (start, count, probs) => Y.set(probs.subarray(0, count), start), {}, 'sample', { done: 0, total: n });
  return { M, X, Y, cls: prep.classes[0] };
}

/** The shared photos (../shared/images and the reference's own photos, in name order), or those named in ADAPTIVE_REPLAY_PHOTOS. */
function photos(shared: string): [string, string][] {
  const list = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /\.jpe?g$/i.test(f)).sort().map((f): [string, string] => [f.replace(/\.[^.]+$/, ''), path.join(dir, f)]) : []);
  const all = [...list(path.join(shared, 'images')), ...list(path.join(shared, 'reference', 'photos'))];
  const only = process.env.ADAPTIVE_REPLAY_PHOTOS?.split(',');
  return only ? all.filter(([stem]) => only.includes(stem)) : all;
}

/**
 * Fills the cache round by round (seed s of every photo, plain and antithetic), so a budget that runs
 * out leaves a balanced cache. The budget is CPU time of this process (model threads included) or
 * wall time, whichever ends first.
 */
async function collect(shared: string, dir: string, seeds: number, cpuBudgetS: number, wallBudgetS: number): Promise<Cached[]> {
  const modelFile = path.join(shared, 'models/mobilenetv2-float.onnx');
  const sessions = new SessionCache();
  const { spec } = inferInputSpec(describeSession(await sessions.get(modelFile, () => modelFile)));
  const model: ModelHandle = { key: modelFile, path: modelFile, spec, numClasses: 1000, labels: defaultLabels(1000), outputKind: 'LOGITS', quantized: false };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const cpuS = () => {
    const u = process.cpuUsage(cpu0);
    return (u.user + u.system) / 1e6;
  };
  const inBudget = () => cpuS() < cpuBudgetS && (performance.now() - t0) / 1000 < wallBudgetS;
  const recs = new Map<string, Cached>();
  const files = photos(shared);
  for (const [stem] of files) {
    const cached = path.join(dir, `${stem}.json`);
    if (fs.existsSync(cached)) {
      const rec = JSON.parse(fs.readFileSync(cached, 'utf8')) as Cached;
      recs.set(stem, { ...rec, antithetic: rec.antithetic ?? {} });
    }
  }
  const save = (rec: Cached) => fs.writeFileSync(path.join(dir, `${rec.stem}.json`), JSON.stringify(rec));
  for (let s = 1; s <= seeds && inBudget(); s++) {
    for (const [stem, file] of files) {
      if (!inBudget()) break;
      for (const design of designs()) {
        const rec = recs.get(stem);
        if (rec && runsOf(rec, design)[s]) continue;
        if (!inBudget()) break;
        const t1 = performance.now();
        const r = await probabilities(sessions, model, fs.readFileSync(file), s, N, design);
        const run = { Y: [...r.Y], ms: performance.now() - t1 };
        const next = rec ?? { stem, M: r.M, cls: r.cls, seeds: {}, antithetic: {} };
        runsOf(next, design)[s] = run;
        recs.set(stem, next);
        save(next);
      }
    }
    console.log(`  cache: seed ${s} done at ${((performance.now() - t0) / 1000).toFixed(0)} s wall, ${cpuS().toFixed(0)} s CPU`);
  }
  await sessions.close();
  return [...recs.values()];
}

/** Runs of a photo other than seed s, fitted together: the rows of up to CONSENSUS_SAMPLES plain masks, then antithetic ones. */
const CONSENSUS_SAMPLES = Number(process.env.ADAPTIVE_REPLAY_CONSENSUS ?? 5 * N);
function pooledConsensus(rec: Cached, s: number): number[] | null {
  const parts: { X: Uint8Array; Y: number[] }[] = [];
  let rows = 0;
  for (const design of ['LIME', 'ANTITHETIC'] as const) {
    for (const key of Object.keys(runsOf(rec, design))) {
      const seed = Number(key);
      if (seed === s || rows >= CONSENSUS_SAMPLES) continue;
      const { X, drawRows } = limeMasks(seed, N, rec.M, design);
      drawRows(N);
      const take = Math.min(N, CONSENSUS_SAMPLES - rows);
      parts.push({ X: X.subarray(0, take * rec.M), Y: runsOf(rec, design)[key].Y.slice(0, take) });
      rows += take;
    }
  }
  if (rows < CONSENSUS_SAMPLES) return null;
  const X = new Uint8Array(rows * rec.M);
  const Y = new Float64Array(rows);
  let at = 0;
  for (const p of parts) {
    X.set(p.X, at * rec.M);
    Y.set(p.Y, at);
    at += p.Y.length;
  }
  const [fit] = fitLime(X, rows, rec.M, Y, [rec.cls], DEFAULTS.lime.kernelWidth, 'AUTO', DEFAULTS.lime.numFeatures);
  return topSet(fit.weights, K);
}

interface Outcome {
  photo: string;
  samples: number;
  overlap: number;
  stability: number;
}

interface Rule {
  label: string;
  rule: StoppingRule;
  growth: number;
}

/** Every rule on one photo, seed and mask design, through the engine's own loop and fit. */
async function replay(rec: Cached, seed: number, consensusSet: readonly number[], design: MaskDesign, rules: readonly Rule[], fixed: readonly number[]) {
  const { M } = rec;
  const Y = Float64Array.from(runsOf(rec, design)[seed].Y);
  const { X, drawRows } = limeMasks(seed, N, M, design);
  drawRows(N);
  const p = { ...DEFAULTS.lime, maskDesign: design, stabilityTopK: K };
  const assessor = limeAssessor(X, M, Y, [rec.cls], p, (seed ^ BOOTSTRAP_SALT) >>> 0);
  const consensus = new Set(consensusSet);
  const memo = new Map<number, { dists: WeightDistribution[]; o: Outcome }>();
  const at = (n: number) => {
    let hit = memo.get(n);
    if (!hit) {
      const dists = assessor.assess(n, assessor.fit(n));
      const top = topSet(dists[0].values, K);
      hit = { dists, o: { photo: rec.stem, samples: n, overlap: top.filter((j) => consensus.has(j)).length, stability: dists[0].stability() } };
      memo.set(n, hit);
    }
    return hit;
  };
  const byRule: Outcome[] = [];
  for (const r of rules) {
    const { record } = await sampleUntilStable({
      first: limeFirstCheck(M),
      max: N,
      granularity: GRANULARITY,
      confidence: 0.95,
      topK: K,
      rule: r.rule,
      growth: r.growth,
      evaluate: async () => {},
      assess: (n) => at(n).dists,
    });
    byRule.push(at(record.samplesUsed).o);
  }
  const fixedOs = fixed.map((n) => at(n).o);
  // Every prefix this run was assessed at, once each: the results a plain run of that size would report.
  return { byRule, fixed: fixedOs, prefixes: [...memo.values()].map((h) => h.o) };
}

const q = (xs: number[]) =>
  `median ${percentile(xs, 0.5)} (p10 ${percentile(xs, 0.1)}, q1 ${percentile(xs, 0.25)}, q3 ${percentile(xs, 0.75)}, p90 ${percentile(xs, 0.9)}, mean ${(xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(0)})`;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/**
 * Mean paired difference in top-k overlap against a baseline (same photos and seeds), ± its standard
 * error over runs, and ± the one clustered by photo (a photo's seeds share its consensus and its
 * near-ties, so they are not independent; with 7 photos that one is rough too).
 */
function paired(os: Outcome[], base: Outcome[]): string {
  const d = os.map((o, i) => o.overlap - base[i].overlap);
  const m = mean(d);
  const se = Math.sqrt(d.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, d.length - 1) / d.length);
  const byPhoto = new Map<string, number>();
  d.forEach((x, i) => byPhoto.set(os[i].photo, (byPhoto.get(os[i].photo) ?? 0) + x - m));
  const g = byPhoto.size;
  const clustered = Math.sqrt((g / Math.max(1, g - 1)) * [...byPhoto.values()].reduce((a, x) => a + x * x, 0)) / d.length;
  return `${m >= 0 ? '+' : ''}${m.toFixed(3)} ± ${se.toFixed(3)} (by photo ± ${clustered.toFixed(3)})`;
}

interface Row {
  design: MaskDesign;
  label: string;
  os: Outcome[];
}

export async function benchAdaptiveReplay(shared: string): Promise<void> {
  const dir = process.env.ADAPTIVE_REPLAY_CACHE ?? path.join(os.tmpdir(), 'xai-adaptive-replay');
  fs.mkdirSync(dir, { recursive: true });
  const seeds = Number(process.env.ADAPTIVE_REPLAY_SEEDS ?? 20);
  const eps = (process.env.ADAPTIVE_REPLAY_EPS ?? '0.1,0.2,0.3').split(',').map(Number);
  const growths = (process.env.ADAPTIVE_REPLAY_GROWTH ?? `1.25,${DEFAULT_GROWTH}`).split(',').map(Number);
  const fixed = (process.env.ADAPTIVE_REPLAY_FIXED ?? `${N},400,256`).split(',').map(Number);
  const recs = await collect(shared, dir, seeds, Number(process.env.ADAPTIVE_REPLAY_CPU_S ?? 1800), Number(process.env.ADAPTIVE_REPLAY_WALL_S ?? 3600));
  if (process.env.ADAPTIVE_REPLAY_COLLECT_ONLY === '1') return;
  const rules: Rule[] = growths.flatMap((growth) => [
    { label: `stability ≥ 0.95, growth ${growth}`, rule: { kind: 'STABILITY' } as const, growth },
    ...eps.map((epsilon) => ({ label: `expected gain < ${epsilon}, growth ${growth}`, rule: { kind: 'EXPECTED_GAIN', epsilon } as const, growth })),
  ]);
  const ds = designs();
  // Runs (photo, seed ≤ ADAPTIVE_REPLAY_SEEDS) that every design has, each paired with plain LIME 1,000 at the same photo and seed (the goal's baseline).
  const both = recs
    .flatMap((rec) => Object.keys(rec.seeds).map((s) => ({ rec, seed: Number(s) })))
    .filter(({ rec, seed }) => seed <= seeds && ds.every((d) => runsOf(rec, d)[seed]))
    .map((r) => ({ ...r, consensus: pooledConsensus(r.rec, r.seed) }))
    .filter((r): r is typeof r & { consensus: number[] } => r.consensus !== null);
  if (!both.length) return;
  const photosUsed = new Set(both.map((r) => r.rec.stem)).size;
  const seedsUsed = new Set(both.map((r) => r.seed)).size;
  console.log(`\nstopping rules replayed: ${both.length} runs per configuration (${photosUsed} photos × ${seedsUsed} seeds; MobileNetV2, LIME defaults, top-1 class, top-${K}; consensus = plain LIME on 5,000 samples of the photo's other seeds; cache ${dir})`);
  const rows: Row[] = [];
  let base: Outcome[] = [];
  for (const design of ds) {
    const byRule: Outcome[][] = rules.map(() => []);
    const byFixed: Outcome[][] = fixed.map(() => []);
    const prefixes: Outcome[] = [];
    let runsClaiming = 0;
    for (const { rec, seed, consensus } of both) {
      const r = await replay(rec, seed, consensus, design, rules, fixed);
      r.byRule.forEach((o, i) => byRule[i].push(o));
      r.fixed.forEach((o, i) => byFixed[i].push(o));
      prefixes.push(...r.prefixes);
      if (r.prefixes.some((o) => o.stability >= 0.95)) runsClaiming++;
    }
    if (design === 'LIME') base = byFixed[fixed.indexOf(N)] ?? (await Promise.all(both.map(async ({ rec, seed, consensus }) => (await replay(rec, seed, consensus, 'LIME', [], [N])).fixed[0])));
    fixed.forEach((n, i) => rows.push({ design, label: `fixed ${n}`, os: byFixed[i] }));
    rules.forEach((r, i) => rows.push({ design, label: `${r.label}${r.growth === limeGrowth(design) ? ' (default)' : ''}`, os: byRule[i] }));
    const all = [...byFixed.flat(), ...byRule.flat()];
    console.log(`  ${design}: calibration of the reported top-5 stability (all its outcomes):`);
    const claims = prefixes.filter((o) => o.stability >= 0.95);
    console.log(`    distinct results (each run's every assessed prefix once, ${prefixes.length} in all): ${claims.length} claim ≥ 0.95 (from ${runsClaiming} of ${both.length} runs), consensus set in ${claims.filter((o) => o.overlap === K).length}/${claims.length}`);
    for (const [lo, hi] of [[0, 0.5], [0.5, 0.8], [0.8, 0.95], [0.95, 1.01]]) {
      const c = all.filter((o) => o.stability >= lo && o.stability < hi);
      console.log(`    claimed [${lo}, ${Math.min(hi, 1)}${hi > 1 ? ']' : ')'}: ${c.length} outcomes, mean claim ${mean(c.map((o) => o.stability)).toFixed(3)}, consensus set in ${c.length ? ((100 * c.filter((o) => o.overlap === K).length) / c.length).toFixed(1) : '–'}%`);
    }
  }
  for (const r of rows) {
    const xs = r.os.map((o) => o.samples);
    console.log(`  ${r.design.padEnd(10)} ${r.label.padEnd(46)} overlap ${mean(r.os.map((o) => o.overlap)).toFixed(3)} (${paired(r.os, base)})  samples ${q(xs)}`);
  }
  console.log('\n| design | configuration | top-5 overlap | vs plain 1,000 (paired ± s.e.; by photo) | exact set | samples: median (q1, q3; mean) | claims ≥ 0.95: right |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const xs = r.os.map((o) => o.samples);
    const c = r.os.filter((o) => o.stability >= 0.95);
    const claims = c.length ? `${c.filter((o) => o.overlap === K).length}/${c.length} (${((100 * c.filter((o) => o.overlap === K).length) / c.length).toFixed(0)}%)` : '0';
    console.log(`| ${r.design} | ${r.label} | ${mean(r.os.map((o) => o.overlap)).toFixed(3)} | ${paired(r.os, base)} | ${(100 * r.os.filter((o) => o.overlap === K).length / r.os.length).toFixed(1)}% | ${percentile(xs, 0.5)} (${percentile(xs, 0.25)}, ${percentile(xs, 0.75)}; ${mean(xs).toFixed(0)}) | ${claims} |`);
  }
}

// Run alone (e.g. to fill the cache at low priority): node --import tsx bench/adaptive-replay.ts
if (import.meta.url === `file://${process.argv[1]}`) await benchAdaptiveReplay(path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../shared'));
