// Correlation of two maps over the same pixel grid, in float64: Pearson on the values, Spearman on
// their average ranks (ties share the mean of the ranks they span, as scipy.stats.spearmanr).
import { argsort } from './order.ts';

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`maps differ in size: ${a.length} and ${b.length} values`);
  return a.length;
}

/** Pearson's r; null when either map is constant (the correlation is undefined). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  const n = checkSameLength(a, b);
  if (n === 0) return null;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i] - ma;
    const y = b[i] - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : null;
}

/** 1-based average ranks: values tied over sorted positions i..j each get (i + j) / 2 + 1. */
export function averageRanks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const order = argsort(v);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    const x = v[order[i]];
    let j = i;
    while (j + 1 < n && v[order[j + 1]] === x) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[order[k]] = avg;
    i = j + 1;
  }
  return r;
}

/** Spearman's ρ (Pearson of average ranks); null when either map is constant. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number | null {
  checkSameLength(a, b);
  return pearson(averageRanks(a), averageRanks(b));
}
