// One onnxruntime InferenceSession per model, shared by all requests.
import os from 'node:os';
import ort from 'onnxruntime-node';
import { EngineError } from './errors.ts';
import type { ModelIOMeta } from './presets.ts';

export type Session = ort.InferenceSession;
export type ModelSource = string | Uint8Array;
export type SessionOptions = ort.InferenceSession.SessionOptions;

/**
 * Defaults for a small CPU box: ORT's intra-op pool on every core (a conv net saturates them),
 * no inter-op parallelism (CNNs are a chain), full graph optimization (fusions).
 */
export function defaultSessionOptions(): SessionOptions {
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: os.availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
}

/**
 * For explanation workers: idle pool threads otherwise spin after each run and steal the cores the
 * next run needs — often of another session (forward then backward model, or another job). Measured
 * on MobileNetV2 Grad-CAM: 32.9 → 16.6 ms. Latency-bound single predictions keep the spinning default.
 */
export function explanationSessionOptions(): Partial<SessionOptions> {
  return { extra: { session: { intra_op: { allow_spinning: '0' } } } };
}

/** Loads a model, mapping ORT's load failures to INVALID_MODEL with ORT's message kept. */
export async function loadSession(source: ModelSource, options: SessionOptions = defaultSessionOptions()): Promise<Session> {
  try {
    return typeof source === 'string'
      ? await ort.InferenceSession.create(source, options)
      : await ort.InferenceSession.create(source, options);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new EngineError('INVALID_MODEL', `the model could not be loaded by onnxruntime: ${msg}`, { cause: msg });
  }
}

/** Cache of sessions by key (model id or file hash); concurrent gets share one load. */
export class SessionCache {
  private readonly sessions = new Map<string, Promise<Session>>();
  private readonly options: SessionOptions;

  constructor(options: Partial<SessionOptions> = {}) {
    this.options = { ...defaultSessionOptions(), ...options };
  }

  /** Returns the cached session, loading it with `source()` on first use. Failed loads are not cached. */
  get(key: string, source: () => ModelSource | Promise<ModelSource>): Promise<Session> {
    let p = this.sessions.get(key);
    if (!p) {
      p = Promise.resolve()
        .then(source)
        .then((s) => loadSession(s, this.options));
      this.sessions.set(key, p);
      p.catch(() => {
        if (this.sessions.get(key) === p) this.sessions.delete(key);
      });
    }
    return p;
  }

  has(key: string): boolean {
    return this.sessions.has(key);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Drops and releases a session. Callers must not evict a model that still has runs in flight. */
  async evict(key: string): Promise<void> {
    const p = this.sessions.get(key);
    if (!p) return;
    this.sessions.delete(key);
    await release(p);
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map(release));
  }
}

async function release(p: Promise<Session>): Promise<void> {
  const s = await p.catch(() => null);
  await s?.release();
}

/**
 * The image input and class-score output of a loaded session, for inferInputSpec: the first
 * rank-4 tensor input, and the first output shaped [N,C] or [N,C,1,1] (else the first output).
 */
export function describeSession(session: Session): ModelIOMeta {
  const tensors = (list: readonly ort.InferenceSession.ValueMetadata[]) =>
    list.filter((m): m is ort.InferenceSession.TensorValueMetadata => m.isTensor);
  const inputs = tensors(session.inputMetadata);
  const outputs = tensors(session.outputMetadata);
  if (inputs.length === 0 || outputs.length === 0) {
    throw new EngineError('UNSUPPORTED_MODEL', 'the model has no tensor input or output');
  }
  const input = inputs.find((m) => m.shape.length === 4) ?? inputs[0];
  const output =
    outputs.find((m) => m.shape.length === 2 || (m.shape.length === 4 && m.shape[2] === 1 && m.shape[3] === 1)) ??
    outputs[0];
  return {
    inputName: input.name,
    inputType: input.type,
    shape: input.shape,
    outputName: output.name,
    outputShape: output.shape,
  };
}
