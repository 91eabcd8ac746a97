// A study moving forward: its cells' explanations change state (in this process or in a BullMQ
// worker), and each change lands here. Finished cells make room in the study's window of queued
// cells, so the next ones are queued; the study's state follows its cells; subscribers are told.
// Everything is read from and written to the database, so any process can pick up where another
// stopped (a restart resumes every unfinished study).
import type { App } from '../app.js';
import { LOCAL_IDENTITY } from '../auth.js';
import { CAM_METHODS, type Method } from '../engine/methods.js';
import type { Explanation, Study, StudyCell } from '../generated/sqlite/client.js';
import { findReusable, prepareExplanation, queueExplanation } from './explanation-queue.js';
import { hasQueuedJobsQuota, queuedJobsRoom } from './quotas.js';
import { storeStudyResults } from './study-finish.js';
import { ACTIVE, isTerminal, type Status } from './statuses.js';

/** Parameters of a study method as given (a target block and one method block). */
export interface StudyMethodParameters {
  target: { topK?: number | null; classIndices?: number[] | null } | null;
  parameters: Record<string, object | null | undefined>;
  evaluation?: { faithfulness?: object | null; randomization?: object | null } | null;
}

export type CellState = 'PENDING' | Status;

export const cellStateOf = (cell: { explanation: Pick<Explanation, 'status'> | null }): CellState =>
  cell.explanation ? (cell.explanation.status as Status) : 'PENDING';

const isCam = (method: string) => (CAM_METHODS as readonly string[]).includes(method);

/** Runs `fn` after every earlier call with the same key has settled (in this process). */
const chains = new Map<string, Promise<void>>();
function serially(key: string, fn: () => Promise<void>): Promise<void> {
  const next = (chains.get(key) ?? Promise.resolve()).then(fn);
  const settled = next.catch(() => undefined);
  chains.set(key, settled);
  void settled.then(() => {
    if (chains.get(key) === settled) chains.delete(key);
  });
  return next;
}

/** Advancing one study is serialized in this process, and so is the queuing of one creator's studies
 *  (they share the creator's XAI_QUOTA_QUEUED_JOBS); across processes the conditional cell update
 *  keeps a cell from getting two explanations. */
export function advanceStudy(app: App, studyId: string): Promise<void> {
  return serially(`study:${studyId}`, () => advanceNow(app, studyId)).catch((e) => console.error(`study ${studyId}: could not queue cells:`, e));
}

async function advanceNow(app: App, studyId: string): Promise<void> {
  const study = await app.prisma.study.findUnique({ where: { id: studyId } });
  if (!study || (study.state !== 'QUEUED' && study.state !== 'RUNNING')) return;
  await serially(`creator:${study.createdBy ?? LOCAL_IDENTITY}`, () => queueWindow(app, study));
  await refreshStudyState(app, studyId);
}

/**
 * Queues the study's next pending cells: as many as its window has room for, and never more than its
 * creator's queued-jobs quota has left (the quota counts every explanation the creator has queued or
 * running, the study's and the creator's single requests alike). Whatever is not queued now is
 * queued when one of them finishes (explanationChangedForStudies).
 */
async function queueWindow(app: App, study: Study): Promise<void> {
  const studyId = study.id;
  for (;;) {
    const active = await app.prisma.studyCell.count({ where: { studyId, explanation: { status: { in: [...ACTIVE] } } } });
    let windowRoom = app.config.studyWindow - active;
    let quotaRoom = await queuedJobsRoom(app, study.createdBy);
    if (windowRoom <= 0 || quotaRoom <= 0) return;
    const methods = new Map((await app.prisma.studyMethod.findMany({ where: { studyId } })).map((m) => [m.key, m]));
    const pending = await app.prisma.studyCell.findMany({ where: { studyId, explanationId: null }, orderBy: { position: 'asc' }, take: windowRoom + CAM_METHODS.length * methods.size });
    const chosen: StudyCell[] = [];
    for (const cell of pending) {
      const method = methods.get(cell.methodKey)!.method;
      // The CAM cells of one image and model go together (beyond the window, not beyond the quota), so
      // one job can compute them from one pass.
      const joinsGroup = isCam(method) && chosen.some((c) => c.imageId === cell.imageId && c.modelId === cell.modelId && isCam(methods.get(c.methodKey)!.method));
      if (quotaRoom <= 0 || (windowRoom <= 0 && !joinsGroup)) break;
      chosen.push(cell);
      windowRoom--;
      quotaRoom--;
    }
    let finishedAlready = false;
    for (const cell of chosen) {
      const m = methods.get(cell.methodKey)!;
      if ((await queueCell(app, study, cell, m.method as Method, m.parameters as unknown as StudyMethodParameters)) === 'finished') finishedAlready = true;
    }
    // A cell that found an identical explanation already finished sends no event that would queue
    // the next ones: look again now.
    if (!finishedAlready) return;
  }
}

