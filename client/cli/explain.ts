// `npm run explain -- IMAGE --model NAME --method lime`: uploads an image, requests an explanation, shows
// its progress, saves every artifact and prints the top predictions and the caption. See USAGE (args.ts).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { createXaiClient, isXaiError, XaiError, type ExplanationData, type ModelData, type PredictionData, type XaiClient } from '../sdk/index.ts';
import { parseCommand, USAGE, UsageError, type Command } from './args.ts';
import { createProgress } from './progress.ts';

export const EXIT = { OK: 0, JOB_FAILED: 1, USAGE: 2 } as const;

// `npm run explain` runs in the package root; paths on the command line are relative to where the user
// typed it (npm passes that directory as INIT_CWD).
const userPath = (p: string) => path.resolve(process.env.INIT_CWD ?? process.cwd(), p);

const out = (s = '') => process.stdout.write(`${s}\n`);
const err = (s: string) => process.stderr.write(`${s}\n`);

async function findModel(xai: XaiClient, name: string, version?: string): Promise<ModelData> {
  const model = await xai.modelByName(name, version);
  if (model) return model;
  const names = (await xai.models({ first: 100 })).edges.map((e) => `${e.node.name}:${e.node.version}`);
  throw new XaiError('NOT_FOUND', `no model named "${name}"${version ? ` version ${version}` : ''}; registered: ${names.join(', ') || 'none'}`);
}

async function upload(xai: XaiClient, file: string) {
  let bytes: Buffer;
  try {
    bytes = await readFile(userPath(file));
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return xai.uploadImage(bytes, path.basename(file));
}

function printPredictions(p: PredictionData) {
  out(`Top ${p.classes.length} predictions (${p.model.name}:${p.model.version}, ${p.latencyMs.toFixed(0)} ms):`);
  const w = Math.max(...p.classes.map((c) => c.label.length));
  for (const [i, c] of p.classes.entries()) {
    out(`  ${String(i + 1).padStart(2)}. ${c.label.padEnd(w)}  ${(c.probability * 100).toFixed(2).padStart(6)}%  (class ${c.index})`);
  }
}

/** The database id inside a Relay global id (`Explanation:<id>`), safe as a directory name. */
export function localId(globalId: string): string {
  try {
    const decoded = Buffer.from(globalId, 'base64').toString('utf8');
    const m = /^[A-Za-z]+:([A-Za-z0-9_-]+)$/.exec(decoded);
    if (m) return m[1];
  } catch {
    /* not base64 */
  }
  return globalId.replace(/[^A-Za-z0-9_-]/g, '_');
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

  const progress = createProgress(process.stderr);
  let cancelling = false;
  let interrupted = false;
  const watch = xai.watchExplanation(requested.id, (e) => progress.update(e));
  const onSigint = () => {
    if (interrupted || !cmd.cancelOnInterrupt) {
      progress.note(interrupted ? 'interrupted again: exiting' : `interrupted: job ${requested.id} keeps running on the server`);
      watch.stop();
      process.exit(130);
    }
    interrupted = true;
    cancelling = true;
    progress.note('interrupted: cancelling the job (Ctrl-C again to quit without waiting)');
    xai.cancelExplanation(requested.id).catch((e) => {
      progress.note(`cancel failed: ${(e as Error).message}`);
      process.exit(EXIT.JOB_FAILED);
    });
  };
  process.on('SIGINT', onSigint);
  let final: ExplanationData;
  try {
    final = await watch.done;
  } finally {
    process.off('SIGINT', onSigint);
    progress.done();
  }

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

export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let cmd: Command;
  try {
    cmd = parseCommand(argv, env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`xai explain: ${e.message}\n\n${USAGE}`);
    return EXIT.USAGE;
  }
  if (cmd.kind === 'help') {
    out(USAGE);
    return EXIT.OK;
  }
  const xai = createXaiClient({ url: cmd.common.url, apiKey: cmd.common.apiKey, WebSocket, retryAttempts: 20 });
  try {
    if (cmd.kind === 'models') return await runModels(xai);
    if (cmd.kind === 'predict') return await runPredict(xai, cmd);
    return await runExplain(xai, cmd);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`xai explain: ${e.message}`);
      return EXIT.USAGE;
    }
    if (isXaiError(e)) {
      err(`xai explain: ${e.code}: ${e.message}`);
      return EXIT.USAGE;
    }
    throw e;
  } finally {
    await xai.dispose().catch(() => {});
  }
}

const isEntry = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      err(`xai explain: unexpected error: ${(e as Error).stack ?? e}`);
      process.exit(EXIT.USAGE);
    },
  );
}
