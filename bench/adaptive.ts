// Adaptive LIME vs plain LIME (issue 15). Per photo: a 5,000-sample consensus top-5 (another seed),
// then plain 1,000-sample LIME and adaptive LIME (numSamples 1,000 as the maximum) with the same
// seeds. Prints the samples adaptive LIME used (distribution), the agreement of each with the
// consensus (mean top-5 overlap and exact-set rate), the end-to-end wall-time ratio, the
// calibration of the reported stability (how often a run claiming ≥ confidence has the consensus
// set) and the bookkeeping share of the wall time. MobileNetV2 on ../shared/images, and the demo
// model on demo drawings; first the stopping rule on synthetic problems with known answers
// (adaptive-synthetic.ts).
// Knobs: ADAPTIVE_BENCH_PHOTOS (default 6, after skipping ADAPTIVE_BENCH_SKIP in name order), ADAPTIVE_BENCH_SEEDS (default 3),
// ADAPTIVE_BENCH_CONFIDENCES (default 0.95,0.8,0.5), ADAPTIVE_BENCH_DEMO=0 to skip the demo model,
// ADAPTIVE_BENCH_REPLAY=0 to skip the stopping rules replayed on the reference photos (adaptive-replay.ts).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDemoModel, drawDemoImage, type DemoShape } from '../src/engine/demo/index.ts';
import type { ExplainRequest, ExplainResult, ModelHandle } from '../src/engine/explain/types.ts';
import { defaultLabels } from '../src/engine/labels.ts';
import { normalizeParameters } from '../src/engine/methods.ts';
import type { AdaptiveRecord } from '../src/engine/perturb/adaptive.ts';
import { createPerturbExplainers } from '../src/engine/perturb/index.ts';
import { topSet, type Uncertainty } from '../src/engine/perturb/uncertainty.ts';
import { inferInputSpec } from '../src/engine/presets.ts';
import { describeSession, SessionCache } from '../src/engine/session.ts';
import { benchAdaptiveReplay } from './adaptive-replay.ts';
import { benchAdaptiveSynthetic } from './adaptive-synthetic.ts';
import { median, percentile } from './stats.ts';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const shared = path.resolve(root, '../shared');
const K = 5;
const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);

interface Run {
  samples: number;
  wallMs: number;
  overlap: number;
  exact: boolean;
  stability: number;
  stopReason: string | null;
  bookkeepingMs: number;
}

const top = (r: ExplainResult) => topSet(r.segments!.weights[0].values, K);

function compare(r: ExplainResult, wallMs: number, consensus: number[]): Run {
  const t = top(r);
  const overlap = t.filter((j) => consensus.includes(j)).length / K;
  const adaptive = r.summary.adaptive as AdaptiveRecord | undefined;
  const u = r.summary.uncertainty as Uncertainty;
  return {
    samples: r.summary.samplesUsed as number,
    wallMs,
    overlap,
    exact: overlap === 1,
    stability: u.stability,
    stopReason: adaptive?.stopReason ?? null,
    bookkeepingMs: (adaptive?.bookkeepingMs ?? 0) + (r.summary.uncertaintyMs as number),
  };
}

function summarize(label: string, runs: Run[], plainWall: number): void {
  const samples = runs.map((r) => r.samples);
  const wall = runs.reduce((a, r) => a + r.wallMs, 0);
  const overlap = runs.reduce((a, r) => a + r.overlap, 0) / runs.length;
  const exact = runs.filter((r) => r.exact).length / runs.length;
  const book = runs.reduce((a, r) => a + r.bookkeepingMs, 0) / wall;
  const stopped = runs.filter((r) => r.stopReason === 'STABLE').length;
  console.log(
    `  ${label.padEnd(30)} samples median ${median(samples)} (p10 ${percentile(samples, 0.1)}, p90 ${percentile(samples, 0.9)}, min ${Math.min(...samples)}, max ${Math.max(...samples)})` +
      `  top-5 overlap ${overlap.toFixed(3)}  exact set ${exact.toFixed(3)}  wall ${(wall / 1000).toFixed(1)} s (speed-up ×${(plainWall / wall).toFixed(2)})` +
      `  bookkeeping ${(100 * book).toFixed(2)}%` +
      (runs[0].stopReason !== null ? `  stopped STABLE ${stopped}/${runs.length}` : ''),
  );
}

function calibration(label: string, runs: Run[], threshold: number): void {
  const claims = runs.filter((r) => r.stability >= threshold);
  const right = claims.filter((r) => r.exact).length;
  const mean = runs.reduce((a, r) => a + r.stability, 0) / runs.length;
  const rate = runs.filter((r) => r.exact).length / runs.length;
  console.log(
    `  ${label.padEnd(30)} runs claiming stability ≥ ${threshold}: ${claims.length}/${runs.length}, consensus set in ${claims.length ? ((100 * right) / claims.length).toFixed(1) : '–'}%` +
      `   mean stability ${mean.toFixed(3)} vs exact-set rate ${rate.toFixed(3)}`,
  );
}

