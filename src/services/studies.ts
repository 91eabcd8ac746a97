// Studies: images × models × methods created by one request. Every cell is an ordinary explanation,
// reused when an identical one exists; the cells are queued a window at a time (study-progress.ts).
import type { App } from '../app.js';
import { identityOf, type Principal } from '../auth.js';
import { expectedCost } from '../engine/cost.js';
import { METHODS, type Method } from '../engine/methods.js';
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import type { Study } from '../generated/sqlite/client.js';
import { markCancelled } from './explanation-states.js';
import { checkPriority, findReusableMany, prepareExplanation, requestKeysOf } from './explanation-queue.js';
import { assertMayChange } from './ownership.js';
import { checkQueuedJobsQuota } from './quotas.js';
import { advanceStudy, refreshStudyState, type StudyMethodParameters } from './study-progress.js';
import { ACTIVE } from './statuses.js';

export interface StudyMethodRequest extends StudyMethodParameters {
  key: string | null;
  label: string | null;
  method: Method;
}

export interface CreateStudyRequest {
  name: string;
  description: string | null;
  seed: number | null;
  priority: number;
  imageIds: string[];
  modelIds: string[];
  methods: StudyMethodRequest[];
  groundTruth: { imageId: string; synset: string | null; label: string | null }[];
  principal: Principal;
}

export const STUDY_LIMITS = { images: 1000, models: 10, methods: 20, cells: 20_000 } as const;

const NAME = /^[^\x00-\x1f]{1,100}$/;
const KEY = /^[a-z0-9][a-z0-9._-]{0,39}$/;
const SYNSET = /^n\d{8}$/;

function checkList(ids: string[], field: string, max: number, what: string): void {
  if (ids.length === 0) throw new InvalidArgumentError(field, `a study needs at least one ${what}`);
  if (ids.length > max) throw new InvalidArgumentError(field, `a study takes at most ${max} ${what}s, got ${ids.length}`);
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) throw new InvalidArgumentError(`${field}.${i}`, `${field}.${i} repeats an earlier ${what}`);
    seen.add(id);
  });
}

/** Method keys as given, else the method's name ("grad-cam", then "grad-cam-2" for a second one). */
function methodKeys(methods: StudyMethodRequest[]): string[] {
  const keys: string[] = [];
  methods.forEach((m, i) => {
    let key = m.key?.trim() ?? '';
    if (key) {
      if (!KEY.test(key)) throw new InvalidArgumentError(`input.methods.${i}.key`, 'a method key is 1-40 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit');
      if (keys.includes(key)) throw new InvalidArgumentError(`input.methods.${i}.key`, `method key "${key}" is used twice`);
    } else {
      const base = m.method.toLowerCase().replace(/_/g, '-');
      key = base;
      for (let n = 2; keys.includes(key) || methods.some((o) => o.key?.trim() === key); n++) key = `${base}-${n}`;
    }
    keys.push(key);
  });
  return keys;
}

