// Runs one claimed job on the worker pool and records its outcome; shared by the in-process queue
// and the BullMQ workers.
import type { App } from '../app.js';
import type { Progress } from '../engine/types.js';
import type { Explanation } from '../generated/sqlite/client.js';
import { buildRequest, fail, markCancelled, reportProgress, succeed } from './lifecycle.js';
import { JobFailure, type WorkerPool } from './pool.js';

export async function runClaimedJob(app: App, pool: WorkerPool, job: Explanation, progressIntervalMs: number): Promise<void> {
  const progress = throttle(progressIntervalMs, (p: Progress) => reportProgress(app, job.id, p, job.startedAt));
  const started = Date.now();
  console.log(`job ${job.id} ${job.method} started (attempt ${job.attempts}, pid ${process.pid})`);
  try {
    const request = await buildRequest(app, job);
    const output = await pool.run(job.id, request, progress.push);
    await progress.flush();
    await succeed(app, job.id, output);
    console.log(`job ${job.id} succeeded in ${Date.now() - started} ms`);
  } catch (e) {
    await progress.flush();
    if (e instanceof JobFailure && e.code === 'ABORTED') await markCancelled(app, job.id);
    else if (e instanceof JobFailure) await fail(app, job.id, e.code, e.message);
    else await fail(app, job.id, 'INTERNAL', e instanceof Error ? e.message : String(e));
  }
}

/** Keeps at most one write per interval and never drops the latest value. */
function throttle<T>(intervalMs: number, write: (v: T) => Promise<void>) {
  let last = 0;
  let pending: T | undefined;
  let timer: NodeJS.Timeout | null = null;
  let chain = Promise.resolve();
  const send = () => {
    timer = null;
    if (pending === undefined) return;
    const v = pending;
    pending = undefined;
    last = Date.now();
    chain = chain.then(() => write(v)).catch((e) => console.error('jobs: progress write failed:', e));
  };
  return {
    push(v: T) {
      pending = v;
      if (timer) return;
      const wait = last + intervalMs - Date.now();
      if (wait <= 0) send();
      else timer = setTimeout(send, wait);
    },
    async flush() {
      if (timer) clearTimeout(timer);
      timer = null;
      pending = undefined; // the terminal state supersedes any pending progress
      await chain;
    },
  };
}
