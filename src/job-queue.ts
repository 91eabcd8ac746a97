// What the services need from a job queue, whichever backs it (in-process, or BullMQ on Redis).
// The queues in src/jobs implement it; services reach them only through App.jobs.
import type { Explanation } from './generated/sqlite/client.js';

export interface JobQueue {
  /** A job was queued (or re-queued) in the database. */
  enqueued(e: Explanation): Promise<void>;
  /** Cancels a queued or running job; running inference stops within one batch. */
  cancel(id: string): Promise<Explanation | null>;
  close(): Promise<void>;
}