export async function createStudy(app: App, r: CreateStudyRequest): Promise<Study> {
  const name = r.name.trim();
  if (!NAME.test(name)) throw new InvalidArgumentError('input.name', 'a study name is 1-100 characters without control characters');
  if (r.description !== null && r.description.length > 5000) throw new InvalidArgumentError('input.description', 'a description has at most 5000 characters');
  checkPriority(r.priority, 'input.priority');
  checkList(r.imageIds, 'input.images', STUDY_LIMITS.images, 'image');
  checkList(r.modelIds, 'input.models', STUDY_LIMITS.models, 'model');
  if (r.methods.length === 0) throw new InvalidArgumentError('input.methods', 'a study needs at least one method');
  if (r.methods.length > STUDY_LIMITS.methods) throw new InvalidArgumentError('input.methods', `a study takes at most ${STUDY_LIMITS.methods} methods, got ${r.methods.length}`);
  const cellCount = r.imageIds.length * r.modelIds.length * r.methods.length;
  if (cellCount > STUDY_LIMITS.cells) throw new InvalidArgumentError('input', `a study has at most ${STUDY_LIMITS.cells} cells (images × models × methods), this one ${cellCount}`);
  r.groundTruth.forEach((g, i) => {
    if (!r.imageIds.includes(g.imageId)) throw new InvalidArgumentError(`input.groundTruth.${i}.image`, 'ground truth is given for an image that is not in the study');
    if (r.groundTruth.findIndex((o) => o.imageId === g.imageId) !== i) throw new InvalidArgumentError(`input.groundTruth.${i}.image`, 'ground truth is given twice for one image');
    if (g.synset === null && !g.label?.trim()) throw new InvalidArgumentError(`input.groundTruth.${i}`, 'ground truth needs a synset or a label');
    if (g.synset !== null && !SYNSET.test(g.synset)) throw new InvalidArgumentError(`input.groundTruth.${i}.synset`, 'a synset looks like n02010272');
    if (g.label && g.label.length > 200) throw new InvalidArgumentError(`input.groundTruth.${i}.label`, 'a label has at most 200 characters');
  });
  const keys = methodKeys(r.methods);
  r.methods.forEach((m, i) => {
    if (!(METHODS as readonly string[]).includes(m.method)) throw new InvalidArgumentError(`input.methods.${i}.method`, `unknown method ${m.method}`);
    if (m.label !== null && !NAME.test(m.label)) throw new InvalidArgumentError(`input.methods.${i}.label`, 'a method label is 1-100 characters without control characters');
  });
  // Every method against every model now, so a bad combination refuses the study with nothing stored.
  // Parameters do not depend on the image, so one image stands for all.
  const prepared = new Map<string, { params: Parameters<typeof requestKeysOf>[3]; weight: number }>();
  for (const [j, modelId] of r.modelIds.entries()) {
    for (const [k, m] of r.methods.entries()) {
      const p = await prepareExplanation(app, { imageId: r.imageIds[0], modelId, method: m.method, target: m.target, parameters: m.parameters, evaluation: m.evaluation ?? null, seed: r.seed }, `input.methods.${k}`).catch((e) => {
        if (e instanceof NotFoundError && e.typename === 'Model') throw new InvalidArgumentError(`input.models.${j}`, e.message);
        throw e;
      });
      prepared.set(`${modelId}|${k}`, { params: p.params, weight: expectedCost(m.method, p.params) });
    }
  }
  for (const [i, imageId] of r.imageIds.entries()) {
    if (!(await app.loaders.images.get(imageId))) throw new InvalidArgumentError(`input.images.${i}`, `Image ${imageId} does not exist`);
  }
  await checkQueuedJobsQuota(app, r.principal);

  // Cells in image, model, method order: one image and model's cells are queued together (shared
  // decoding, one pass for the CAM variants).
  const cells: { imageId: string; modelId: string; methodKey: string; weight: number; position: number; requestKeys: string[] }[] = [];
  for (const imageId of r.imageIds) {
    for (const modelId of r.modelIds) {
      r.methods.forEach((m, k) => {
        const p = prepared.get(`${modelId}|${k}`)!;
        cells.push({ imageId, modelId, methodKey: keys[k], weight: p.weight, position: cells.length, requestKeys: requestKeysOf(imageId, modelId, m.method, p.params, r.seed) });
      });
    }
  }
  const reusable = await findReusableMany(app, cells.map((c) => c.requestKeys));
  const study = await app.prisma.$transaction(async (tx) => {
    const s = await tx.study.create({
      data: { name, description: r.description, seed: r.seed, priority: r.priority, createdBy: identityOf(r.principal) },
    });
    const gt = new Map(r.groundTruth.map((g) => [g.imageId, { synset: g.synset, label: g.label?.trim() || null }]));
    await tx.studyImage.createMany({ data: r.imageIds.map((imageId, position) => ({ studyId: s.id, imageId, position, groundTruth: gt.get(imageId) ?? undefined })) });
    await tx.studyModel.createMany({ data: r.modelIds.map((modelId, position) => ({ studyId: s.id, modelId, position })) });
    await tx.studyMethod.createMany({
      data: r.methods.map((m, position) => ({
        studyId: s.id,
        key: keys[position],
        method: m.method,
        parameters: { target: m.target ?? null, parameters: m.parameters, evaluation: m.evaluation ?? null } as object,
        label: m.label ?? keys[position],
        position,
      })),
    });
    await tx.studyCell.createMany({
      data: cells.map(({ requestKeys, ...c }) => ({ ...c, studyId: s.id, explanationId: reusable.get(requestKeys[0])?.id ?? null })),
    });
    return s;
  });
  await advanceStudy(app, study.id);
  return (await app.prisma.study.findUnique({ where: { id: study.id } })) ?? study;
}

