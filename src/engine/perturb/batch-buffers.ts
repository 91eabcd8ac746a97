// Batch tensors kept between runs. A fresh 32-image batch at 224² is 19 MB: its first touch
// (page faults) and the garbage collection of the one it replaces cost about 15 ms per run of
// deletion + insertion on MobileNetV2 (~7% of its 200 ms of inference), more than composing the
// images. Every composer writes each row it hands to the session in full, so a recycled buffer's
// old contents never reach a result (test/engine/perturb/batch-buffers.test.ts poisons the pool).
//
// A buffer is lent to one run at a time (acquire removes it), so concurrent runs never share one.

export interface BufferPoolLimits {
  /** Buffers kept while idle. */
  maxBuffers: number;
  /** Their total size in bytes. */
  maxBytes: number;
}

export class Float32BufferPool {
  /** Idle buffers, least recently returned first. */
  private readonly idle: Float32Array[] = [];

  constructor(readonly limits: BufferPoolLimits) {}

  /** The smallest idle buffer of at least `length` values, else a new one of exactly `length`. */
  acquire(length: number): Float32Array {
    let best = -1;
    for (let i = 0; i < this.idle.length; i++) {
      const b = this.idle[i];
      if (b.length >= length && (best < 0 || b.length < this.idle[best].length)) best = i;
    }
    if (best < 0) return new Float32Array(length);
    return this.idle.splice(best, 1)[0];
  }

  /** Gives a buffer back; the least recently returned ones are dropped beyond the limits. */
  release(buffer: Float32Array): void {
    if (this.idle.includes(buffer)) return;
    this.idle.push(buffer);
    while (this.idle.length > this.limits.maxBuffers || this.idleBytes() > this.limits.maxBytes) this.idle.shift();
  }

  idleBytes(): number {
    return this.idle.reduce((s, b) => s + b.byteLength, 0);
  }

  get idleCount(): number {
    return this.idle.length;
  }

  clear(): void {
    this.idle.length = 0;
  }
}

/**
 * The process's pool for the perturbation runner: two buffers per run, kept for two runs at once of
 * up to 64 images at 224² (more concurrent runs allocate, as before).
 */
export const batchBuffers = new Float32BufferPool({ maxBuffers: 4, maxBytes: 160 * 2 ** 20 });
