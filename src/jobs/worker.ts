// Engine worker thread: runs explanations off the main event loop so the API stays responsive.
import { parentPort } from 'node:worker_threads';
import { EngineError } from '../engine/errors.js';
import { runExplanation, runExplanationGroup } from '../engine/explain/run.js';
import type { CamMethod } from '../engine/cam/index.js';
import type { Method } from '../engine/methods.js';
import type { Progress } from '../engine/types.js';
import type { ExplainRequest } from '../engine/explain/types.js';
import { engineContext } from '../engine/explain/context.js';
import { explanationSessionOptions, SessionCache } from '../engine/session.js';
import type { FromWorker, ToWorker } from './protocol.js';

const port = parentPort!;
const sessions = new SessionCache(workerSessionOptions());
// One context for the thread's life: sessions and model facts are reused across jobs.
const ctx = engineContext(sessions);
const running = new Map<string, { abort: AbortController; finished: Promise<void> }>();
let shuttingDown = false;

function workerSessionOptions() {
  const threads = Number(process.env.XAI_ORT_THREADS);
  return { ...explanationSessionOptions(), ...(Number.isFinite(threads) && threads > 0 ? { intraOpNumThreads: threads } : {}) };
}

// Artifacts are copied, not transferred: sharp's output may share a pooled ArrayBuffer.
const send = (m: FromWorker) => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  if (m.type === 'cancel') running.get(m.jobId)?.abort.abort();
  else if (m.type === 'shutdown') void shutdown();
  else {
    const abort = new AbortController();
    running.set(m.jobId, { abort, finished: run(m.jobId, m.request, m.methods, abort.signal) });
  }
});

async function run(jobId: string, request: ExplainRequest, methods: Method[], signal: AbortSignal): Promise<void> {
  try {
    const req = { ...request, image: Buffer.from(request.image) };
    const ctl = { signal, onProgress: (progress: Progress) => send({ type: 'progress', jobId, progress }) };
    const outputs = methods.length === 1 ? [await runExplanation(req, ctx, ctl)] : await runExplanationGroup(req, methods as CamMethod[], ctx, ctl);
    send({ type: 'done', jobId, outputs });
  } catch (e) {
    const code = signal.aborted ? (shuttingDown ? 'SHUTDOWN' : 'ABORTED') : e instanceof EngineError ? e.code : 'INTERNAL';
    const message = e instanceof Error ? e.message : String(e);
    if (code === 'INTERNAL') console.error(`job ${jobId} failed:`, e);
    send({ type: 'failed', jobId, code, message });
  } finally {
    running.delete(jobId);
  }
}

// Terminating a thread while onnxruntime is inside session.run aborts the whole process, so jobs are
// stopped at a batch boundary and the native sessions released before the thread ends.
async function shutdown(): Promise<void> {
  shuttingDown = true;
  for (const r of running.values()) r.abort.abort();
  await Promise.allSettled([...running.values()].map((r) => r.finished));
  await sessions.close();
  // Closing the port (not process.exit) lets the messages above reach the main thread first.
  port.close();
}

send({ type: 'ready' });
