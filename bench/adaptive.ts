// Adaptive LIME vs plain LIME end to end through the engine (issue 15). Per photo: a 5,000-sample
// consensus top-5 (seed 1000), then for each seed plain 1,000-sample LIME and every adaptive option
// the API has (numSamples 1,000 as the maximum), same photo and seed, interleaved so a change in the
// machine's load hits every option alike: stoppingRule STABILITY (confidence 0.95) and EXPECTED_GAIN
// (each ε), each with maskDesign LIME and ANTITHETIC. Prints per option the samples used (distribution),
// the stop reasons, the agreement with the consensus (mean top-5 overlap, exact-set rate), the
// wall-time ratio plain ÷ option measured in this run (over the summed wall times, and the median of the
// per photo-and-seed ratios), the calibration of the reported stability and the bookkeeping share: the
// adaptive record's bookkeepingMs ÷ the run's wall time (the issue's ≤ 5 %), and with the final
// uncertainty summary (uncertaintyMs) added. MobileNetV2 on ../shared/images, and the demo model on
// demo drawings; first the stopping rule on synthetic problems with known answers (adaptive-synthetic.ts).
// Knobs: ADAPTIVE_BENCH_PHOTOS (default 6, after skipping ADAPTIVE_BENCH_SKIP in name order) or
// ADAPTIVE_BENCH_FILES (comma-separated names), ADAPTIVE_BENCH_SEEDS (default 3), ADAPTIVE_BENCH_EPS
// (default 0.1,0.25,0.5), ADAPTIVE_BENCH_DESIGNS (default LIME,ANTITHETIC), ADAPTIVE_BENCH_CONSENSUS=0 to
// skip the consensus, ADAPTIVE_BENCH_STABILITY=0 to skip the STABILITY options, ADAPTIVE_BENCH_DEMO=0 to
// skip the demo model, ADAPTIVE_BENCH_SYNTHETIC=0 to skip the synthetic problems, ADAPTIVE_BENCH_REPLAY=0
// to skip the stopping rules replayed on the reference photos (adaptive-replay.ts).
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
const N = 1000;
const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const list = (name: string, dflt: string) => (process.env[name] ?? dflt).split(',').filter(Boolean);

interface Run {
  samples: number;
  wallMs: number;
  /** Top-5 overlap with the consensus (0..1), null without a consensus. */
  overlap: number | null;
  stability: number;
  stopReason: string | null;
  /** The adaptive record's bookkeepingMs (fits and assessments at the checks), 0 for plain runs. */
  bookkeepingMs: number;
  /** The final uncertainty summary's time (every run has one). */
  uncertaintyMs: number;
  /** Wall time of plain 1,000 LIME on the same photo and seed. */
  plainMs: number;
}

/** An option of the API's LIME input, as a request's lime block. */
interface Option {
  label: string;
  lime: Record<string, unknown>;
}

function options(): Option[] {
  const out: Option[] = [];
  for (const design of list('ADAPTIVE_BENCH_DESIGNS', 'LIME,ANTITHETIC')) {
    const base = { numSamples: N, adaptive: true, maskDesign: design };
    if (process.env.ADAPTIVE_BENCH_STABILITY !== '0') out.push({ label: `STABILITY 0.95, ${design}`, lime: { ...base, stoppingRule: 'STABILITY', confidence: 0.95 } });
    for (const eps of list('ADAPTIVE_BENCH_EPS', '0.1,0.25,0.5').map(Number)) {
      out.push({ label: `EXPECTED_GAIN ε ${eps}, ${design}`, lime: { ...base, stoppingRule: 'EXPECTED_GAIN', gainTolerance: eps } });
    }
  }
  return out;
}

const top = (r: ExplainResult) => topSet(r.segments!.weights[0].values, K);

