// An independent reading of the documented agreement rules (README, "Study results"): own .npy reader,
// own masks, own statistics — none of the service's metric code — so a study's comparison tables can
// be recomputed from its downloaded raw maps and segments (the study-results test and bench study-done-when).
import assert from 'node:assert/strict';
import { unzipArchive } from '../../src/engine/report/index.js';

const EXPL = `id targetClasses artifacts { name url }`;
/** A study's comparison tables with what the recomputation needs. */
export const COMPARISONS = `query($id: ID!, $pairs: [StudyPairInput!], $binarizations: [MethodBinarizationInput!], $topPercent: Float) { study(id: $id) {
  comparisons(pairs: $pairs, binarizations: $binarizations, topPercent: $topPercent) {
    a { methodKey label model { id } binarization { kind numFeatures value percent } }
    b { methodKey label model { id } binarization { kind numFeatures value percent } }
    topPercent
    rows { image { id originalName } classA classB iou dice pearson spearman topKOverlap explanationA { ${EXPL} } explanationB { ${EXPL} } }
    summary { iou { n mean median sd } dice { n mean median sd } pearson { n mean median sd } }
  } } }`;

/** A little-endian float32 .npy (version 1), as the service writes raw maps. */
export function readNpy(buf: Buffer): { shape: number[]; data: Float64Array } {
  assert.equal(buf.subarray(1, 6).toString('latin1'), 'NUMPY');
  const len = buf.readUInt16LE(8);
  const header = buf.subarray(10, 10 + len).toString('latin1');
  assert.match(header, /'descr': '<f4'/);
  const shape = /\(([^)]*)\)/.exec(header)![1].split(',').filter((s) => s.trim()).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(10 + len + 4 * i);
  return { shape, data };
}

export type Bin = { kind: string; numFeatures: number | null; value: number | null; percent: number | null };

/** lime's get_image_and_mask(positive_only=True): the first k positive segments of local_exp (|weight| descending, ties by segment id). */
export function limeMask(map: Float64Array, segments: Float64Array, k: number): Uint8Array {
  const weight = new Map<number, number>();
  for (let p = 0; p < map.length; p++) {
    const w = weight.get(segments[p]);
    if (w === undefined) weight.set(segments[p], map[p]);
    else assert.equal(w, map[p], 'a LIME map is constant on each segment');
  }
  const ranked = [...weight.entries()].sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]) || a[0] - b[0]);
  const shown = new Set(ranked.filter(([, w]) => w > 0).slice(0, k).map(([s]) => s));
  return Uint8Array.from(segments, (s) => (shown.has(s) ? 1 : 0));
}

export function mask(map: Float64Array, b: Bin, segments: Float64Array | null): Uint8Array {
  if (b.kind === 'LIME_FEATURES') return limeMask(map, segments!, b.numFeatures!);
  if (b.kind === 'THRESHOLD') {
    const lo = Math.min(...map);
    const hi = Math.max(...map);
    return Uint8Array.from(map, (v) => ((hi > lo ? (v - lo) / (hi - lo) : 0) >= b.value! ? 1 : 0));
  }
  const k = Math.max(1, Math.round((b.percent! * map.length) / 100));
  const order = [...map.keys()].sort((i, j) => map[j] - map[i] || i - j);
  const m = new Uint8Array(map.length);
  for (const i of order.slice(0, k)) m[i] = 1;
  return m;
}

export function iouDice(a: Uint8Array, b: Uint8Array): [number, number] {
  let inter = 0;
  let union = 0;
  let sizes = 0;
  for (let i = 0; i < a.length; i++) {
    inter += a[i] & b[i];
    union += a[i] | b[i];
    sizes += a[i] + b[i];
  }
  return [union ? inter / union : 1, sizes ? (2 * inter) / sizes : 1];
}

export function pearson(a: Float64Array, b: Float64Array): number | null {
  const ma = a.reduce((s, v) => s + v, 0) / a.length;
  const mb = b.reduce((s, v) => s + v, 0) / b.length;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : null;
}

