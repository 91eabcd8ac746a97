// `npm run explain -- IMAGE --model NAME --method lime`: uploads an image, requests an explanation, shows
// its progress, saves every artifact and prints the top predictions and the caption. See USAGE (args.ts).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExplanationData, PredictionData, XaiClient } from '../sdk/index.ts';
import { parseCommand, USAGE, type Command } from './args.ts';
import { cliMain, err, EXIT, findModel, followToEnd, localId, out, runIfEntry, upload, userPath } from './common.ts';

function printPredictions(p: PredictionData) {
  out(`Top ${p.classes.length} predictions (${p.model.name}:${p.model.version}, ${p.latencyMs.toFixed(0)} ms):`);
  const w = Math.max(...p.classes.map((c) => c.label.length));
  for (const [i, c] of p.classes.entries()) {
    out(`  ${String(i + 1).padStart(2)}. ${c.label.padEnd(w)}  ${(c.probability * 100).toFixed(2).padStart(6)}%  (class ${c.index})`);
  }
}

async function saveResults(xai: XaiClient, e: ExplanationData, prediction: PredictionData, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const a of e.artifacts) {
    const name = path.basename(a.name) || `artifact-${files.length}`;
    const file = path.join(dir, name);
    await writeFile(file, await xai.download(a.url));
    files.push(file);
  }
  const meta = path.join(dir, 'explanation.json');
  const { artifacts, ...rest } = e;
  await writeFile(
    meta,
    `${JSON.stringify({ ...rest, artifacts: artifacts.map((a) => ({ ...a, url: xai.fileUrl(a.url) })), prediction }, null, 2)}\n`,
  );
  files.push(meta);
  return files;
}

async function runExplain(xai: XaiClient, cmd: Extract<Command, { kind: 'explain' }>): Promise<number> {
  const model = await findModel(xai, cmd.model, cmd.version);
  const image = await upload(xai, cmd.image);
  const prediction = await xai.predict({ image: image.id, model: model.id, topK: cmd.topK });
  const requested = await xai.requestExplanation({
    image: image.id,
    model: model.id,
    method: cmd.method,
    parameters: cmd.parameters as never,
    target: cmd.target,
    seed: cmd.seed,
    priority: cmd.priority,
    study: cmd.study,
    force: cmd.force,
  });
  err(`explanation ${requested.id} (${cmd.method} on ${path.basename(cmd.image)} with ${model.name}) ${requested.status.toLowerCase()}`);

  const { final, cancelling } = await followToEnd<ExplanationData>({
    what: `job ${requested.id}`,
    cancelOnInterrupt: cmd.cancelOnInterrupt,
    watch: (onUpdate) => xai.watchExplanation(requested.id, onUpdate),
    progressOf: (e) => e,
    cancel: () => xai.cancelExplanation(requested.id),
  });

  if (final.status === 'CANCELLED') {
    err(`explanation ${final.id} was cancelled${cancelling ? '' : ' (by someone else)'}`);
    return EXIT.JOB_FAILED;
  }
  if (final.status === 'FAILED') {
    err(`explanation ${final.id} failed: ${final.error?.code ?? 'ERROR'}: ${final.error?.message ?? 'no message'}`);
    return EXIT.JOB_FAILED;
  }
  const dir = userPath(cmd.out ?? path.join('xai-results', localId(final.id)));
  const files = await saveResults(xai, final, prediction, dir);
  printPredictions(prediction);
  out(`Explained class${final.targetClasses.length > 1 ? 'es' : ''}: ${final.targetClasses.join(', ')}`);
  out(`Caption: ${final.caption ?? '(none)'}`);
  out(`Duration: ${final.durationMs === null ? '?' : `${(final.durationMs / 1000).toFixed(1)} s`}`);
  out(`Saved ${files.length} files to ${dir}:`);
  for (const f of files) out(`  ${path.basename(f)}`);
  return EXIT.OK;
}

async function runPredict(xai: XaiClient, cmd: Extract<Command, { kind: 'predict' }>): Promise<number> {
  const model = await findModel(xai, cmd.model, cmd.version);
  const image = await upload(xai, cmd.image);
  printPredictions(await xai.predict({ image: image.id, model: model.id, topK: cmd.topK }));
  return EXIT.OK;
}

/** "resize 256, crop, bilinear" or "stretch, nearest", then the decode options that differ from PIL's. */
function preprocessing(i: { resizeMode: string; resizeShorter: number | null; interpolation: string; colorProfile: string; orientation: string }): string {
  const resize = i.resizeMode === 'STRETCH' ? 'stretch' : `resize ${i.resizeShorter}, crop`;
  const decode = [i.colorProfile === 'CONVERT_TO_SRGB' ? 'icc→srgb' : '', i.orientation === 'APPLY' ? 'exif' : ''].filter(Boolean);
  return [resize, i.interpolation.toLowerCase(), ...decode].join(', ');
}

async function runModels(xai: XaiClient): Promise<number> {
  const rows = (await xai.models({ first: 100 })).edges.map(({ node: m }) => [
    m.name,
    m.version,
    String(m.numClasses),
    `${m.input.width}×${m.input.height}`,
    preprocessing(m.input),
    [m.builtin ? 'builtin' : '', m.quantized ? 'quantized' : ''].filter(Boolean).join(','),
    m.id,
  ]);
  const header = ['NAME', 'VERSION', 'CLASSES', 'INPUT', 'PREPROCESSING', 'FLAGS', 'ID'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [header, ...rows]) out(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  return EXIT.OK;
}

export const main = cliMain('xai explain', USAGE, parseCommand, (xai, cmd) => (cmd.kind === 'models' ? runModels(xai) : cmd.kind === 'predict' ? runPredict(xai, cmd) : runExplain(xai, cmd)));

runIfEntry(import.meta.url, 'xai explain', main);
