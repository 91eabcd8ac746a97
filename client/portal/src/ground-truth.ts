// What the user types as an image's ground truth in the study form, read against the chosen models'
// class lists: a class index ("128"), a WordNet synset ("n02010272") or a label ("bittern"). Pure, so
// it is unit-tested without a browser. An empty field sends nothing: the service then reads an
// ImageNet-style synset from the file name itself (Image.fileNameSynset), as it does for the API.

export interface ClassEntry {
  index: number;
  label: string;
  synset?: string | null;
}

export interface LabelSet {
  model: string;
  labels: readonly ClassEntry[];
}

export interface Truth {
  synset: string | null;
  label: string | null;
}

export type TruthReading = { ok: true; truth: Truth | null } | { ok: false; error: string };

const SYNSET = /^n\d{8}$/i;
const INDEX = /^\d+$/;
/** As the service accepts (CreateStudyInput.groundTruth.label). */
export const MAX_LABEL = 200;

/** As the service compares classes: by synset when both have one, else by label (case-insensitive). */
const same = (a: Truth, b: Truth) => (a.synset && b.synset ? a.synset === b.synset : !a.synset && !b.synset && a.label?.toLowerCase() === b.label?.toLowerCase());
const entryTruth = (e: ClassEntry): Truth => ({ synset: e.synset ?? null, label: e.label });

/** The one class the matching entries of every model agree on, or why there is none. */
function agreed(what: string, found: { model: string; entry: ClassEntry }[]): TruthReading {
  const [first, ...rest] = found;
  const other = rest.find((f) => !same(entryTruth(f.entry), entryTruth(first.entry)));
  if (other) {
    const name = (t: Truth) => [t.synset, t.label].filter(Boolean).join(' ');
    return { ok: false, error: `${what} is ${name(entryTruth(first.entry))} in ${first.model} but ${name(entryTruth(other.entry))} in ${other.model}: type a synset or a label` };
  }
  return { ok: true, truth: entryTruth(first.entry) };
}

export function readGroundTruth(text: string, sets: readonly LabelSet[]): TruthReading {
  const t = text.trim();
  if (!t) return { ok: true, truth: null };
  if (INDEX.test(t)) {
    const index = Number(t);
    if (!sets.length) return { ok: false, error: 'a class index needs a model: select one, or type a synset or a label' };
    const found: { model: string; entry: ClassEntry }[] = [];
    for (const s of sets) {
      const entry = s.labels.find((l) => l.index === index);
      if (!entry) return { ok: false, error: `class ${index} is not a class of ${s.model} (it has ${s.labels.length})` };
      found.push({ model: s.model, entry });
    }
    return agreed(`class ${index}`, found);
  }
  if (SYNSET.test(t)) {
    const synset = t.toLowerCase();
    // The label too when a model names the synset (shown in the tables; the comparison is by synset).
    const label = sets.flatMap((s) => s.labels.filter((l) => l.synset === synset)).map((l) => l.label)[0] ?? null;
    return { ok: true, truth: { synset, label } };
  }
  if (t.length > MAX_LABEL) return { ok: false, error: `a label has at most ${MAX_LABEL} characters` };
  // A label a model knows takes that model's synset, so it matches by synset like the model's own classes.
  const found = sets.flatMap((s) => s.labels.filter((l) => l.label.toLowerCase() === t.toLowerCase()).map((entry) => ({ model: s.model, entry })));
  if (!found.length) return { ok: true, truth: { synset: null, label: t } };
  return agreed(`"${t}"`, found);
}

/** "n02010272 bittern", "bittern", "n02010272". */
export const truthText = (t: Truth) => [t.synset, t.label].filter(Boolean).join(' ');