async function benchModel(title: string, model: ModelHandle, images: [string, Buffer][], sessions: SessionCache, seeds: number): Promise<void> {
  const ex = createPerturbExplainers({ sessions });
  const confidences = (process.env.ADAPTIVE_BENCH_CONFIDENCES ?? '0.95,0.8,0.5').split(',').map(Number);
  const req = (image: Buffer, seed: number, lime: Record<string, unknown>): ExplainRequest => ({
    model,
    image,
    method: 'LIME',
    params: normalizeParameters('LIME', { target: { kind: 'TOP', k: 1 }, lime: { stabilityTopK: K, ...lime } } as never, model.numClasses),
    seed,
  });
  const timed = async (r: ExplainRequest) => {
    const t0 = performance.now();
    const out = await ex.explainLime(r, {});
    return { out, ms: performance.now() - t0 };
  };
  console.log(`\n${title}: ${images.length} images × ${seeds} seeds, top-${K} by |weight| of the top-1 class, consensus = 5,000 samples (seed 1000)`);
  await timed(req(images[0][1], 0, { numSamples: 100 })); // warm-up
  const plain: Run[] = [];
  const adaptive = new Map<number, Run[]>(confidences.map((c) => [c, []]));
  for (const [name, image] of images) {
    const consensus = top((await timed(req(image, 1000, { numSamples: 5000 }))).out);
    const line: string[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const p = await timed(req(image, seed, { numSamples: 1000 }));
      const pr = compare(p.out, p.ms, consensus);
      plain.push(pr);
      line.push(`plain ${pr.overlap.toFixed(1)}/${pr.stability.toFixed(2)}`);
      for (const c of confidences) {
        const a = await timed(req(image, seed, { numSamples: 1000, adaptive: true, confidence: c }));
        const ar = compare(a.out, a.ms, consensus);
        adaptive.get(c)!.push(ar);
        line.push(`c${c} ${ar.samples} ${ar.overlap.toFixed(1)}/${ar.stability.toFixed(2)}`);
      }
    }
    console.log(`  ${name.padEnd(22)} M ${(await timed(req(image, 1, { numSamples: 10 }))).out.segments!.count}  ${line.join('  ')}`);
  }
  const plainWall = plain.reduce((a, r) => a + r.wallMs, 0);
  summarize('plain 1000', plain, plainWall);
  for (const [c, runs] of adaptive) summarize(`adaptive ≤1000, confidence ${c}`, runs, plainWall);
  calibration('plain 1000', plain, 0.95);
  for (const [c, runs] of adaptive) calibration(`adaptive, confidence ${c}`, runs, c);
}

export async function benchAdaptive(): Promise<void> {
  await benchAdaptiveSynthetic();
  const seeds = num('ADAPTIVE_BENCH_SEEDS', 3);
  const modelFile = path.join(shared, 'models/mobilenetv2-float.onnx');
  if (fs.existsSync(modelFile) && process.env.ADAPTIVE_BENCH_REPLAY !== '0') await benchAdaptiveReplay(shared);
  if (fs.existsSync(modelFile)) {
    const sessions = new SessionCache();
    const probe = await sessions.get(modelFile, () => modelFile);
    const { spec } = inferInputSpec(describeSession(probe));
    const model: ModelHandle = { key: modelFile, path: modelFile, spec, numClasses: 1000, labels: defaultLabels(1000), outputKind: 'LOGITS', quantized: false };
    const files = fs
      .readdirSync(path.join(shared, 'images'))
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .slice(num('ADAPTIVE_BENCH_SKIP', 0), num('ADAPTIVE_BENCH_SKIP', 0) + num('ADAPTIVE_BENCH_PHOTOS', 6));
    await benchModel('MobileNetV2, ../shared/images, LIME defaults (quickshift)', model, files.map((f) => [f, fs.readFileSync(path.join(shared, 'images', f))]), sessions, seeds);
    await sessions.close();
  } else {
    console.log(`\nadaptive LIME on MobileNetV2: skipped, ${modelFile} is absent`);
  }
  if (process.env.ADAPTIVE_BENCH_DEMO === '0') return;
  const demo = buildDemoModel();
  const file = path.join(fs.mkdtempSync(path.join((await import('node:os')).tmpdir(), 'xai-bench-')), 'demo.onnx');
  fs.writeFileSync(file, demo.onnx);
  const model: ModelHandle = { key: 'demo', path: file, spec: demo.spec, numClasses: demo.labels.length, labels: demo.labels, outputKind: 'LOGITS', quantized: false };
  const drawings: [string, Buffer][] = [];
  const colors = ['red', 'green', 'blue', 'yellow'] as const;
  for (let i = 0; i < 4; i++) {
    const shapes: DemoShape[] = [0, 1, 2].map((s) => ({ color: colors[(i + s) % 4], kind: s === 1 ? 'disc' : 'square', x: 20 + 60 * s, y: 30 + 40 * ((i + s) % 3), size: 50 - 8 * s }));
    drawings.push([`demo drawing ${i + 1}`, (await drawDemoImage({ seed: 11 + i, shapes })).png]);
  }
  const sessions = new SessionCache();
  await benchModel('demo model, demo drawings (3 shapes each), LIME defaults', model, drawings, sessions, seeds);
  await sessions.close();
}

if (import.meta.url === `file://${process.argv[1]}`) await benchAdaptive();
