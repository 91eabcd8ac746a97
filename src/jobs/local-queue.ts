// The embedded default: jobs live in the database and run on a pool of worker threads in this
// process, highest priority first, FIFO otherwise.
import type { App } from '../app.js';
import type { Explanation } from '../generated/sqlite/client.js';
import { claimNext, markCancelled, recoverInterrupted } from '../services/explanation-states.js';
import { resumeStudies } from '../services/study-progress.js';
import { claimGroup } from '../services/cam-groups.js';
import { WorkerPool } from './pool.js';
import { runClaimedJob } from './runner.js';
import type { JobQueue } from '../job-queue.js';

export interface LocalQueueOptions {
  concurrency: number;
  maxAttempts: number;
  /** Minimum time between two progress writes of one job (the terminal state is always written). */
  progressIntervalMs?: number;
}

export class LocalJobQueue implements JobQueue {
  private readonly pool: WorkerPool;
  private readonly progressIntervalMs: number;
  private readonly maxAttempts: number;
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  /** Jobs claimed and not finished; counted from the claim so a slot is never promised twice. */
  private readonly claimed = new Set<string>();
  private closing = false;
  private readonly inFlight = new Set<Promise<void>>();

  private constructor(
    private readonly app: App,
    opts: LocalQueueOptions,
  ) {
    this.pool = new WorkerPool(opts.concurrency);
    this.progressIntervalMs = opts.progressIntervalMs ?? 100;
    this.maxAttempts = opts.maxAttempts;
  }

  static async start(app: App, opts: LocalQueueOptions = app.config.jobs): Promise<LocalJobQueue> {
    const q = new LocalJobQueue(app, opts);
    const r = await recoverInterrupted(app, q.maxAttempts);
    if (r.requeued || r.failed) console.log(`jobs: ${r.requeued} interrupted job(s) queued again, ${r.failed} failed after too many attempts`);
    q.pump();
    // The queue is the app's from here on, so studies that stopped with the last process go on.
    app.jobs = q;
    await resumeStudies(app);
    return q;
  }

  async enqueued(): Promise<void> {
    this.pump();
  }

  async cancel(id: string): Promise<Explanation | null> {
    const row = await markCancelled(this.app, id);
    if (this.claimed.has(id)) this.pool.cancel(id);
    return row;
  }

  async close(): Promise<void> {
    this.closing = true; // claim nothing more; interrupted jobs go back to the queue for the next start
    await this.pool.close();
    await Promise.allSettled([...this.inFlight]);
  }

  private pump(): void {
    if (this.closing) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = (async () => {
      do {
        this.pumpAgain = false;
        while (!this.closing && this.claimed.size < this.pool.size) {
          const job = await claimNext(this.app);
          if (!job) break;
          // Before the next claim, so the CAM variants waiting with it join its job.
          const members = await claimGroup(this.app, job);
          this.claimed.add(job.id);
          const run = this.run(members).finally(() => {
            this.claimed.delete(job.id);
            this.inFlight.delete(run);
            this.pump();
          });
          this.inFlight.add(run);
        }
      } while (this.pumpAgain);
    })()
      .catch((e) => console.error('jobs: could not claim the next job:', e))
      .finally(() => (this.pumping = null));
  }

  private run(members: Explanation[]): Promise<void> {
    return runClaimedJob(this.app, this.pool, members, this.progressIntervalMs);
  }
}
