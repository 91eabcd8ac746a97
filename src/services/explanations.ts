// Explanation requests: validate against the model, normalise parameters, and queue idempotently.
import type { App } from '../app.js';
import { identityOf, type Principal } from '../auth.js';
import { assertMayChange } from './ownership.js';
import { checkQueuedJobsQuota } from './quotas.js';
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import { markCancelled, requeue } from './explanation-states.js';
import { checkPriority, findReusable, prepareExplanation, queueExplanation, type ExplanationSpec } from './explanation-queue.js';
import type { Explanation } from '../generated/sqlite/client.js';

export interface ExplanationRequest extends ExplanationSpec {
  priority: number;
  /** The Study to file it under (its creator or an admin only). */
  studyId?: string | null;
  force: boolean;
  /** Who asks: recorded as the creator, and charged against its quota. */
  principal: Principal;
}

export async function requestExplanation(app: App, r: ExplanationRequest): Promise<Explanation> {
  checkPriority(r.priority, 'input.priority');
  const studyId = r.studyId ?? null;
  if (studyId !== null) {
    const study = await app.prisma.study.findUnique({ where: { id: studyId } });
    if (!study) throw new NotFoundError('Study', studyId);
    assertMayChange(r.principal, study, 'study', 'add explanations to');
  }
  const prepared = await prepareExplanation(app, r);
  if (!r.force) {
    // Idempotency: an identical request that succeeded, or is still on its way, is returned as is
    // (one filed under the same study: a study keeps its own record of the runs filed under it).
    const existing = await findReusable(app, prepared.requestKeys, studyId ?? undefined);
    if (existing) return existing;
  }
  await checkQueuedJobsQuota(app, r.principal);
  return queueExplanation(app, prepared, { createdBy: identityOf(r.principal), priority: r.priority, studyId });
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