/** Points a pending cell at an identical explanation, or at a new queued one; says which (or that it
 *  could not). */
async function queueCell(app: App, study: Study, cell: StudyCell, method: Method, p: StudyMethodParameters): Promise<'queued' | 'active' | 'finished' | 'skipped'> {
  let prepared;
  try {
    prepared = await prepareExplanation(app, { imageId: cell.imageId, modelId: cell.modelId, method, target: p.target, parameters: p.parameters, evaluation: p.evaluation ?? null, seed: study.seed });
  } catch (e) {
    // Validated when the study was created; only a vanished layer or baseline image gets here.
    console.error(`study ${study.id}: cell ${cell.id} cannot be queued:`, e);
    return 'skipped';
  }
  const reused = await findReusable(app, prepared.requestKeys);
  const explanation = reused ?? (await queueExplanation(app, prepared, { createdBy: study.createdBy ?? LOCAL_IDENTITY, priority: study.priority, studyId: study.id, enqueue: false }));
  const { count } = await app.prisma.studyCell.updateMany({ where: { id: cell.id, explanationId: null }, data: { explanationId: explanation.id } });
  if (count === 0) {
    // Another process queued this cell meanwhile: drop ours before any worker sees it.
    if (!reused) await app.prisma.explanation.deleteMany({ where: { id: explanation.id, status: 'QUEUED' } });
    return 'skipped';
  }
  if (reused) return isTerminal(reused.status) ? 'finished' : 'active';
  await app.jobs?.enqueued(explanation);
  return 'queued';
}

/** The study's state from its cells: waiting, running, or finished (failed if any cell failed). */
function stateFromCells(study: Study, states: CellState[]): Status {
  const open = states.some((s) => s === 'PENDING' || s === 'QUEUED' || s === 'RUNNING');
  if (study.state === 'CANCELLED') return 'CANCELLED';
  if (open) return states.some((s) => s !== 'PENDING' && s !== 'QUEUED') ? 'RUNNING' : 'QUEUED';
  if (states.includes('FAILED')) return 'FAILED';
  if (states.includes('CANCELLED')) return 'CANCELLED';
  return 'SUCCEEDED';
}

const cellStates = async (app: App, studyId: string): Promise<CellState[]> =>
  (await app.prisma.studyCell.findMany({ where: { studyId }, select: { explanation: { select: { status: true } } } })).map(cellStateOf);

/**
 * The study's state from its cells. When every cell has finished, the study stays RUNNING until its
 * finishing step (finishStudy) has stored its results: where the jobs run (a BullMQ worker) or here.
 */
export async function refreshStudyState(app: App, studyId: string): Promise<void> {
  const study = await app.prisma.study.findUnique({ where: { id: studyId } });
  if (!study) return;
  let state = stateFromCells(study, await cellStates(app, studyId));
  const finishing = isTerminal(state) && !isTerminal(study.state);
  if (finishing) state = 'RUNNING';
  const startedAt = study.startedAt ?? (state !== 'QUEUED' ? new Date() : null);
  const finishedAt = isTerminal(state) ? (study.finishedAt ?? new Date()) : null;
  if (state !== study.state || startedAt?.getTime() !== study.startedAt?.getTime() || finishedAt?.getTime() !== study.finishedAt?.getTime()) {
    // Conditional on the state read, so a concurrent cancel is not overwritten.
    await app.prisma.study.updateMany({ where: { id: studyId, state: study.state }, data: { state, startedAt, finishedAt } });
  }
  app.events.studyChanged(studyId);
  if (finishing) await (app.jobs?.finishStudy ? app.jobs.finishStudy(studyId) : serially(`finish:${studyId}`, () => finishStudy(app, studyId)));
}

/**
 * A study whose cells have all finished: its predictions and comparisons are stored, then it shows its
 * final state. Run once per end of the study (a queue's job, or serialized here); after a restart in
 * the middle the study is still RUNNING, so resumeStudies brings it back here. A step that fails
 * leaves the study to finish anyway: its report computes what is missing (and reports the error).
 */
