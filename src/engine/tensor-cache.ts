// LRU of preprocessed input tensors. Images are immutable, so (image hash, input spec) fully determines
// the tensor; repeated predictions and explanations skip decoding and resizing.
import type { InputSpec } from './types.ts';

export function specKey(spec: InputSpec): string {
  return [
    spec.layout,
    spec.channelOrder,
    spec.colorProfile,
    spec.orientation,
    spec.resizeMode,
    spec.resizeShorter,
    spec.interpolation,
    spec.width,
    spec.height,
    spec.scale,
    ...spec.mean,
    ...spec.std,
  ].join(',');
}

interface Entry<T> {
  tensor: Promise<T>;
  /** Counted bytes: 0 until the tensor is ready. */
  size: number;
}

/** Bounded by bytes (`sizeOf` of each value; tensors by default), least recently used out first. */
export class TensorCache<T = Float32Array> {
  private readonly entries = new Map<string, Entry<T>>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly sizeOf: (value: T) => number = (t) => (t as { byteLength: number }).byteLength,
  ) {}

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Returns the cached tensor or computes it once, even under concurrent calls. Callers must not mutate it. */
  get(key: string, compute: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) {
      // Re-insert to mark as most recently used (a Map iterates in insertion order).
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.tensor;
    }
    const entry: Entry<T> = { tensor: compute(), size: 0 };
    this.entries.set(key, entry);
    entry.tensor.then(
      (t) => {
        if (this.entries.get(key) !== entry) return;
        entry.size = this.sizeOf(t);
        this.bytes += entry.size;
        this.evict();
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.tensor;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= entry.size;
    }
  }
}
