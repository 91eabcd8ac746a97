// A fixed set of engine worker threads, one running job each. A crashed worker fails only its own
// job and is replaced.
import { Worker } from 'node:worker_threads';
import type { ExplanationOutput } from '../engine/explain/run.js';
import type { ExplainRequest } from '../engine/explain/types.js';
import type { Method } from '../engine/methods.js';
import type { Progress } from '../engine/types.js';
import type { FromWorker, ToWorker } from './protocol.js';

export class JobFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Slot {
  worker: Worker;
  ready: boolean;
  dead?: boolean;
  jobId: string | null;
  settle?: { resolve: (o: ExplanationOutput[]) => void; reject: (e: JobFailure) => void; onProgress: (p: Progress) => void };
}

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private closed = false;
  /** Set when workers keep dying before they finish loading: jobs then fail with this reason. */
  private broken: string | null = null;
  private startupFailures = 0;
  /** Jobs cancelled after they were claimed but before they reached a worker. */
  private readonly cancelledEarly = new Set<string>();

  constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /** Runs the request's method, or (`methods`) several CAM methods of one request together. */
  run(jobId: string, request: ExplainRequest, onProgress: (p: Progress) => void, methods: Method[] = [request.method]): Promise<ExplanationOutput[]> {
    if (this.broken) return Promise.reject(new JobFailure('ENGINE_UNAVAILABLE', this.broken));
    if (this.cancelledEarly.delete(jobId)) return Promise.reject(new JobFailure('ABORTED', 'cancelled before it started'));
    const slot = this.slots.find((s) => s.jobId === null);
    if (!slot) throw new Error('no idle worker');
    slot.jobId = jobId;
    return new Promise((resolve, reject) => {
      slot.settle = { resolve, reject, onProgress };
      slot.worker.postMessage({ type: 'run', jobId, request, methods } satisfies ToWorker);
    });
  }

  /** Call only for jobs this pool's owner has claimed: an unknown id is remembered until it runs. */
  cancel(jobId: string): void {
    const slot = this.slots.find((s) => s.jobId === jobId);
    if (slot) slot.worker.postMessage({ type: 'cancel', jobId } satisfies ToWorker);
    else this.cancelledEarly.add(jobId);
  }

  /**
   * Stops every worker at its next batch boundary. Jobs still running are settled with SHUTDOWN so
   * their owner can put them back in the queue; a worker stuck longer than `graceMs` is terminated.
   */
  async close(graceMs = 15_000): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        const exited = new Promise((r) => slot.worker.once('exit', r));
        slot.worker.postMessage({ type: 'shutdown' } satisfies ToWorker);
        const timer = setTimeout(() => void slot.worker.terminate(), graceMs);
        await exited;
        clearTimeout(timer);
        slot.settle?.reject(new JobFailure('SHUTDOWN', 'the service stopped while the job was running'));
        slot.settle = undefined;
      }),
    );
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(ENTRY), ready: false, jobId: null };
    slot.worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        slot.ready = true;
        this.startupFailures = 0;
        return;
      }
      if (m.jobId !== slot.jobId || !slot.settle) return;
      if (m.type === 'progress') return slot.settle.onProgress(m.progress);
      const settle = slot.settle;
      slot.jobId = null;
      slot.settle = undefined;
      if (m.type === 'done') settle.resolve(m.outputs);
      else settle.reject(new JobFailure(m.code, m.message));
    });
    slot.worker.on('error', (e) => this.replace(slot, e));
    slot.worker.on('exit', (code) => {
      if (!this.closed) this.replace(slot, new Error(`worker exited with code ${code}`));
    });
    slot.worker.unref();
    return slot;
  }

  private replace(slot: Slot, e: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0 || this.closed || slot.dead) return;
    slot.dead = true; // 'error' is followed by 'exit': handle the death once
    const settle = slot.settle;
    // A worker that dies while loading would die again: stop respawning after a few tries.
    if (!slot.ready && ++this.startupFailures >= 3) {
      this.broken = `engine workers fail to start: ${e.message}`;
      console.error(`jobs: ${this.broken}`);
    }
    if (this.broken) slot.jobId = null;
    else this.slots[i] = this.spawn();
    void slot.worker.terminate();
    settle?.reject(new JobFailure('WORKER_CRASHED', `the engine worker stopped: ${e.message}`));
  }
}
