// A study's comparison tables: agreement between two of its columns (model × method) on every image
// where both cells succeeded — IoU and Dice of the binarized masks, Pearson and Spearman of the maps,
// top-k pixel overlap — with mean, median and standard deviation per table. Each explanation's first
// explained class is compared. The maps are the stored raw maps (what a user downloads), and every
// value is stored with the binarizations that made it, keyed by the content of both maps, so a table
// is computed once and can be recomputed by anyone from the downloaded files.
import { createHash } from 'node:crypto';
import type { App } from '../app.js';
import { agreement, type Agreement } from '../engine/metrics/agreement.js';
import { checkBinarization, type Binarization } from '../engine/metrics/binarize.js';
import { agreementTables, type AgreementFact, type AgreementTable, type PairSpec } from '../engine/report/tables.js';
import { decodeNpy } from '../engine/render/raw.js';
import { EngineError } from '../engine/errors.js';
import type { Artifact } from '../generated/sqlite/client.js';
import { fromEngineError, InvalidArgumentError } from '../errors.js';
import { hasSegments, type FactCell, type StudyFacts } from './study-facts.js';

export interface ColumnRef {
  modelId: string;
  methodKey: string;
}

export interface ComparisonRequest {
  /** Default: every pair of the study's methods within each model. */
  pairs: { a: ColumnRef; b: ColumnRef }[] | null;
  /** Per method key; the others keep their default (study-facts.ts). */
  binarizations: { methodKey: string; binarization: Binarization }[];
  topPercent: number;
}

/** The comparisons a study's report shows: every pair of methods within each model, default
 *  binarizations, top 10 % pixel overlap (also what a finished study stores up front, study-finish.ts). */
export const REPORT_COMPARISONS: ComparisonRequest = { pairs: null, binarizations: [], topPercent: 10 };

export interface ComparisonTable extends AgreementTable {
  topPercent: number;
  /** The explanations compared on each row, in row order. */
  explanations: { a: string; b: string }[];
}

const canonical = (v: unknown): string => JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : 1))) : x));

function column(facts: StudyFacts, ref: ColumnRef, field: string): { model: number; method: number } {
  const model = facts.models.findIndex((m) => m.id === ref.modelId);
  if (model < 0) throw new InvalidArgumentError(`${field}.model`, 'this model is not in the study');
  const method = facts.methods.findIndex((m) => m.key === ref.methodKey);
  if (method < 0) throw new InvalidArgumentError(`${field}.methodKey`, `the study has no method "${ref.methodKey.slice(0, 40)}" (keys: ${facts.methods.map((m) => m.key).join(', ')})`);
  return { model, method };
}

export function resolvePairs(facts: StudyFacts, r: ComparisonRequest): { pairs: PairSpec[]; binarizations: Binarization[] } {
  const binarizations = facts.methods.map((m) => m.binarization);
  r.binarizations.forEach(({ methodKey, binarization }, i) => {
    const k = facts.methods.findIndex((m) => m.key === methodKey);
    if (k < 0) throw new InvalidArgumentError(`binarizations.${i}.methodKey`, `the study has no method "${methodKey.slice(0, 40)}"`);
    let b: Binarization;
    try {
      b = checkBinarization(binarization);
    } catch (e) {
      return fromEngineError(e, `binarizations.${i}.binarization`);
    }
    if (b.kind === 'LIME_FEATURES' && !hasSegments(facts.methods[k].method)) {
      throw new InvalidArgumentError(`binarizations.${i}.binarization`, `LIME_FEATURES needs superpixel weights; ${facts.methods[k].method} maps are per pixel (use THRESHOLD or TOP_PERCENT)`);
    }
    binarizations[k] = b;
  });
  let pairs: PairSpec[];
  if (r.pairs) {
    pairs = r.pairs.map((p, i) => ({ a: column(facts, p.a, `pairs.${i}.a`), b: column(facts, p.b, `pairs.${i}.b`) }));
    pairs.forEach((p, i) => {
      const [wa, wb] = [facts.models[p.a.model], facts.models[p.b.model]];
      if (wa.inputWidth !== wb.inputWidth || wa.inputHeight !== wb.inputHeight) {
        throw new InvalidArgumentError(`pairs.${i}`, `maps are compared at the models' input resolution: ${wa.name} reads ${wa.inputWidth}×${wa.inputHeight}, ${wb.name} ${wb.inputWidth}×${wb.inputHeight}`);
      }
    });
  } else {
    pairs = [];
    for (let m = 0; m < facts.models.length; m++) {
      for (let i = 0; i < facts.methods.length; i++) for (let j = i + 1; j < facts.methods.length; j++) pairs.push({ a: { model: m, method: i }, b: { model: m, method: j } });
    }
  }
  return { pairs, binarizations };
}