async function ownedStudy(app: App, id: string, principal: Principal, action: string): Promise<Study> {
  const study = await app.prisma.study.findUnique({ where: { id } });
  if (!study) throw new NotFoundError('Study', id);
  assertMayChange(principal, study, 'study', action);
  return study;
}

/** Stops the study: no further cells are queued, and its own queued or running explanations are
 *  cancelled (explanations it reuses from others keep running). */
export async function cancelStudy(app: App, id: string, principal: Principal): Promise<Study> {
  const study = await ownedStudy(app, id, principal, 'cancel');
  if (study.state !== 'QUEUED' && study.state !== 'RUNNING') return study;
  await app.prisma.study.updateMany({ where: { id, state: { in: [...ACTIVE] } }, data: { state: 'CANCELLED', finishedAt: new Date() } });
  const own = await app.prisma.explanation.findMany({ where: { studyId: id, status: { in: [...ACTIVE] }, cells: { some: { studyId: id } } }, select: { id: true } });
  for (const e of own) await (app.jobs ? app.jobs.cancel(e.id) : markCancelled(app, e.id));
  await refreshStudyState(app, id);
  return (await app.prisma.study.findUnique({ where: { id } }))!;
}

/** Queues the failed and cancelled cells again (and the ones a cancel left pending). */
export async function retryStudy(app: App, id: string, principal: Principal): Promise<Study> {
  const study = await ownedStudy(app, id, principal, 'retry');
  if (study.state !== 'FAILED' && study.state !== 'CANCELLED') {
    throw new InvalidArgumentError('id', `only FAILED or CANCELLED studies can be retried; this one is ${study.state}`);
  }
  await checkQueuedJobsQuota(app, principal);
  // Cells let go of their failed runs (which stay in the history) and are queued afresh.
  await app.prisma.studyCell.updateMany({ where: { studyId: id, explanation: { status: { in: ['FAILED', 'CANCELLED'] } } }, data: { explanationId: null } });
  await app.prisma.study.updateMany({ where: { id, state: study.state }, data: { state: 'QUEUED', finishedAt: null } });
  await advanceStudy(app, id);
  return (await app.prisma.study.findUnique({ where: { id } }))!;
}

/** Removes a finished study and its cells; the explanations stay (they may be shared). */
export async function deleteStudy(app: App, id: string, principal: Principal): Promise<string> {
  const study = await ownedStudy(app, id, principal, 'delete');
  if (study.state === 'QUEUED' || study.state === 'RUNNING') throw new InvalidArgumentError('id', `this study is ${study.state}: cancel it before deleting it`);
  const { count } = await app.prisma.study.deleteMany({ where: { id, state: { notIn: [...ACTIVE] } } });
  if (!count) throw new InvalidArgumentError('id', 'this study was queued again meanwhile: cancel it before deleting it');
  app.events.studyChanged(id);
  return id;
}
