// Streaming batch evaluation shared by the perturbation explainers.
//
// A perturbation method describes sample i by writing its normalized input into a slot of a batch
// tensor (`compose`); the runner owns two batch tensors and alternates them, composing batch k+1
// between handing batch k to session.run and awaiting it, and memory stays flat however many
// samples are drawn. (onnxruntime-node 1.30 runs the session synchronously on the JS thread from a
// setImmediate, so measured there the composing does not overlap inference; it is on the critical
// path.) The tensors are taken at first use, only as large as the run needs, from a pool that keeps
// them between runs (batch-buffers.ts), and given back when the run ends. For every sample it keeps
// only the probabilities of the requested classes.
import fs from 'node:fs';
import ort from 'onnxruntime-node';
import { EngineError, throwIfAborted } from '../errors.ts';
import { softmax } from '../predict.ts';
import { batchBuffers } from './batch-buffers.ts';
import { fixedBatch } from '../explain/toolkit.ts';
import type { ModelHandle } from '../explain/types.ts';
import type { Session } from '../session.ts';
import type { InputSpec, RunControl } from '../types.ts';

export interface BatchPlan {
  /** Images per session.run. */
  size: number;
  /** Fixed batch dimension of the graph (rows are zero-padded to it), else null. */
  fixed: number | null;
}

/** Size of the model file (a proxy for its activation memory in chooseBatch), null when unreadable. */
export function modelFileSize(path: string): number | null {
  try {
    return fs.statSync(path).size;
  } catch {
    return null;
  }
}

/**
 * Batch size for perturbation runs. `requested` is the caller's wish (the references batch only to
 * bound memory, so a larger batch never changes the result); we raise small requests to what keeps
 * ORT efficient and cap large ones by an activation-memory estimate from the model's size: ~32
 * images per run for small nets (MobileNet), fewer for big ones (VGG16's activations are ~100 MB
 * per image at 224²).
 */
export function chooseBatch(session: Session, model: ModelHandle, requested: number, modelBytes: number | null): BatchPlan {
  const fixed = fixedBatch(session, model.spec.inputName);
  if (fixed !== null) return { size: fixed, fixed };
  const pixels = model.spec.width * model.spec.height;
  const scale = pixels / (224 * 224);
  const mb = (modelBytes ?? 50e6) / 1e6;
  // Preferred and cap by model size class (weights size is a decent proxy for activation width).
  const [preferred, cap] = mb < 40 ? [32, 64] : mb < 200 ? [16, 32] : [8, 16];
  const pref = Math.max(1, Math.round(preferred / scale));
  const max = Math.max(1, Math.round(cap / scale));
  return { size: Math.min(max, Math.max(requested, pref)), fixed: null };
}

export interface EvalStats {
  runs: number;
  images: number;
  /** Time inside awaited session.run calls that JS could not hide (ms). */
  inferMs: number;
  composeMs: number;
}

/** Probabilities (softmax of logits when the model outputs logits) for the given classes. */
export class BatchRunner {
  private readonly per: number;
  private readonly shape: number[];
  private readonly buffers: (Float32Array | null)[] = [null, null];
  readonly stats: EvalStats = { runs: 0, images: 0, inferMs: 0, composeMs: 0 };

  constructor(
    private readonly session: Session,
    private readonly model: ModelHandle,
    readonly plan: BatchPlan,
    public classes: readonly number[],
  ) {
    const { spec } = model;
    this.per = 3 * spec.width * spec.height;
    this.shape = spec.layout === 'NCHW' ? [3, spec.height, spec.width] : [spec.height, spec.width, 3];
  }

  /** Batch tensor `which`, holding at least `images` rows (the whole fixed batch when there is one). */
  private buffer(which: number, images: number): Float32Array {
    const need = (this.plan.fixed ?? images) * this.per;
    const have = this.buffers[which];
    if (have && have.length >= need) return have;
    if (have) batchBuffers.release(have);
    return (this.buffers[which] = batchBuffers.acquire(need));
  }

  /** Returns the batch tensors to the pool (the next run takes them again). */
  private releaseBuffers(): void {
    for (let w = 0; w < 2; w++) {
      const b = this.buffers[w];
      if (b) batchBuffers.release(b);
      this.buffers[w] = null;
    }
  }

  get imageSize(): number {
    return this.per;
  }

