// `npm run study -- --name … --images DIR --models a,b --methods GRAD_CAM,LIME:numFeatures=5`: uploads
// the folder's images, creates one study of images × models × methods, shows its aggregated progress,
// waits for it and writes its results to a folder. See STUDY_USAGE (study-args.ts).
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { isXaiError, XaiError, type StudyLive, type XaiClient } from '../sdk/index.ts';
import { synsetFromFileName } from '../../src/engine/file-name-synset.ts';
import { UsageError } from './args.ts';
import { cliMain, err, EXIT, findModel, followToEnd, localId, out, runIfEntry, upload, userPath } from './common.ts';
import { writeStudyResults } from './study-output.ts';
import { writeReport } from './study-report.ts';
import { parseStudyCommand, STUDY_USAGE, type StudyCommand } from './study-args.ts';

const IMAGE_FILE = /\.(jpe?g|png|webp|gif|tiff?|bmp)$/i;

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

/**
 * The ground truth an ImageNet-style file name (`n02010272_1613.jpg`) gives, by the service's own rule.
 * Nothing is sent when the service reads the same synset from the stored name (so it is marked as read
 * from the file name, as in the portal); it is sent when the stored name differs: uploads are
 * content-addressed, and a picture uploaded before under another name keeps that name.
 */
export function fileNameTruth(file: string, stored: { fileNameSynset: string | null }): { synset: string; send: boolean } | null {
  const synset = synsetFromFileName(path.basename(file));
  return synset ? { synset, send: stored.fileNameSynset !== synset } : null;
}

/** "1 failed, 2 cancelled": the cells that will not be done (cancelled ones until the study is retried). */
export function unfinishedText(p: StudyLive['progress']): string {
  return [...(p.cellsFailed ? [`${p.cellsFailed} failed`] : []), ...(p.cellsCancelled ? [`${p.cellsCancelled} cancelled`] : [])].join(', ');
}

/** `RUNNING   cells     [████░░░░]  45%  12/40  ETA 1m05s`, the study's weighted fraction; the stage
 *  says how many cells failed or were cancelled once some have. */
const progressEvent = (s: StudyLive) => ({
  status: s.state,
  progress: s.progress.fraction,
  stage: unfinishedText(s.progress) || 'cells',
  samplesDone: s.progress.cellsDone,
  samplesTotal: s.progress.cellsTotal,
  etaSeconds: s.progress.etaSeconds,
});

async function runStudy(xai: XaiClient, cmd: Extract<StudyCommand, { kind: 'study' }>): Promise<number> {
  const models = [];
  for (const m of cmd.models) models.push(await findModel(xai, m.name, m.version));
  const files = await imageFiles(userPath(cmd.images));
  const images = [];
  for (const f of files) {
    const image = await upload(xai, f).catch((e) => {
      // In a folder of many, say which file the service refused.
      throw isXaiError(e) ? new XaiError(e.code, `${path.basename(f)}: ${e.message}`, { typename: e.typename, field: e.field, status: e.status, cause: e }) : e;
    });
    images.push({ file: f, image, truth: fileNameTruth(f, image) });
  }
  const truth = images.filter((i) => i.truth);
  const sent = truth.filter((i) => i.truth!.send);
  const study = await xai.createStudy({
    name: cmd.name,
    description: cmd.description,
    seed: cmd.seed,
    images: images.map((i) => i.image.id),
    models: models.map((m) => m.id),
    methods: cmd.methods.map((m) => ({ method: m.method, parameters: m.parameters as never, label: m.label, target: m.target, evaluation: m.evaluation as never })),
    groundTruth: sent.length ? sent.map((i) => ({ image: i.image.id, synset: i.truth!.synset })) : undefined,
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
  const unfinished = unfinishedText(p);
  out(`Study ${cmd.name}: ${final.state}, ${p.cellsDone}/${p.cellsTotal} cells done${unfinished ? `, ${unfinished}` : ''}`);
  const report = await writeReport(xai, final.id, dir);
  out(`Saved ${written.files + (report ? report.files.length + 1 : 0)} files to ${dir}`);
  if (report) out(`Report: ${path.join(dir, 'report.html')} (report.zip, sha256 ${report.sha256.slice(0, 12)}…, ${report.files.length} files)`);
  else out('Report: none (the service has no report archive for this study)');
  if (final.state === 'CANCELLED') {
    // Cells a cancel left waiting are neither done nor cancelled; a retry queues them with the cancelled ones.
    const left = p.cellsTotal - p.cellsDone - p.cellsCancelled;
    err(
      `study ${final.id} was cancelled${cancelling ? ' (Ctrl-C)' : ' (by someone else)'}: ${p.cellsCancelled} of ${p.cellsTotal} cells cancelled, ${p.cellsDone} done` +
        `${left > 0 ? `, ${left} not run` : ''} (retryStudy, or Retry study in the portal, runs them)`,
    );
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