/** The raw map of the explanation's first class, and its segment labels when it has them. */
function mapFiles(cell: FactCell): { classIndex: number; map: Artifact; segments: Artifact | null } | null {
  const e = cell.explanation;
  if (!e || e.status !== 'SUCCEEDED') return null;
  const classIndex = (e.targetClasses as number[])[0];
  const map = cell.artifacts.find((a) => a.name === `raw-${classIndex}.npy`);
  if (map === undefined) return null;
  return { classIndex, map, segments: cell.artifacts.find((a) => a.name === 'raw-segments.npy') ?? null };
}

async function readMap(app: App, a: Artifact): Promise<Float32Array> {
  return decodeNpy(await app.blobs.read(a.storageKey)).data as Float32Array;
}

export async function studyComparisons(app: App, facts: StudyFacts, r: ComparisonRequest): Promise<ComparisonTable[]> {
  if (!Number.isFinite(r.topPercent) || r.topPercent <= 0 || r.topPercent > 100) throw new InvalidArgumentError('topPercent', `topPercent must be in (0, 100], got ${r.topPercent}`);
  const { pairs, binarizations } = resolvePairs(facts, r);
  const cellAt = new Map(facts.cells.map((c) => [`${c.image}:${c.model}:${c.method}`, c]));
  const facts_: AgreementFact[] = [];
  const compared = new Map<string, { a: string; b: string }>();
  const maps = new Map<string, Promise<Float32Array>>();
  const read = (a: Artifact) => {
    if (!maps.has(a.sha256)) maps.set(a.sha256, readMap(app, a));
    return maps.get(a.sha256)!;
  };
  for (const [p, pair] of pairs.entries()) {
    const [ba, bb] = [binarizations[pair.a.method], binarizations[pair.b.method]];
    for (let image = 0; image < facts.images.length; image++) {
      const ca = cellAt.get(`${image}:${pair.a.model}:${pair.a.method}`);
      const cb = cellAt.get(`${image}:${pair.b.model}:${pair.b.method}`);
      const fa = ca && mapFiles(ca);
      const fb = cb && mapFiles(cb);
      if (!fa || !fb) continue;
      const key = createHash('sha256')
        .update(canonical({ a: [fa.map.sha256, ba.kind === 'LIME_FEATURES' ? fa.segments?.sha256 : null, ba], b: [fb.map.sha256, bb.kind === 'LIME_FEATURES' ? fb.segments?.sha256 : null, bb], topPercent: r.topPercent }))
        .digest('hex');
      let stored = await app.prisma.agreement.findUnique({ where: { key } });
      if (!stored) {
        let value: Agreement;
        const segmentsOf = async (f: typeof fa, b: Binarization) => (b.kind === 'LIME_FEATURES' && f.segments ? Int32Array.from(await read(f.segments)) : undefined);
        try {
          value = agreement(
            { map: await read(fa.map), binarization: ba, segments: await segmentsOf(fa, ba) },
            { map: await read(fb.map), binarization: bb, segments: await segmentsOf(fb, bb) },
            r.topPercent,
          );
        } catch (e) {
          if (e instanceof RangeError) throw new InvalidArgumentError(`pairs.${p}`, e.message);
          if (e instanceof EngineError) return fromEngineError(e, `pairs.${p}`);
          throw e;
        }
        await app.prisma.agreement.upsert({
          where: { key },
          create: {
            key,
            explanationAId: ca!.explanation!.id,
            explanationBId: cb!.explanation!.id,
            classA: fa.classIndex,
            classB: fb.classIndex,
            binarizationA: ba as object,
            binarizationB: bb as object,
            ...value,
          },
          update: {},
        });
        // Read back: every later table reads the row, and the database may round a value's last digit.
        stored = await app.prisma.agreement.findUniqueOrThrow({ where: { key } });
      }
      const value: Agreement = { iou: stored.iou, dice: stored.dice, pearson: stored.pearson, spearman: stored.spearman, topKOverlap: stored.topKOverlap, topPercent: stored.topPercent };
      facts_.push({ pair: p, image, classA: fa.classIndex, classB: fb.classIndex, value });
      compared.set(`${p}:${image}`, { a: ca!.explanation!.id, b: cb!.explanation!.id });
    }
  }
  return agreementTables(pairs, facts_, binarizations).map((t, p) => ({
    ...t,
    topPercent: r.topPercent,
    explanations: t.rows.map((row) => compared.get(`${p}:${row.image}`)!),
  }));
}
