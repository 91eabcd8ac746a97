// Runs one claimed job on the worker pool and records its outcome; shared by the in-process queue
// and the BullMQ workers.
import type { App } from '../app.js';
import { AppError } from '../errors.js';
import type { Progress } from '../engine/types.js';
import type { Explanation } from '../generated/sqlite/client.js';
import { buildExplainRequest } from '../services/explain-request.js';
import { fail, markCancelled, releaseGroupMember, reportProgress, requeueInterrupted, succeed } from '../services/explanation-states.js';
import type { Method } from '../engine/methods.js';
import { JobFailure, type WorkerPool } from './pool.js';
import { throttle } from './throttle.js';

// Engines report per stage; the job's progress bar spans them. Unlisted stages are the main work
// (sampling, gradient batches), whose counts are the samples done/total the API shows. Faithfulness
// curves and the randomization check (when asked for) run after the maps, before rendering.
const STAGE_SPAN: Record<string, [number, number]> = {
  segment: [0, 0.05],
  fit: [0.9, 0.93],
  faithfulness: [0.93, 0.96],
  randomization: [0.96, 0.975],
  render: [0.975, 1],
};
const MAIN_SPAN: [number, number] = [0.05, 0.9];

const isMainStage = (stage: string) => !(stage in STAGE_SPAN);

/** Maps stage reports to one monotonic fraction for the whole job. */
export function overallProgress() {
  let last = 0;
  return (p: Progress) => {
    const [a, b] = STAGE_SPAN[p.stage] ?? MAIN_SPAN;
    const f = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
    last = Math.max(last, a + (b - a) * f);
    return { fraction: last, isMainStage: isMainStage(p.stage) };
  };
}

/** Runs a claimed job: one explanation, or a group of CAM variants (claimGroup) led by the first. */
export async function runClaimedJob(app: App, pool: WorkerPool, members: Explanation[], progressIntervalMs: number): Promise<void> {
  const job = members[0];
  const overall = overallProgress();
  const progress = throttle(progressIntervalMs, async (p: Progress) => {
    const { fraction, isMainStage } = overall(p);
    for (const m of members) await reportProgress(app, m.id, fraction, p, m.startedAt, isMainStage);
  });
  // Every report's counts, written or not: the throttle may drop the last ones, the final state may not.
  let mainCounts: Progress | null = null;
  const onProgress = (p: Progress) => {
    if (isMainStage(p.stage)) mainCounts = p;
    progress.push(p);
  };
  const started = Date.now();
  const what = members.map((m) => m.method).join(' + ');
  const others = members.length > 1 ? ` with ${members.slice(1).map((m) => m.id).join(', ')}` : '';
  console.log(`job ${job.id} ${what} started (attempt ${job.attempts}, pid ${process.pid})${others}`);
  try {
    const request = await buildExplainRequest(app, job);
    const outputs = await pool.run(job.id, request, onProgress, members.map((m) => m.method as Method));
    await progress.flush();
    for (const [k, m] of members.entries()) await succeed(app, m.id, outputs[k], mainCounts);
    console.log(`job ${job.id} succeeded in ${Date.now() - started} ms`);
  } catch (e) {
    await progress.flush();
    const [leader, ...rest] = members;
    if (e instanceof JobFailure && e.code === 'SHUTDOWN') for (const m of members) await requeueInterrupted(app, m.id);
    else if (e instanceof JobFailure && e.code === 'ABORTED') {
      // The leader was cancelled; the others were not, so they go back to the queue.
      await markCancelled(app, leader.id);
      for (const m of rest) {
        const row = await releaseGroupMember(app, m.id);
        if (row) await app.jobs?.enqueued(row);
      }
    } else {
      const [code, message] = e instanceof JobFailure || e instanceof AppError ? [e.code, e.message] : ['INTERNAL', e instanceof Error ? e.message : String(e)];
      for (const m of members) await fail(app, m.id, code, message);
    }
  }
}
