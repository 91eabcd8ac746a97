// Per-table summaries of per-image values: count, mean, median and sample standard deviation (n − 1).

export interface Summary {
  n: number;
  mean: number | null;
  median: number | null;
  /** Sample standard deviation (divides by n − 1); null below two values. */
  sd: number | null;
}

/** Missing values (null, NaN) are left out. */
export function summarize(values: readonly (number | null | undefined)[]): Summary {
  const xs = values.filter((v): v is number => typeof v === 'number' && !Number.isNaN(v));
  const n = xs.length;
  if (n === 0) return { n, mean: null, median: null, sd: null };
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / n;
  const sorted = Float64Array.from(xs).sort();
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  let ss = 0;
  for (const x of xs) ss += (x - mean) * (x - mean);
  return { n, mean, median, sd: n > 1 ? Math.sqrt(ss / (n - 1)) : null };
}
