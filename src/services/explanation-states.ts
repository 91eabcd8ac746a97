// Explanation state transitions in the database, for the services and the job runners alike. Every
// transition publishes the new state; every update is conditional on the current status so
// concurrent actors (cancel vs. finish, two workers given the same job) cannot clash.
import type { App } from '../app.js';
import type { ExplanationOutput } from '../engine/explain/run.js';
import type { Progress } from '../engine/types.js';
import { parametersUsed, type Method, type MethodParameters } from '../engine/methods.js';
import { Prisma } from '../db/index.js';
import type { Explanation } from '../generated/sqlite/client.js';
import { explanationChangedForStudies } from './study-progress.js';

export { STATUSES, TERMINAL, type Status } from './statuses.js';

/** Publishes the explanation's current state (to subscribers and to the studies that show it). */
export const explanationChanged = (app: App, id: string) => publish(app, id);

async function publish(app: App, id: string): Promise<Explanation | null> {
  const row = await app.prisma.explanation.findUnique({ where: { id } });
  if (row) {
    app.events.explanationChanged(row);
    await explanationChangedForStudies(app, row);
  }
  return row;
}

/** QUEUED → RUNNING for the best queued job (priority, then FIFO); null when none is left. */
export async function claimNext(app: App): Promise<Explanation | null> {
  for (;;) {
    const next = await app.prisma.explanation.findFirst({
      where: { status: 'QUEUED' },
      orderBy: [{ priority: 'desc' }, { queuedAt: 'asc' }, { id: 'asc' }],
    });
    if (!next) return null;
    const claimed = await claim(app, next.id);
    if (claimed) return claimed;
  }
}

export function claim(app: App, id: string): Promise<Explanation | null> {
  return start(app, { id, status: 'QUEUED' });
}

/**
 * Claims a job a queue delivered. A job already RUNNING was re-delivered after its worker died
 * (the queue guarantees one holder); one interrupted too often fails instead.
 */
export async function claimDelivered(app: App, id: string, maxAttempts: number): Promise<Explanation | null> {
  const row = await app.prisma.explanation.findUnique({ where: { id } });
  if (!row || (row.status !== 'QUEUED' && row.status !== 'RUNNING')) return null;
  // Running inside another explanation's job: that job's delivery (or re-delivery) runs it.
  if (row.status === 'RUNNING' && row.groupLeaderId !== null && row.groupLeaderId !== id) return null;
  if (row.attempts >= maxAttempts) {
    await fail(app, id, 'ATTEMPTS_EXHAUSTED', `interrupted ${row.attempts} times (worker crashes)`);
    for (const m of await app.prisma.explanation.findMany({ where: { groupLeaderId: id, status: 'RUNNING' }, select: { id: true } })) {
      await fail(app, m.id, 'ATTEMPTS_EXHAUSTED', `its group's job was interrupted ${row.attempts} times (worker crashes)`);
    }
    return null;
  }
  return start(app, { id, status: row.status, attempts: row.attempts });
}

/** → RUNNING (one more attempt) if the row is still as `where` says. */
async function start(app: App, where: { id: string; status: string; attempts?: number }): Promise<Explanation | null> {
  const { count } = await app.prisma.explanation.updateMany({
    where,
    data: { status: 'RUNNING', groupLeaderId: null, startedAt: new Date(), attempts: { increment: 1 }, progress: 0, stage: 'starting', etaSeconds: null, stability: null },
  });
  return count === 1 ? publish(app, where.id) : null;
}

/** Writes a progress report: `fraction` is the whole job's progress (0..1), `p` the current stage's counts. */
export async function reportProgress(app: App, id: string, fraction: number, p: Progress, startedAt: Date | null, isMainStage: boolean): Promise<void> {
  const elapsed = startedAt ? (Date.now() - startedAt.getTime()) / 1000 : 0;
  const { count } = await app.prisma.explanation.updateMany({
    where: { id, status: 'RUNNING' },
    data: {
      progress: fraction,
      stage: p.stage,
      ...(isMainStage ? { samplesDone: p.done, samplesTotal: p.total } : {}),
      ...(p.stability !== undefined ? { stability: p.stability } : {}),
      etaSeconds: fraction > 0.02 && fraction < 1 ? (elapsed / fraction) * (1 - fraction) : null,
    },
  });
  if (count) await publish(app, id);
}

