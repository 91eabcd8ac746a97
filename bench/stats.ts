export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

export const median = (xs: readonly number[]) => percentile(xs, 0.5);

export function report(title: string, rows: [string, number][]): void {
  console.log(`\n${title}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(44)} ${v.toFixed(2)}`);
}

/** Median ms of `reps` calls of `fn`, after one untimed warm-up call unless `warmUp` is false. */
export async function medianMs(reps: number, fn: () => Promise<unknown> | unknown, warmUp = true): Promise<number> {
  if (warmUp) await fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}