  /**
   * Evaluates samples 0..n-1. `compose(i, tensor, offset)` writes sample i's normalized input;
   * `onRows(start, probs)` receives, per finished batch, a row-major [rows × classes.length] block.
   * Progress is reported per batch; the signal is checked between batches.
   */
  async run(
    n: number,
    compose: (i: number, tensor: Float32Array, offset: number) => void,
    onRows: (start: number, count: number, probs: Float64Array) => void,
    ctl: RunControl,
    stage = 'sample',
    progress?: { done: number; total: number; stability?: number },
  ): Promise<void> {
    const B = this.plan.size;
    const k = this.classes.length;
    const compBatch = (start: number, buf: Float32Array): number => {
      const t0 = performance.now();
      const count = Math.min(B, n - start);
      for (let j = 0; j < count; j++) compose(start + j, buf, j * this.per);
      // A fixed batch dimension: zero the padding rows.
      if (this.plan.fixed !== null && count < B) buf.fill(0, count * this.per);
      this.stats.composeMs += performance.now() - t0;
      return count;
    };
    let which = 0;
    let start = 0;
    if (n <= 0) return;
    throwIfAborted(ctl.signal);
    try {
      let count = compBatch(0, this.buffer(0, Math.min(B, n)));
      while (start < n) {
        const rows = this.plan.fixed ?? count;
        const input = new ort.Tensor('float32', this.buffer(which, rows).subarray(0, rows * this.per), [rows, ...this.shape]);
        const pending = this.runSession(input);
        // Compose the next batch before awaiting this one (it would overlap an asynchronous run).
        const nextStart = start + count;
        let nextCount = 0;
        if (nextStart < n) nextCount = compBatch(nextStart, this.buffer(1 - which, Math.min(B, n - nextStart)));
        const t0 = performance.now();
        let out: Float32Array | Float64Array;
        try {
          out = await pending;
        } finally {
          this.stats.inferMs += performance.now() - t0;
        }
        this.stats.runs++;
        this.stats.images += count;
        const numClasses = out.length / rows;
        if (!Number.isInteger(numClasses) || numClasses < 1) {
          throw new EngineError('UNSUPPORTED_MODEL', `output '${this.model.spec.outputName}' does not split into ${rows} rows`);
        }
        const probs = new Float64Array(count * k);
        for (let r = 0; r < count; r++) {
          const row = out.subarray(r * numClasses, (r + 1) * numClasses);
          rowProbabilities(row, this.model.outputKind === 'LOGITS', this.classes, probs, r * k);
        }
        onRows(start, count, probs);
        if (progress) {
          progress.done += count;
          const { stability } = progress;
          ctl.onProgress?.({ stage, done: progress.done, total: progress.total, ...(stability !== undefined ? { stability } : {}) });
        } else {
          ctl.onProgress?.({ stage, done: nextStart, total: n });
        }
        start = nextStart;
        count = nextCount;
        which = 1 - which;
        throwIfAborted(ctl.signal);
      }
    } finally {
      this.releaseBuffers();
    }
  }

  /** Full probability vector of one already-normalized image (e.g. the unmodified input). */
  async probabilitiesOf(tensor: Float32Array): Promise<Float64Array> {
    const rows = this.plan.fixed ?? 1;
    const data = rows === 1 ? tensor : new Float32Array(rows * this.per);
    if (rows !== 1) data.set(tensor, 0);
    const out = await this.runSession(new ort.Tensor('float32', data, [rows, ...this.shape]));
    this.stats.runs++;
    this.stats.images++;
    const numClasses = out.length / rows;
    const row = out.subarray(0, numClasses);
    if (this.model.outputKind !== 'LOGITS') return Float64Array.from(row);
    return softmax(row);
  }

  private async runSession(input: ort.Tensor): Promise<Float32Array | Float64Array> {
    const name = this.model.spec.outputName;
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run({ [this.model.spec.inputName]: input }, [name]);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      throw new EngineError('UNSUPPORTED_MODEL', `inference failed: ${msg}`, { cause: msg });
    }
    const t = out[name];
    if (!t || (t.type !== 'float32' && t.type !== 'float64')) {
      throw new EngineError('UNSUPPORTED_MODEL', `output '${name}' is not a float tensor`);
    }
    return t.data as Float32Array | Float64Array;
  }
}

/** Writes the probabilities of `classes` for one output row into out[offset…]. */
function rowProbabilities(row: Float32Array | Float64Array, logits: boolean, classes: readonly number[], out: Float64Array, offset: number): void {
  if (!logits) {
    for (let j = 0; j < classes.length; j++) out[offset + j] = row[classes[j]];
    return;
  }
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i] - max);
  for (let j = 0; j < classes.length; j++) out[offset + j] = Math.exp(row[classes[j]] - max) / sum;
}
