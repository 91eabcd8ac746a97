// Bootstrap stability of the top-k segment set, for the adaptive LIME / Kernel SHAP modes.

/** Indices of the n largest |values| (ties: lower index first), as a sorted key. */
export function topSetKey(values: ArrayLike<number>, n: number): string {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]) || a - b);
  return idx
    .slice(0, Math.min(n, values.length))
    .sort((a, b) => a - b)
    .join(',');
}

/** min(topN, number of values with |v| ≥ 5% of the largest |v|), at least 1. */
export function effectiveTopN(values: ArrayLike<number>, topN: number): number {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i]));
  let count = 0;
  for (let i = 0; i < values.length; i++) if (Math.abs(values[i]) >= 0.05 * max) count++;
  return Math.max(1, Math.min(topN, count));
}

/** Nonparametric bootstrap: multiplicity of each of `rows` rows in a resample of the same size. */
export function bootstrapCounts(rows: number, rand: () => number): Float64Array {
  const c = new Float64Array(rows);
  for (let i = 0; i < rows; i++) c[Math.floor(rand() * rows)]++;
  return c;
}

/**
 * Fraction of `refits` bootstrap refits whose top-n set equals the full fit's, per class; the
 * stability is the minimum over classes. `refit(counts)` returns per-class values.
 */
export function bootstrapStability(
  reference: ArrayLike<number>[],
  rows: number,
  refits: number,
  topN: number,
  rand: () => number,
  refit: (counts: Float64Array) => ArrayLike<number>[],
): { stability: number; perClass: number[] } {
  // Only segments that matter take part: a top-5 set padded with near-zero weights would be noise.
  const sizes = reference.map((v) => effectiveTopN(v, topN));
  const keys = reference.map((v, c) => topSetKey(v, sizes[c]));
  const agree = new Array<number>(reference.length).fill(0);
  for (let b = 0; b < refits; b++) {
    const values = refit(bootstrapCounts(rows, rand));
    values.forEach((v, c) => {
      if (topSetKey(v, sizes[c]) === keys[c]) agree[c]++;
    });
  }
  const perClass = agree.map((a) => a / refits);
  return { stability: Math.min(...perClass), perClass };
}

export const ADAPTIVE = { refits: 20, topN: 5, threshold: 0.95 } as const;
