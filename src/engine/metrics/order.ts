// Stable argsorts by LSD radix sort on IEEE bits: linear time, a few ms for a 224×224 map, where an
// index sort with a comparator takes tens of ms. Equal values keep their index order; −0 sorts as +0.
// Maps are float32, so when every value is a non-NaN float32 the keys are the 32 float32 bits
// (three 11-bit passes) instead of the 64 float64 bits (four 16-bit passes); the order is the same,
// since float32 → float64 is exact and order-preserving.

/** Stable sort of indices 0..n-1 by unsigned keys split into digits, least significant pass first. */
function radixOrder(n: number, passes: readonly (readonly [Uint32Array, number, number])[]): Uint32Array {
  let idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  let tmp = new Uint32Array(n);
  const count = new Uint32Array((1 << Math.max(...passes.map((p) => p[2]))) + 1);
  for (const [word, shift, bits] of passes) {
    const mask = (1 << bits) - 1;
    const buckets = mask + 1;
    count.fill(0, 0, buckets + 1);
    for (let i = 0; i < n; i++) count[((word[i] >>> shift) & mask) + 1]++;
    // A pass where every key shares the digit changes nothing.
    let same = false;
    for (let d = 1; d <= buckets; d++) if (count[d] === n) same = true;
    if (same) continue;
    for (let d = 1; d <= buckets; d++) count[d] += count[d - 1];
    for (let j = 0; j < n; j++) {
      const i = idx[j];
      tmp[count[(word[i] >>> shift) & mask]++] = i;
    }
    [idx, tmp] = [tmp, idx];
  }
  return idx;
}

/**
 * Order-preserving unsigned keys of float32 values (−0 as +0; complemented for a descending order),
 * or null when a value is NaN or not a float32. A Float32Array's bits are copied as they are.
 */
function float32Keys(values: ArrayLike<number>, descending: boolean): Uint32Array | null {
  const n = values.length;
  const keys = new Uint32Array(n);
  const f = new Float32Array(keys.buffer);
  if (values instanceof Float32Array) f.set(values);
  else {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (Math.fround(v) !== v) return null; // NaN fails this too
      f[i] = v;
    }
  }
  const flip = descending ? 0xffffffff : 0;
  for (let i = 0; i < n; i++) {
    let h = keys[i];
    if ((h & 0x7fffffff) > 0x7f800000) return null; // NaN
    if (h === 0x80000000) h = 0;
    // Positives: flip the sign bit; negatives: flip every bit.
    keys[i] = ((h & 0x80000000 ? ~h : h | 0x80000000) ^ flip) >>> 0;
  }
  return keys;
}

/** radixOrder for 32-bit keys in three 11-bit passes, their three histograms counted in one sweep. */
function radixOrder32(keys: Uint32Array): Uint32Array {
  const n = keys.length;
  const B = 2049;
  const count = new Uint32Array(3 * B);
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    count[(k & 0x7ff) + 1]++;
    count[B + ((k >>> 11) & 0x7ff) + 1]++;
    count[2 * B + (k >>> 22) + 1]++;
  }
  let idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  let tmp = new Uint32Array(n);
  for (let p = 0; p < 3; p++) {
    const base = p * B;
    const shift = 11 * p;
    // A pass where every key shares the digit changes nothing.
    let same = false;
    for (let d = 1; d < B; d++) if (count[base + d] === n) same = true;
    if (same) continue;
    for (let d = 1; d < B; d++) count[base + d] += count[base + d - 1];
    for (let j = 0; j < n; j++) {
      const i = idx[j];
      tmp[count[base + ((keys[i] >>> shift) & 0x7ff)]++] = i;
    }
    [idx, tmp] = [tmp, idx];
  }
  return idx;
}

/** Indices of `values` in ascending order of value, ties in ascending index order. */
export function argsort(values: ArrayLike<number>): Uint32Array {
  const n = values.length;
  const keys32 = float32Keys(values, false);
  if (keys32) return radixOrder32(keys32);
  const f = new Float64Array(n);
  for (let i = 0; i < n; i++) f[i] = values[i] === 0 ? 0 : values[i];
  const words = new Uint32Array(f.buffer);
  const lo = new Uint32Array(n);
  const hi = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + 1];
    const l = words[2 * i];
    if (h & 0x80000000) {
      hi[i] = ~h >>> 0;
      lo[i] = ~l >>> 0;
    } else {
      hi[i] = (h | 0x80000000) >>> 0;
      lo[i] = l;
    }
  }
  return radixOrder(n, [[lo, 0, 16], [lo, 16, 16], [hi, 0, 16], [hi, 16, 16]]);
}

/** Indices from the largest value down; equal values in ascending index order (most relevant first). */
export function descendingOrder(values: ArrayLike<number>): Uint32Array {
  const n = values.length;
  // Complemented keys sorted ascending and stably: largest first, ties by index.
  const keys32 = float32Keys(values, true);
  if (keys32) return radixOrder32(keys32);
  // float64 or NaN: reverse the ascending order group by group of equal values (NaN equals nothing).
  const asc = argsort(values);
  const out = new Uint32Array(n);
  let o = 0;
  for (let end = n; end > 0; ) {
    let start = end - 1;
    while (start > 0 && values[asc[start - 1]] === values[asc[end - 1]]) start--;
    for (let p = start; p < end; p++) out[o++] = asc[p];
    end = start;
  }
  return out;
}
