// Messages between the job layer (main thread) and engine worker threads.
import type { ExplainRequest } from '../engine/explain/types.js';
import type { ExplanationOutput } from '../engine/explain/run.js';
import type { Method } from '../engine/methods.js';
import type { Progress } from '../engine/types.js';

export type ToWorker =
  /** `methods`: the request's method, or several CAM methods computed together (one output each). */
  | { type: 'run'; jobId: string; request: ExplainRequest; methods: Method[] }
  | { type: 'cancel'; jobId: string }
  /** Stop running jobs at the next batch, release the native sessions, then exit. */
  | { type: 'shutdown' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; jobId: string; progress: Progress }
  | { type: 'done'; jobId: string; outputs: ExplanationOutput[] }
  | { type: 'failed'; jobId: string; code: string; message: string };
