// CAM variants of one image, model, layer and classes are computed together (one forward and one
// backward pass, engine/cam explainCamGroup): a job that claims one of them also claims the queued
// explanations that differ from it only in the CAM method, and records each one's own result.
import type { App } from '../app.js';
import { CAM_METHODS } from '../engine/methods.js';
import type { Explanation } from '../generated/sqlite/client.js';
import { canonical } from './explanation-queue.js';
import { explanationChanged } from './explanation-states.js';

const isCam = (method: string) => (CAM_METHODS as readonly string[]).includes(method);

/** Everything but the method: what must be equal for two CAM explanations to share a pass. */
const groupKey = (e: Explanation) => canonical({ imageId: e.imageId, modelId: e.modelId, seed: e.seed, parameters: e.parameters });

/**
 * Claims the queued explanations that can run in `leader`'s job (QUEUED → RUNNING with
 * groupLeaderId = leader). The leader first, then the others by method, each method once.
 */
export async function claimGroup(app: App, leader: Explanation): Promise<Explanation[]> {
  if (!isCam(leader.method)) return [leader];
  // Re-delivered after a crash: the members it held are still its own.
  const candidates = await app.prisma.explanation.findMany({
    where: {
      imageId: leader.imageId,
      modelId: leader.modelId,
      method: { in: CAM_METHODS.filter((m) => m !== leader.method) },
      OR: [{ status: 'QUEUED' }, { status: 'RUNNING', groupLeaderId: leader.id }],
    },
    orderBy: [{ queuedAt: 'asc' }, { id: 'asc' }],
    take: 50,
  });
  const key = groupKey(leader);
  const members: Explanation[] = [leader];
  for (const c of candidates) {
    if (groupKey(c) !== key || members.some((m) => m.method === c.method)) continue;
    const { count } = await app.prisma.explanation.updateMany({
      where: { id: c.id, OR: [{ status: 'QUEUED' }, { status: 'RUNNING', groupLeaderId: leader.id }] },
      data: { status: 'RUNNING', groupLeaderId: leader.id, startedAt: new Date(), attempts: { increment: 1 }, progress: 0, stage: 'starting', etaSeconds: null },
    });
    if (!count) continue;
    const row = await explanationChanged(app, c.id);
    if (row) members.push(row);
  }
  return members;
}