function measure(r: ExplainResult, wallMs: number, consensus: number[] | null, plainMs: number): Run {
  const adaptive = r.summary.adaptive as AdaptiveRecord | undefined;
  const t = top(r);
  return {
    samples: r.summary.samplesUsed as number,
    wallMs,
    overlap: consensus ? t.filter((j) => consensus.includes(j)).length / K : null,
    stability: (r.summary.uncertainty as Uncertainty).stability,
    stopReason: adaptive?.stopReason ?? null,
    bookkeepingMs: adaptive?.bookkeepingMs ?? 0,
    uncertaintyMs: r.summary.uncertaintyMs as number,
    plainMs,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

function summarize(label: string, runs: Run[]): void {
  const samples = runs.map((r) => r.samples);
  const wall = runs.reduce((a, r) => a + r.wallMs, 0);
  const plainWall = runs.reduce((a, r) => a + r.plainMs, 0);
  const ratios = runs.map((r) => r.plainMs / r.wallMs);
  const scored = runs.filter((r) => r.overlap !== null);
  const agreement = scored.length
    ? `  top-5 overlap ${((K * scored.reduce((a, r) => a + r.overlap!, 0)) / scored.length).toFixed(2)}/5, exact set ${(scored.filter((r) => r.overlap === 1).length / scored.length).toFixed(3)}`
    : '';
  const reasons = new Map<string, number>();
  for (const r of runs) if (r.stopReason) reasons.set(r.stopReason, (reasons.get(r.stopReason) ?? 0) + 1);
  const book = runs.map((r) => r.bookkeepingMs / r.wallMs);
  const withFinal = runs.map((r) => (r.bookkeepingMs + r.uncertaintyMs) / r.wallMs);
  console.log(
    `  ${label.padEnd(30)} samples median ${median(samples)} (q1 ${percentile(samples, 0.25)}, q3 ${percentile(samples, 0.75)}, min ${Math.min(...samples)}, max ${Math.max(...samples)})` +
      `  wall ${(wall / 1000).toFixed(1)} s, plain ÷ this ×${(plainWall / wall).toFixed(2)} (median per run ×${median(ratios).toFixed(2)}; samples ×${((N * runs.length) / samples.reduce((a, b) => a + b, 0)).toFixed(2)})` +
      agreement +
      (reasons.size ? `  stops ${[...reasons].map(([k, v]) => `${k} ${v}`).join(', ')}` : '') +
      `  bookkeeping ÷ wall median ${pct(median(book))}, max ${pct(Math.max(...book))} (with the final summary: median ${pct(median(withFinal))}, max ${pct(Math.max(...withFinal))})`,
  );
}

function calibration(label: string, runs: Run[], threshold: number): void {
  const scored = runs.filter((r) => r.overlap !== null);
  if (!scored.length) return;
  const claims = scored.filter((r) => r.stability >= threshold);
  const right = claims.filter((r) => r.overlap === 1).length;
  const mean = scored.reduce((a, r) => a + r.stability, 0) / scored.length;
  const rate = scored.filter((r) => r.overlap === 1).length / scored.length;
  console.log(
    `  ${label.padEnd(30)} runs claiming stability ≥ ${threshold}: ${claims.length}/${scored.length}, consensus set in ${claims.length ? ((100 * right) / claims.length).toFixed(1) : '–'}%` +
      `   mean stability ${mean.toFixed(3)} vs exact-set rate ${rate.toFixed(3)}`,
  );
}

async function benchModel(title: string, model: ModelHandle, images: [string, Buffer][], sessions: SessionCache, seeds: number): Promise<void> {
  const ex = createPerturbExplainers({ sessions });
  const opts = options();
  const withConsensus = process.env.ADAPTIVE_BENCH_CONSENSUS !== '0';
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
  console.log(
    `\n${title}: ${images.length} images × ${seeds} seeds, top-${K} by |weight| of the top-1 class, plain = LIME ${N} samples` +
      (withConsensus ? ', consensus = plain LIME on 5,000 samples (seed 1000)' : ', no consensus'),
  );
  // Warm-up, plain and each adaptive option at full size, so the runs measure a warm process: a
  // process's first adaptive run also compiles the checks' code (its bookkeeping share ~1.5-2× the
  // later runs' on bittern's 960 samples).
  await timed(req(images[0][1], 0, { numSamples: 100 }));
  for (const o of opts) await timed(req(images[0][1], 0, o.lime));
  const plain: Run[] = [];
  const runs = new Map<string, Run[]>(opts.map((o) => [o.label, []]));
  for (const [name, image] of images) {
    const consensus = withConsensus ? top((await timed(req(image, 1000, { numSamples: 5000 }))).out) : null;
    const line: string[] = [];
    let segments = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const p = await timed(req(image, seed, { numSamples: N }));
      segments = p.out.segments!.count;
      const pr = measure(p.out, p.ms, consensus, p.ms);
      plain.push(pr);
      line.push(`s${seed} plain ${(p.ms / 1000).toFixed(1)} s${pr.overlap !== null ? ` ${pr.overlap * K}/5` : ''}`);
      for (const o of opts) {
        const a = await timed(req(image, seed, o.lime));
        const ar = measure(a.out, a.ms, consensus, p.ms);
        runs.get(o.label)!.push(ar);
        line.push(`${o.label.replace('EXPECTED_GAIN ε ', 'G').replace('STABILITY 0.95', 'S').replace(', ANTITHETIC', 'a').replace(', LIME', '')} ${ar.samples}${ar.overlap !== null ? ` ${ar.overlap * K}/5` : ''}`);
      }
    }
    console.log(`  ${name.padEnd(18)} M ${segments}  ${line.join('  ')}`);
  }
  summarize(`plain ${N}`, plain);
  for (const [label, rs] of runs) summarize(label, rs);
  calibration(`plain ${N}`, plain, 0.95);
  for (const [label, rs] of runs) if (label.startsWith('STABILITY')) calibration(label, rs, 0.95);
}

export async function benchAdaptive(): Promise<void> {
  if (process.env.ADAPTIVE_BENCH_SYNTHETIC !== '0') await benchAdaptiveSynthetic();
  const seeds = num('ADAPTIVE_BENCH_SEEDS', 3);
  const modelFile = path.join(shared, 'models/mobilenetv2-float.onnx');
  if (fs.existsSync(modelFile) && process.env.ADAPTIVE_BENCH_REPLAY !== '0') await benchAdaptiveReplay(shared);
  if (fs.existsSync(modelFile)) {
    const sessions = new SessionCache();
    const probe = await sessions.get(modelFile, () => modelFile);
    const { spec } = inferInputSpec(describeSession(probe));
    const model: ModelHandle = { key: modelFile, path: modelFile, spec, numClasses: 1000, labels: defaultLabels(1000), outputKind: 'LOGITS', quantized: false };
    const files = process.env.ADAPTIVE_BENCH_FILES
      ? list('ADAPTIVE_BENCH_FILES', '')
      : fs
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
