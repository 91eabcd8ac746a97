// What the services need from a job queue, whichever backs it (in-process, or BullMQ on Redis).
// The queues in src/jobs implement it; services reach them only through App.jobs.
import type { Explanation } from './generated/sqlite/client.js';

export interface JobQueue {
  /** A job was queued (or re-queued) in the database. */
  enqueued(e: Explanation): Promise<void>;
  /** Cancels a queued or running job; running inference stops within one batch. */
  cancel(id: string): Promise<Explanation | null>;
  /**
   * Queues the finishing step of a study whose cells have all finished (finishStudy in
   * services/study-progress.ts), once however often it is asked for, and again after a worker died
   * in it. Absent (the in-process queue): the caller runs it itself.
   */
  finishStudy?(studyId: string): Promise<void>;
  close(): Promise<void>;
}