export function stats(xs: number[]): { n: number; mean: number | null; median: number | null; sd: number | null } {
  const n = xs.length;
  if (!n) return { n, mean: null, median: null, sd: null };
  const mean = xs.reduce((s, v) => s + v, 0) / n;
  const s = [...xs].sort((x, y) => x - y);
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { n, mean, median, sd: n > 1 ? Math.sqrt(xs.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : null };
}

export const close = (a: number | null, b: number | null, what: string) => {
  if (a === null || b === null) return assert.equal(a, b, what);
  assert.ok(Math.abs(a - b) <= 1e-9, `${what}: service ${a}, recomputed ${b}`);
};


/** The comparison tables as the API returns them (rows with both explanations' artifacts), each value
 *  recomputed from the raw maps and segments fetched by `download` and checked to 1e-9; returns the
 *  recomputed IoU mean of each table. */
export async function recomputeTables(tables: any[], download: (url: string) => Promise<Buffer>): Promise<(number | null)[]> {
  const means = [];
  for (const t of tables) {
    const rows = [];
    for (const r of t.rows) {
      const side = async (e: any, cls: number, b: Bin) => {
        assert.equal(cls, e.targetClasses[0], 'the first explained class is compared');
        const map = readNpy(await download(e.artifacts.find((a: any) => a.name === `raw-${cls}.npy`).url)).data;
        const seg = e.artifacts.find((a: any) => a.name === 'raw-segments.npy');
        const segments = seg ? readNpy(await download(seg.url)).data : null;
        return { map, mask: mask(map, b, segments) };
      };
      const a = await side(r.explanationA, r.classA, t.a.binarization);
      const b = await side(r.explanationB, r.classB, t.b.binarization);
      const [iou, dice] = iouDice(a.mask, b.mask);
      const rho = pearson(a.map, b.map);
      const where = `${t.a.label} vs ${t.b.label} on ${r.image.originalName}`;
      close(r.iou, iou, `IoU, ${where}`);
      close(r.dice, dice, `Dice, ${where}`);
      close(r.pearson, rho, `Pearson, ${where}`);
      rows.push({ iou, dice, pearson: rho });
    }
    for (const m of ['iou', 'dice', 'pearson'] as const) {
      const s = stats(rows.map((x) => x[m]).filter((v): v is number => v !== null));
      assert.equal(t.summary[m].n, s.n);
      for (const k of ['mean', 'median', 'sd'] as const) close(t.summary[m][k], s[k], `${m} ${k}, ${t.a.label} vs ${t.b.label}`);
    }
    means.push(stats(rows.map((x) => x.iou)).mean);
  }
  return means;
}

export interface ReportAgreement {
  /** One line per comparison table: its columns, model and the recomputed IoU mean. */
  tables: { label: string; modelId: string | null; rows: number; iouMean: number | null }[];
  /** Raw maps and segments read for the recomputation. */
  downloads: number;
}

/**
 * A finished study's report archive checked against the service's comparison tables (same IoU values
 * per row), and every table recomputed from the raw maps and segments that `download` reads (over
 * /files, or from a folder a client wrote them to), the archive's IoU means to 1e-9.
 */
export async function checkReportAgreement(
  gql: (query: string, variables: Record<string, unknown>) => Promise<any>,
  studyId: string,
  zip: Buffer,
  download: (url: string) => Promise<Buffer>,
): Promise<ReportAgreement> {
  const entries = new Map(unzipArchive(zip).map((f) => [f.name, f.bytes]));
  const agreement = JSON.parse(entries.get('tables/agreement.json')!.toString());
  const tables = (await gql(COMPARISONS, { id: studyId })).study.comparisons;
  let downloads = 0;
  const means = await recomputeTables(tables, (url) => (downloads++, download(url)));
  assert.equal(agreement.length, tables.length, 'the archive has every comparison table');
  const out: ReportAgreement['tables'] = [];
  for (const [i, t] of tables.entries()) {
    assert.deepEqual(agreement[i].rows.map((r: any) => r.iou), t.rows.map((r: any) => r.iou), "the archive's IoU table is the API's");
    close(agreement[i].summary.iou.mean, means[i], `the archive's IoU mean, ${t.a.label} vs ${t.b.label}`);
    out.push({ label: `${t.a.label} vs ${t.b.label}`, modelId: t.a.model?.id ?? null, rows: t.rows.length, iouMean: means[i] });
  }
  return { tables: out, downloads };
}