/** Stores a finished run; `counts` is the main stage's last report (the throttle may have dropped it). */
export async function succeed(app: App, id: string, out: ExplanationOutput, counts: { done: number; total: number } | null): Promise<void> {
  // Blobs first: a row never points to an artifact that is not on disk.
  const stored = await Promise.all(
    out.artifacts.map(async (a) => {
      const ext = a.mediaType === 'image/png' ? '.png' : a.name.endsWith('.npy') ? '.npy' : '.bin';
      return { a, blob: await app.blobs.put('artifacts', a.bytes, ext) };
    }),
  );
  const row = await app.prisma.explanation.findUnique({ where: { id } });
  if (!row || row.status !== 'RUNNING') return;
  const faith = out.evaluation?.faithfulness;
  const randomization = out.evaluation?.randomization;
  await app.prisma.$transaction([
    app.prisma.faithfulness.deleteMany({ where: { explanationId: id } }),
    app.prisma.faithfulness.createMany({
      data: (faith?.curves ?? []).map((c) => ({
        explanationId: id,
        classIndex: c.classIndex,
        steps: faith!.params.steps,
        fill: faith!.params.fill,
        blurSigma: faith!.params.blurSigma,
        fractions: c.deletion.fractions,
        deletion: c.deletion.probabilities,
        insertion: c.insertion.probabilities,
        deletionAuc: c.deletion.auc,
        insertionAuc: c.insertion.auc,
      })),
    }),
    app.prisma.artifact.deleteMany({ where: { explanationId: id } }),
    app.prisma.artifact.createMany({
      data: stored.map(({ a, blob }) => ({
        explanationId: id,
        kind: a.kind,
        name: a.name,
        mediaType: a.mediaType,
        storageKey: blob.key,
        sha256: blob.sha256,
        byteSize: blob.byteSize,
        width: a.width ?? null,
        height: a.height ?? null,
        shape: a.shape ?? undefined,
      })),
    }),
    app.prisma.explanation.updateMany({
      where: { id, status: 'RUNNING' },
      data: {
        status: 'SUCCEEDED',
        progress: 1,
        stage: 'done',
        etaSeconds: 0,
        result: out.summary as object,
        // Final figures, not the last throttled progress report: all samples done (an adaptive run
        // stops at the samples it used), and the parameters the run really used.
        samplesDone: typeof out.summary.samplesUsed === 'number' ? out.summary.samplesUsed : (counts?.total ?? row.samplesTotal),
        samplesTotal: counts?.total ?? row.samplesTotal,
        stability: typeof out.summary.stability === 'number' ? out.summary.stability : null,
        parameters: parametersUsed(row.method as Method, row.parameters as unknown as MethodParameters, out.summary) as object,
        caption: out.caption,
        targetClasses: out.targetClasses,
        finishedAt: new Date(),
        durationMs: row.startedAt ? Date.now() - row.startedAt.getTime() : null,
        errorCode: null,
        errorMessage: null,
        // The first explained class's areas, for sorting (every class's curves are in Faithfulness).
        deletionAuc: faith?.curves[0]?.deletion.auc ?? null,
        insertionAuc: faith?.curves[0]?.insertion.auc ?? null,
        randomization: randomization ? (randomization as object) : Prisma.DbNull,
        randomizationSpearman: randomization?.spearman ?? null,
      },
    }),
  ]);
  await publish(app, id);
}

export async function fail(app: App, id: string, code: string, message: string): Promise<void> {
  const row = await app.prisma.explanation.findUnique({ where: { id } });
  const { count } = await app.prisma.explanation.updateMany({
    where: { id, status: { in: ['RUNNING', 'QUEUED'] } },
    data: {
      status: 'FAILED',
      errorCode: code,
      errorMessage: message.slice(0, 2000),
      finishedAt: new Date(),
      durationMs: row?.startedAt ? Date.now() - row.startedAt.getTime() : null,
      etaSeconds: null,
    },
  });
  if (count) await publish(app, id);
}

/** Marks a job cancelled if it has not finished; returns the resulting row. */
export async function markCancelled(app: App, id: string): Promise<Explanation | null> {
  const { count } = await app.prisma.explanation.updateMany({
    where: { id, status: { in: ['QUEUED', 'RUNNING'] } },
    data: { status: 'CANCELLED', finishedAt: new Date(), etaSeconds: null, stage: 'cancelled' },
  });
  return count ? publish(app, id) : app.prisma.explanation.findUnique({ where: { id } });
}

/** FAILED/CANCELLED → QUEUED again. */
export async function requeue(app: App, id: string): Promise<Explanation | null> {
  const { count } = await app.prisma.explanation.updateMany({
    where: { id, status: { in: ['FAILED', 'CANCELLED'] } },
    data: { status: 'QUEUED', groupLeaderId: null, queuedAt: new Date(), progress: 0, stage: null, errorCode: null, errorMessage: null, finishedAt: null, durationMs: null },
  });
  return count ? publish(app, id) : app.prisma.explanation.findUnique({ where: { id } });
}

/** A member of a group whose job stopped without it being cancelled: queued again, as a new delivery. */
export async function releaseGroupMember(app: App, id: string): Promise<Explanation | null> {
  const { count } = await app.prisma.explanation.updateMany({
    where: { id, status: 'RUNNING' },
    data: { status: 'QUEUED', groupLeaderId: null, queuedAt: new Date(), stage: null, progress: 0, etaSeconds: null, attempts: { decrement: 1 } },
  });
  return count ? publish(app, id) : null;
}

/** A job stopped by an orderly shutdown goes back to the queue (attempts are kept). */
export async function requeueInterrupted(app: App, id: string): Promise<void> {
  const { count } = await app.prisma.explanation.updateMany({
    where: { id, status: 'RUNNING' },
    data: { status: 'QUEUED', groupLeaderId: null, stage: 'requeued at shutdown', progress: 0, etaSeconds: null },
  });
  if (count) await publish(app, id);
}

/**
 * After a restart: jobs left RUNNING by a dead process are queued again, or failed once they have
 * used their attempts, so none stays RUNNING forever.
 */
export async function recoverInterrupted(app: App, maxAttempts: number): Promise<{ requeued: number; failed: number }> {
  const failed = await app.prisma.explanation.updateMany({
    where: { status: 'RUNNING', attempts: { gte: maxAttempts } },
    data: { status: 'FAILED', errorCode: 'ATTEMPTS_EXHAUSTED', errorMessage: `interrupted ${maxAttempts} times (process restarts)`, finishedAt: new Date() },
  });
  const requeued = await app.prisma.explanation.updateMany({
    where: { status: 'RUNNING' },
    data: { status: 'QUEUED', groupLeaderId: null, stage: 'requeued after restart', progress: 0, etaSeconds: null },
  });
  return { requeued: requeued.count, failed: failed.count };
}