export async function finishStudy(app: App, studyId: string): Promise<void> {
  const study = await app.prisma.study.findUnique({ where: { id: studyId } });
  if (!study || isTerminal(study.state) || !isTerminal(stateFromCells(study, await cellStates(app, studyId)))) return;
  try {
    await storeStudyResults(app, studyId);
  } catch (e) {
    console.error(`study ${studyId}: its predictions and comparisons were not stored (its report computes them):`, e);
  }
  // Read again: a cancel meanwhile stands (the condition), and so does a cell queued again.
  const state = stateFromCells(study, await cellStates(app, studyId));
  if (!isTerminal(state)) return;
  await app.prisma.study.updateMany({ where: { id: studyId, state: { in: [...ACTIVE] } }, data: { state, startedAt: study.startedAt ?? new Date(), finishedAt: new Date() } });
  app.events.studyChanged(studyId);
}

/**
 * Called with every new state of every explanation. The studies whose cells show it are told; when it
 * finished, they queue their next cells.
 */
export async function explanationChangedForStudies(app: App, e: Explanation): Promise<void> {
  try {
    const studies = await app.prisma.studyCell.findMany({ where: { explanationId: e.id }, select: { studyId: true }, distinct: ['studyId'] });
    for (const { studyId } of studies) {
      if (isTerminal(e.status)) await advanceStudy(app, studyId);
      else if (e.status === 'RUNNING' && e.stage === 'starting') await refreshStudyState(app, studyId);
      else app.events.studyChanged(studyId);
    }
    // Any finished explanation of a creator with a quota frees a place for that creator's other
    // studies, which may be waiting for one with nothing of their own in the queue.
    if (isTerminal(e.status) && hasQueuedJobsQuota(app, e.createdBy)) {
      const waiting = await app.prisma.study.findMany({ where: { createdBy: e.createdBy, state: { in: ['QUEUED', 'RUNNING'] }, id: { notIn: studies.map((s) => s.studyId) } }, select: { id: true } });
      for (const { id } of waiting) await advanceStudy(app, id);
    }
  } catch (err) {
    // The explanation's own transition stands; a restart resumes the study (resumeStudies).
    console.error(`explanation ${e.id}: could not update its studies:`, err);
  }
}

/** After a restart: every unfinished study queues what its window allows (nothing is queued twice). */
export async function resumeStudies(app: App): Promise<number> {
  const open = await app.prisma.study.findMany({ where: { state: { in: ['QUEUED', 'RUNNING'] } }, select: { id: true } });
  for (const s of open) await advanceStudy(app, s.id);
  return open.length;
}

export interface StudyProgress {
  /** Cells whose work is finished: succeeded or failed (cancelled cells are not done). */
  cellsDone: number;
  cellsFailed: number;
  /** Cancelled cells: their work is not done, and nothing runs it unless the study is retried. */
  cellsCancelled: number;
  cellsTotal: number;
  /** Done work over all work, each cell weighted by its expected cost. */
  fraction: number;
  etaSeconds: number | null;
}

/**
 * Weighted progress. A cancelled cell stays in the total with none of its work done, so a cancelled
 * study's bar stops where its work stopped (and a retry continues from there); it is not remaining
 * work for the ETA, as nothing will run it. The ETA extrapolates the rate of the work this study ran
 * itself, cancelled runs' partial work included (their time is in the elapsed time); cells reused
 * from earlier runs finish at once and say nothing about the speed.
 */
export async function studyProgress(app: App, study: Study, now = Date.now()): Promise<StudyProgress> {
  const cells = await app.prisma.studyCell.findMany({
    where: { studyId: study.id },
    select: { weight: true, explanation: { select: { status: true, progress: true, startedAt: true } } },
  });
  let total = 0;
  let done = 0;
  let ranHere = 0;
  let remaining = 0;
  let cellsDone = 0;
  let cellsFailed = 0;
  let cellsCancelled = 0;
  const since = study.startedAt ?? study.createdAt;
  for (const c of cells) {
    const e = c.explanation;
    total += c.weight;
    if (e?.status === 'CANCELLED') cellsCancelled++;
    const finished = e?.status === 'SUCCEEDED' || e?.status === 'FAILED';
    if (finished) cellsDone++;
    if (e?.status === 'FAILED') cellsFailed++;
    const f = finished ? 1 : (e?.progress ?? 0);
    if (e?.status !== 'CANCELLED') {
      done += c.weight * f;
      remaining += c.weight * (1 - f);
    }
    if (e?.startedAt && e.startedAt.getTime() >= since.getTime()) ranHere += c.weight * f;
  }
  const fraction = total > 0 ? done / total : 1;
  const open = study.state === 'QUEUED' || study.state === 'RUNNING';
  const elapsed = (now - since.getTime()) / 1000;
  const etaSeconds = !open ? 0 : ranHere > 0 && elapsed > 0 ? (remaining * elapsed) / ranHere : null;
  return { cellsDone, cellsFailed, cellsCancelled, cellsTotal: cells.length, fraction, etaSeconds };
}
