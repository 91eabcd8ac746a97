// Explanation requests: validate against the model, normalise parameters, and queue idempotently.
import { createHash } from 'node:crypto';
import type { App } from '../app.js';
import { identityOf, type Principal } from '../auth.js';
import { assertMayChange } from './ownership.js';
import { checkQueuedJobsQuota } from './quotas.js';
import { findImage, findModel } from './rows.js';
import { modelLayers } from './layers.js';
import { normalizeEvaluation } from '../engine/explain/evaluate.js';
import { needsGradients, normalizeParameters, type Method, type MethodParameters, type Target } from '../engine/methods.js';
import { fromEngineError, InvalidArgumentError, NotFoundError, UnsupportedMethodError } from '../errors.js';
import { markCancelled, requeue } from './explanation-states.js';
import type { Explanation } from '../generated/sqlite/client.js';

export interface ExplanationRequest {
  imageId: string;
  modelId: string;
  method: Method;
  target: { topK?: number | null; classIndices?: number[] | null } | null;
  parameters: Record<string, object | null | undefined>;
  /** Faithfulness curves and the randomization check to compute with the maps (part of the request). */
  evaluation?: { faithfulness?: object | null; randomization?: object | null } | null;
  seed: number | null;
  priority: number;
  study?: string | null;
  force: boolean;
  /** Who asks: recorded as the creator, and charged against its quota. */
  principal: Principal;
}

const STUDY = /^[^\x00-\x1f]{1,100}$/;

/** Canonical JSON (sorted keys) so equal parameters always hash equally. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** A study is its own experiment record, so the same request in another study is not reused. */
export function requestKeyOf(imageId: string, modelId: string, method: Method, params: MethodParameters, seed: number | null, study: string | null = null): string {
  return createHash('sha256')
    .update(canonical({ imageId, modelId, method, params, seed, ...(study === null ? {} : { study }) }))
    .digest('hex');
}

/** The request's target as given: none (the method's default), the top k, or listed classes. */
function targetOf(t: ExplanationRequest['target']): Target | null {
  const top = t?.topK ?? null;
  const classes = t?.classIndices ?? null;
  if (top !== null && classes !== null) throw new InvalidArgumentError('input.target', 'give either target.topK or target.classIndices, not both');
  if (classes !== null) {
    if (classes.length === 0) throw new InvalidArgumentError('input.target.classIndices', 'target.classIndices must list at least one class index');
    return { kind: 'CLASSES', classes };
  }
  if (top !== null) {
    if (top < 1) throw new InvalidArgumentError('input.target.topK', `target.topK must be at least 1, got ${top}`);
    return { kind: 'TOP', k: top };
  }
  return null;
}

