// Turning a request into a queued explanation: validation against the image and model, normalised
// parameters, the idempotency key, reuse of an identical explanation, and the queued row. Shared by
// single requests and study cells.
import { createHash } from 'node:crypto';
import type { App } from '../app.js';
import { findImage, findModel } from './rows.js';
import { modelLayers } from './layers.js';
import { normalizeEvaluation } from '../engine/explain/evaluate.js';
import { randomizationRefusal } from '../engine/metrics/randomization.js';
import { keyParameters, LATER_FIELDS, needsGradients, normalizeParameters, quantizedRefusal, type Method, type MethodParameters, type Target } from '../engine/methods.js';
import { fromEngineError, InvalidArgumentError, NotFoundError, UnsupportedMethodError } from '../errors.js';
import type { Explanation, Image, Model } from '../generated/sqlite/client.js';

/** What to explain: one image through one model with one method. */
export interface ExplanationSpec {
  imageId: string;
  modelId: string;
  method: Method;
  target: { topK?: number | null; classIndices?: number[] | null } | null;
  parameters: Record<string, object | null | undefined>;
  /** Faithfulness curves and the randomization check to compute with the maps (part of the request). */
  evaluation?: { faithfulness?: object | null; randomization?: object | null } | null;
  seed: number | null;
}

/** A validated request: parameters normalised against the model, and its idempotency keys. */
export interface PreparedExplanation {
  image: Image;
  model: Model;
  method: Method;
  params: MethodParameters;
  seed: number | null;
  /** requestKeysOf: the first is stored with a new explanation, all find a reusable one. */
  requestKeys: string[];
}

/** Canonical JSON (sorted keys) so equal parameters always hash equally. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/**
 * Identical requests share one explanation, whichever study or user asks for it. The first key is
 * the one a new explanation is stored under; the others are the keys earlier versions stored the
 * same request under (keyParameters' older forms), so what they stored is found too. Stored keys
 * are never rewritten: a finished row's parameters are the ones it used, not the request's.
 */
export function requestKeysOf(imageId: string, modelId: string, method: Method, params: MethodParameters, seed: number | null): string[] {
  const forms = [keyParameters(params), ...LATER_FIELDS.map((_, i) => keyParameters(params, i + 1))];
  const keys = forms.filter((p) => p !== null).map((p) => createHash('sha256').update(canonical({ imageId, modelId, method, params: p, seed })).digest('hex'));
  return [...new Set(keys)];
}

/** The request's target as given: none (the method's default), the top k, or listed classes. */
function targetOf(t: ExplanationSpec['target'], field: string): Target | null {
  const top = t?.topK ?? null;
  const classes = t?.classIndices ?? null;
  if (top !== null && classes !== null) throw new InvalidArgumentError(`${field}.target`, 'give either target.topK or target.classIndices, not both');
  if (classes !== null) {
    if (classes.length === 0) throw new InvalidArgumentError(`${field}.target.classIndices`, 'target.classIndices must list at least one class index');
    return { kind: 'CLASSES', classes };
  }
  if (top !== null) {
    if (top < 1) throw new InvalidArgumentError(`${field}.target.topK`, `target.topK must be at least 1, got ${top}`);
    return { kind: 'TOP', k: top };
  }
  return null;
}

export function checkPriority(priority: number, field: string): void {
  if (!Number.isInteger(priority) || Math.abs(priority) > 1000) {
    throw new InvalidArgumentError(field, `priority must be an integer between -1000 and 1000, got ${priority}`);
  }
}

