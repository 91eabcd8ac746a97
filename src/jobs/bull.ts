// Scale-out: with REDIS_URL, jobs travel through BullMQ to `npm run worker` processes on any machine
// that shares the database, Redis and the artifact store. The database stays the source of truth
// for job state; BullMQ provides delivery, exclusivity and stalled-job recovery.
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { App } from '../app.js';
import type { Explanation } from '../generated/sqlite/client.js';
import type { JobQueue } from '../job-queue.js';
import { claimDelivered, markCancelled } from '../services/explanation-states.js';
import { claimGroup } from '../services/cam-groups.js';
import { finishStudy } from '../services/study-progress.js';
import { WorkerPool } from './pool.js';
import { runClaimedJob } from './runner.js';

export const QUEUE_NAME = 'xai-explanations';
/** The job that finishes a study (its results stored, then its final state); one per study at a time. */
const FINISH_STUDY = 'finish-study';

type JobData = { id: string } | { studyId: string };

/** App priority (higher first) → BullMQ priority (lower first, 1…2 097 151). */
function bullPriority(p: number): number {
  return Math.min(2_097_151, Math.max(1, 1_000_000 - p));
}

export class BullJobQueue implements JobQueue {
  private readonly queue: Queue;

  constructor(
    private readonly app: App,
    connection: Redis,
  ) {
    this.queue = new Queue(QUEUE_NAME, { connection });
  }

  async enqueued(e: Explanation): Promise<void> {
    // One BullMQ job per queuing of the explanation: a retry is a new delivery.
    await this.queue.add(
      'explain',
      { id: e.id },
      { jobId: `${e.id}-${e.queuedAt.getTime()}`, priority: bullPriority(e.priority), removeOnComplete: 1000, removeOnFail: 1000 },
    );
  }

  async finishStudy(studyId: string): Promise<void> {
    // The job id makes every worker that saw the last cell finish add the same job: BullMQ keeps one.
    // Removed when done, so the study's next end (after a retry) gets a job of its own; a late
    // duplicate finds the study finished and does nothing. First in line: it only completes a study.
    await this.queue.add(FINISH_STUDY, { studyId }, { jobId: `${FINISH_STUDY}-${studyId}`, priority: 1, removeOnComplete: true, removeOnFail: true });
  }

  async cancel(id: string): Promise<Explanation | null> {
    const row = await markCancelled(this.app, id);
    // The worker holding the job hears this over Redis and stops within one batch.
    this.app.events.requestCancel(id);
    return row;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export interface BullWorkerOptions {
  concurrency: number;
  maxAttempts: number;
  /** How long a worker's lock lives without renewal; a killed worker's job is re-delivered after it. */
  lockDurationMs?: number;
  progressIntervalMs?: number;
}

export async function startBullWorker(app: App, connection: Redis, opts: BullWorkerOptions) {
  const pool = new WorkerPool(opts.concurrency);
  const claimed = new Set<string>();
  const cancels = app.events.pubsub.subscribe('cancel');
  void (async () => {
    for await (const id of cancels) if (claimed.has(id)) pool.cancel(id);
  })();
  const worker = new Worker(
    QUEUE_NAME,
    async (job: Job<JobData>) => {
      if ('studyId' in job.data) return finishStudy(app, job.data.studyId);
      const row = await claimDelivered(app, job.data.id, opts.maxAttempts);
      if (!row) return;
      claimed.add(row.id);
      try {
        await runClaimedJob(app, pool, await claimGroup(app, row), opts.progressIntervalMs ?? 100);
      } finally {
        claimed.delete(row.id);
      }
    },
    {
      connection,
      concurrency: opts.concurrency,
      lockDuration: opts.lockDurationMs ?? 10_000,
      stalledInterval: Math.max(1000, Math.floor((opts.lockDurationMs ?? 10_000) / 2)),
      maxStalledCount: opts.maxAttempts,
    },
  );
  worker.on('error', (e) => console.error('worker: BullMQ error:', e.message));
  return {
    async close() {
      await worker.close();
      await cancels.return?.();
      await pool.close();
    },
  };
}