export async function requestExplanation(app: App, r: ExplanationRequest): Promise<Explanation> {
  const [image, model] = await Promise.all([
    findImage(app, r.imageId),
    findModel(app, r.modelId),
  ]);
  if (!image) throw new NotFoundError('Image', r.imageId);
  if (!model) throw new NotFoundError('Model', r.modelId);
  if (!Number.isInteger(r.priority) || Math.abs(r.priority) > 1000) {
    throw new InvalidArgumentError('input.priority', `priority must be an integer between -1000 and 1000, got ${r.priority}`);
  }
  const study = r.study?.trim() || null;
  if (study !== null && !STUDY.test(study)) {
    throw new InvalidArgumentError('input.study', 'study must be 1-100 characters without control characters');
  }
  if (model.quantized && needsGradients(r.method)) {
    throw new UnsupportedMethodError(
      'NOT_DIFFERENTIABLE',
      `${r.method} needs gradients, but ${model.name} is a quantized model; use LIME, KERNEL_SHAP, PARTITION_SHAP, SCORE_CAM or EIGEN_CAM`,
    );
  }
  const target = targetOf(r.target);
  let params: MethodParameters;
  try {
    params = normalizeParameters(r.method, { ...r.parameters, target }, model.numClasses);
  } catch (e) {
    return fromEngineError(e, 'input.parameters');
  }
  try {
    const evaluation = normalizeEvaluation(r.evaluation);
    if (evaluation) params = { ...params, evaluation };
  } catch (e) {
    return fromEngineError(e, 'input.evaluation');
  }
  for (const bid of params.gradient?.baselineImageIds ?? []) {
    if (!(await findImage(app, bid))) throw new NotFoundError('Image', bid);
  }
  const layer = params.cam?.targetLayer;
  if (layer) {
    const layers = await modelLayers(app, model);
    if (!layers.some((l) => l.name === layer)) {
      const hint = layers.slice(-3).map((l) => l.name).join(', ');
      throw new InvalidArgumentError('input.parameters.cam.targetLayer', `${model.name} has no 4-D layer named '${layer}'; candidates include ${hint} (see Model.layers)`);
    }
  }
  const requestKey = requestKeyOf(image.id, model.id, r.method, params, r.seed, study);
  if (!r.force) {
    // Idempotency: an identical request that succeeded, or is still on its way, is returned as is.
    const existing = await app.prisma.explanation.findFirst({
      where: { requestKey, status: { in: ['SUCCEEDED', 'QUEUED', 'RUNNING'] } },
      orderBy: { createdAt: 'desc' },
    });
    if (existing) return existing;
  }
  await checkQueuedJobsQuota(app, r.principal);
  const created = await app.prisma.explanation.create({
    data: {
      createdBy: identityOf(r.principal),
      imageId: image.id,
      modelId: model.id,
      method: r.method,
      parameters: params as object,
      requestKey,
      seed: r.seed,
      targetClasses: params.target.kind === 'CLASSES' ? params.target.classes : [],
      priority: r.priority,
      study,
      caption: null,
    },
  });
  app.events.explanationChanged(created);
  await app.jobs?.enqueued(created);
  return created;
}

export async function cancelExplanation(app: App, id: string, principal: Principal): Promise<Explanation> {
  const row = await app.prisma.explanation.findUnique({ where: { id } });
  if (!row) throw new NotFoundError('Explanation', id);
  assertMayChange(principal, row, 'explanation', 'cancel');
  if (row.status !== 'QUEUED' && row.status !== 'RUNNING') return row;
  // Without a runner attached (API-only node) the database transition is the whole cancellation.
  return (await (app.jobs ? app.jobs.cancel(id) : markCancelled(app, id))) ?? row;
}

export async function retryExplanation(app: App, id: string, principal: Principal): Promise<Explanation> {
  const row = await app.prisma.explanation.findUnique({ where: { id } });
  if (!row) throw new NotFoundError('Explanation', id);
  assertMayChange(principal, row, 'explanation', 'retry');
  if (row.status !== 'FAILED' && row.status !== 'CANCELLED') {
    throw new InvalidArgumentError('id', `only FAILED or CANCELLED explanations can be retried; this one is ${row.status}`);
  }
  await checkQueuedJobsQuota(app, principal);
  const queued = (await requeue(app, id)) ?? row;
  await app.jobs?.enqueued(queued);
  return queued;
}

/** Removes a finished explanation and its artifact rows; the stored files stay (content-addressed, they
 *  may be shared with other explanations). */
export async function deleteExplanation(app: App, id: string, principal: Principal): Promise<string> {
  const row = await app.prisma.explanation.findUnique({ where: { id } });
  if (!row) throw new NotFoundError('Explanation', id);
  assertMayChange(principal, row, 'explanation', 'delete');
  if (row.status === 'QUEUED' || row.status === 'RUNNING') {
    throw new InvalidArgumentError('id', `this explanation is ${row.status}: cancel it before deleting it`);
  }
  // Conditional, so a retry that requeued it meanwhile wins over the delete.
  const { count } = await app.prisma.explanation.deleteMany({ where: { id, status: { notIn: ['QUEUED', 'RUNNING'] } } });
  if (!count) throw new InvalidArgumentError('id', 'this explanation was queued again meanwhile: cancel it before deleting it');
  return id;
}