/** Validates a request against its image and model; `field` names the input in errors ("input"). */
export async function prepareExplanation(app: App, r: ExplanationSpec, field = 'input'): Promise<PreparedExplanation> {
  const [image, model] = await Promise.all([findImage(app, r.imageId), findModel(app, r.modelId)]);
  if (!image) throw new NotFoundError('Image', r.imageId);
  if (!model) throw new NotFoundError('Model', r.modelId);
  if (model.quantized && needsGradients(r.method)) {
    throw new UnsupportedMethodError(
      'NOT_DIFFERENTIABLE',
      quantizedRefusal([r.method], `${model.name}, a quantized model,`),
    );
  }
  const target = targetOf(r.target, field);
  let params: MethodParameters;
  try {
    params = normalizeParameters(r.method, { ...r.parameters, target }, model.numClasses);
  } catch (e) {
    return fromEngineError(e, `${field}.parameters`);
  }
  try {
    const evaluation = normalizeEvaluation(r.evaluation);
    if (evaluation) params = { ...params, evaluation };
  } catch (e) {
    return fromEngineError(e, `${field}.evaluation`);
  }
  // Refused now rather than failing in the worker once the maps are computed.
  if (model.quantized && params.evaluation?.randomization) throw new UnsupportedMethodError('NOT_DIFFERENTIABLE', randomizationRefusal(model.name));
  for (const bid of params.gradient?.baselineImageIds ?? []) {
    if (!(await findImage(app, bid))) throw new NotFoundError('Image', bid);
  }
  const layer = params.cam?.targetLayer;
  if (layer) {
    const layers = await modelLayers(app, model);
    if (!layers.some((l) => l.name === layer)) {
      const hint = layers.slice(-3).map((l) => l.name).join(', ');
      throw new InvalidArgumentError(`${field}.parameters.cam.targetLayer`, `${model.name} has no 4-D layer named '${layer}'; candidates include ${hint} (see Model.layers)`);
    }
  }
  return { image, model, method: r.method, params, seed: r.seed, requestKeys: requestKeysOf(image.id, model.id, r.method, params, r.seed) };
}

/** An identical explanation (under any of its `requestKeys`) that succeeded or is still on its way,
 *  if there is one (filed under `studyId` when one is given). */
export function findReusable(app: App, requestKeys: string[], studyId?: string): Promise<Explanation | null> {
  return app.prisma.explanation.findFirst({
    where: { requestKey: { in: requestKeys }, status: { in: ['SUCCEEDED', 'QUEUED', 'RUNNING'] }, ...(studyId ? { studyId } : {}) },
    orderBy: { createdAt: 'desc' },
  });
}

/** findReusable for many requests at once (in chunks, to keep each query's parameter list short),
 *  by each request's first key. */
export async function findReusableMany(app: App, keySets: string[][]): Promise<Map<string, Explanation>> {
  const byKey = new Map<string, Explanation>();
  const unique = [...new Set(keySets.flat())];
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await app.prisma.explanation.findMany({
      where: { requestKey: { in: unique.slice(i, i + 500) }, status: { in: ['SUCCEEDED', 'QUEUED', 'RUNNING'] } },
      orderBy: { createdAt: 'asc' },
    });
    for (const r of rows) byKey.set(r.requestKey, r); // the newest wins, as in findReusable
  }
  const out = new Map<string, Explanation>();
  for (const keys of keySets) {
    const found = keys.flatMap((k) => byKey.get(k) ?? []);
    if (found.length) out.set(keys[0], found.reduce((a, b) => (b.createdAt > a.createdAt ? b : a)));
  }
  return out;
}

/** Stores a prepared request as a queued explanation and (unless `enqueue` is false: the caller does
 *  it once the row is referenced) hands it to the job queue. */
export async function queueExplanation(
  app: App,
  p: PreparedExplanation,
  o: { createdBy: string; priority: number; studyId: string | null; enqueue?: boolean },
): Promise<Explanation> {
  const created = await app.prisma.explanation.create({
    data: {
      createdBy: o.createdBy,
      imageId: p.image.id,
      modelId: p.model.id,
      method: p.method,
      parameters: p.params as object,
      requestKey: p.requestKeys[0],
      seed: p.seed,
      targetClasses: p.params.target.kind === 'CLASSES' ? p.params.target.classes : [],
      priority: o.priority,
      studyId: o.studyId,
      caption: null,
    },
  });
  app.events.explanationChanged(created);
  if (o.enqueue !== false) await app.jobs?.enqueued(created);
  return created;
}

