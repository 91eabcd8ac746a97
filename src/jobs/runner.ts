// Runs one claimed job on the worker pool and records its outcome; shared by the in-process queue
// and the BullMQ workers.
import type { App } from '../app.js';
import { AppError } from '../errors.js';
import type { Progress } from '../engine/types.js';
import type { Explanation } from '../generated/sqlite/client.js';
import { buildExplainRequest } from '../services/explain-request.js';
import { fail, markCancelled, reportProgress, requeueInterrupted, succeed } from '../services/explanation-states.js';
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

export async function runClaimedJob(app: App, pool: WorkerPool, job: Explanation, progressIntervalMs: number): Promise<void> {
  const overall = overallProgress();
  const progress = throttle(progressIntervalMs, (p: Progress) => {
    const { fraction, isMainStage } = overall(p);
    return reportProgress(app, job.id, fraction, p, job.startedAt, isMainStage);
  });
  // Every report's counts, written or not: the throttle may drop the last ones, the final state may not.
  let mainCounts: Progress | null = null;
  const onProgress = (p: Progress) => {
    if (isMainStage(p.stage)) mainCounts = p;
    progress.push(p);
  };
  const started = Date.now();
  console.log(`job ${job.id} ${job.method} started (attempt ${job.attempts}, pid ${process.pid})`);
  try {
    const request = await buildExplainRequest(app, job);
    const output = await pool.run(job.id, request, onProgress);
    await progress.flush();
    await succeed(app, job.id, output, mainCounts);
    console.log(`job ${job.id} succeeded in ${Date.now() - started} ms`);
  } catch (e) {
    await progress.flush();
    if (e instanceof JobFailure && e.code === 'SHUTDOWN') await requeueInterrupted(app, job.id);
    else if (e instanceof JobFailure && e.code === 'ABORTED') await markCancelled(app, job.id);
    else if (e instanceof JobFailure) await fail(app, job.id, e.code, e.message);
    else if (e instanceof AppError) await fail(app, job.id, e.code, e.message);
    else await fail(app, job.id, 'INTERNAL', e instanceof Error ? e.message : String(e));
  }
}
