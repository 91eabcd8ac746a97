// `npm run study -- --name … --images DIR --models a,b --methods GRAD_CAM,LIME:numFeatures=5`: uploads
// the folder's images, creates one study of images × models × methods, shows its aggregated progress,
// waits for it and writes its results to a folder. See STUDY_USAGE (study-args.ts).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { StudyLive, XaiClient } from '../sdk/index.ts';
import { UsageError } from './args.ts';
import { cliMain, err, EXIT, findModel, followToEnd, localId, out, runIfEntry, upload, userPath } from './common.ts';
import { writeStudyResults } from './study-output.ts';
import { writeReport } from './study-report.ts';
import { parseStudyCommand, STUDY_USAGE, type StudyCommand } from './study-args.ts';

const IMAGE_FILE = /\.(jpe?g|png|webp|gif|tiff?|bmp)$/i;
/** ImageNet-style file names (`n02010272_1613.jpg`) carry the image's ground-truth synset. */
const SYNSET_NAME = /^(n\d{8})(?=[_.-])/;

export async function imageFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile() && IMAGE_FILE.test(d.name)).map((d) => d.name);
  } catch (e) {
    throw new UsageError(`cannot read the folder ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!names.length) throw new UsageError(`no images (jpg, png, webp, gif, tiff, bmp) in ${dir}`);
  return names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).map((n) => path.join(dir, n));
}

export const synsetOf = (file: string): string | null => SYNSET_NAME.exec(path.basename(file))?.[1] ?? null;

/** `RUNNING   cells     [████░░░░]  45%  12/40  ETA 1m05s`, the study's weighted fraction. */
const progressEvent = (s: StudyLive) => ({
  status: s.state,
  progress: s.progress.fraction,
  stage: s.progress.cellsFailed ? `${s.progress.cellsFailed} failed` : 'cells',
  samplesDone: s.progress.cellsDone,
  samplesTotal: s.progress.cellsTotal,
  etaSeconds: s.progress.etaSeconds,
});

async function runStudy(xai: XaiClient, cmd: Extract<StudyCommand, { kind: 'study' }>): Promise<number> {
  const models = [];
  for (const m of cmd.models) models.push(await findModel(xai, m.name, m.version));
  const files = await imageFiles(userPath(cmd.images));
  const images = [];
  for (const f of files) images.push({ file: f, image: await upload(xai, f), synset: synsetOf(f) });
  const truth = images.filter((i) => i.synset);
  const study = await xai.createStudy({
    name: cmd.name,
    description: cmd.description,
    seed: cmd.seed,
    images: images.map((i) => i.image.id),
    models: models.map((m) => m.id),
    methods: cmd.methods.map((m) => ({ method: m.method, parameters: m.parameters as never, label: m.label, evaluation: m.evaluation as never })),
    groundTruth: truth.length ? truth.map((i) => ({ image: i.image.id, synset: i.synset })) : undefined,
  });
  err(
    `study ${study.id} (${cmd.name}): ${images.length} image${images.length === 1 ? '' : 's'} × ${models.length} model${models.length === 1 ? '' : 's'} × ${cmd.methods.length} method${cmd.methods.length === 1 ? '' : 's'} = ${study.progress.cellsTotal} cells` +
      (truth.length ? `; ground truth from file names for ${truth.length}` : ''),
  );

  const { final, cancelling } = await followToEnd<StudyLive>({
    what: `study ${study.id}`,
    cancelOnInterrupt: cmd.cancelOnInterrupt,
    watch: (onUpdate) => xai.watchStudy(study.id, onUpdate),
    progressOf: progressEvent,
    cancel: () => xai.cancelStudy(study.id),
  });
  const dir = userPath(cmd.out ?? path.join('xai-studies', localId(final.id)));
  const written = await writeStudyResults(xai, final.id, dir);
  const p = final.progress;
  out(`Study ${cmd.name}: ${final.state}, ${p.cellsDone}/${p.cellsTotal} cells done${p.cellsFailed ? `, ${p.cellsFailed} failed` : ''}`);
  const report = await writeReport(xai, final.id, dir);
  out(`Saved ${written.files + (report ? report.files.length + 1 : 0)} files to ${dir}`);
  if (report) out(`Report: ${path.join(dir, 'report.html')} (report.zip, sha256 ${report.sha256.slice(0, 12)}…, ${report.files.length} files)`);
  else out('Report: none (the service has no report archive for this study)');
  if (final.state === 'CANCELLED') {
    err(`study ${final.id} was cancelled${cancelling ? '' : ' (by someone else)'}`);
    return EXIT.JOB_FAILED;
  }
  if (final.state === 'FAILED') {
    for (const f of written.failures) err(`  ${f}`);
    err(`study ${final.id} failed: ${p.cellsFailed} of ${p.cellsTotal} cells failed`);
    return EXIT.JOB_FAILED;
  }
  return EXIT.OK;
}

export const main = cliMain('xai study', STUDY_USAGE, parseStudyCommand, runStudy);

runIfEntry(import.meta.url, 'xai study', main);
