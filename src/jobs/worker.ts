// Engine worker thread: runs explanations off the main event loop so the API stays responsive.
import { parentPort } from 'node:worker_threads';
import { EngineError } from '../engine/errors.js';
import { runExplanation } from '../engine/explain/run.js';
import { SessionCache } from '../engine/session.js';
import type { FromWorker, ToWorker } from './protocol.js';

const port = parentPort!;
const sessions = new SessionCache(workerSessionOptions());
const running = new Map<string, AbortController>();

function workerSessionOptions() {
  const threads = Number(process.env.XAI_ORT_THREADS);
  return Number.isFinite(threads) && threads > 0 ? { intraOpNumThreads: threads } : {};
}

// Artifacts are copied, not transferred: sharp's output may share a pooled ArrayBuffer.
const send = (m: FromWorker) => port.postMessage(m);

port.on('message', async (m: ToWorker) => {
  if (m.type === 'cancel') {
    running.get(m.jobId)?.abort();
    return;
  }
  const ac = new AbortController();
  running.set(m.jobId, ac);
  try {
    const request = { ...m.request, image: Buffer.from(m.request.image) };
    const output = await runExplanation(request, { sessions }, {
      signal: ac.signal,
      onProgress: (progress) => send({ type: 'progress', jobId: m.jobId, progress }),
    });
    send({ type: 'done', jobId: m.jobId, output });
  } catch (e) {
    const code = ac.signal.aborted ? 'ABORTED' : e instanceof EngineError ? e.code : 'INTERNAL';
    const message = e instanceof Error ? e.message : String(e);
    if (code === 'INTERNAL') console.error(`job ${m.jobId} failed:`, e);
    send({ type: 'failed', jobId: m.jobId, code, message });
  } finally {
    running.delete(m.jobId);
  }
});

send({ type: 'ready' });
