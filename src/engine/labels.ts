// Class-label files in the formats people actually have lying around.
import { EngineError } from './errors.ts';
import type { ClassLabel } from './types.ts';

const SYNSET_LINE = /^(n\d{8})\s+(.+)$/;

function invalid(message: string, filename?: string): EngineError {
  return new EngineError('INVALID_LABELS', filename ? `${filename}: ${message}` : message);
}

/**
 * Accepts: ImageNet's imagenet_class_index.json ({"0": ["n01440764", "tench"], …}), a JSON array of
 * strings or of {index?, label, synset?}, or text with one label per line (optionally
 * synset-prefixed as in synset_words.txt: "n01440764 tench, Tinca tinca").
 */
export function parseLabels(text: string, filename?: string): ClassLabel[] {
  const body = text.replace(/^\uFEFF/, '');
  const trimmed = body.trim();
  if (trimmed === '') throw invalid('the label file is empty', filename);
  const looksJson = trimmed.startsWith('{') || trimmed.startsWith('[') || /\.json$/i.test(filename ?? '');
  const labels = looksJson ? parseJsonLabels(trimmed, filename) : parseTextLabels(body, filename);
  if (labels.length === 0) throw invalid('no labels found', filename);
  return labels;
}

function parseJsonLabels(text: string, filename?: string): ClassLabel[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw invalid(`not valid JSON (${(err as Error).message})`, filename);
  }
  if (Array.isArray(value)) return fromArray(value, filename);
  if (value !== null && typeof value === 'object') return fromIndexObject(value as Record<string, unknown>, filename);
  throw invalid('expected a JSON array or object of labels', filename);
}

/** {"0": ["n01440764","tench"] | "tench" | {label, synset?}, …} with keys exactly 0..n-1. */
function fromIndexObject(obj: Record<string, unknown>, filename?: string): ClassLabel[] {
  const keys = Object.keys(obj);
  const out = new Array<ClassLabel>(keys.length);
  for (const key of keys) {
    const index = Number(key);
    if (!/^\d+$/.test(key) || index >= keys.length || out[index]) {
      throw invalid(`keys must be the class indices 0..${keys.length - 1}, found "${key}"`, filename);
    }
    out[index] = entry(obj[key], index, filename);
  }
  return out;
}

function fromArray(items: unknown[], filename?: string): ClassLabel[] {
  const parsed = items.map((item, i) => entry(item, i, filename, true));
  const explicit = items.filter((it) => isRecord(it) && it.index !== undefined).length;
  if (explicit === 0) return parsed;
  if (explicit !== items.length) throw invalid('either every entry has an "index" or none does', filename);
  const out = new Array<ClassLabel>(items.length);
  for (const l of parsed) {
    if (l.index >= items.length || out[l.index]) {
      throw invalid(`indices must be unique and cover 0..${items.length - 1}, found ${l.index}`, filename);
    }
    out[l.index] = l;
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function entry(v: unknown, index: number, filename?: string, allowIndex = false): ClassLabel {
  if (typeof v === 'string') return make(index, v, null, filename);
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string') {
    return make(index, v[1], v[0], filename);
  }
  if (isRecord(v) && typeof v.label === 'string') {
    let i = index;
    if (allowIndex && v.index !== undefined) {
      if (!Number.isInteger(v.index) || (v.index as number) < 0) throw invalid(`invalid index ${JSON.stringify(v.index)}`, filename);
      i = v.index as number;
    }
    if (v.synset != null && typeof v.synset !== 'string') throw invalid(`entry ${index}: synset must be a string`, filename);
    return make(i, v.label, (v.synset as string | null | undefined) ?? null, filename);
  }
  throw invalid(`entry ${index} is not a label (expected a string, [synset, label] or {label, synset?})`, filename);
}

function make(index: number, label: string, synset: string | null, filename?: string): ClassLabel {
  const l = label.trim();
  if (l === '') throw invalid(`label ${index} is empty`, filename);
  return { index, label: l, synset: synset?.trim() || null };
}

function parseTextLabels(text: string, filename?: string): ClassLabel[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((line, i) => {
    if (line === '') throw invalid(`line ${i + 1} is empty`, filename);
    const m = SYNSET_LINE.exec(line);
    return m ? make(i, m[2], m[1], filename) : make(i, line, null, filename);
  });
}

/**
 * Labels stored in ONNX metadata_props: our own `xai.labels` (JSON array of ClassLabel), else the
 * common `labels` / `classes` keys (JSON, newline- or comma-separated). Null when none is present.
 */
export function labelsFromMetadata(metadata: Record<string, string>): ClassLabel[] | null {
  const own = metadata['xai.labels'];
  if (own !== undefined) return parseJsonLabels(own.trim(), 'model metadata xai.labels');
  for (const key of ['labels', 'classes']) {
    const raw = metadata[key]?.trim();
    if (!raw) continue;
    const source = `model metadata ${key}`;
    if (raw.startsWith('[') || raw.startsWith('{')) return parseJsonLabels(raw, source);
    if (raw.includes('\n')) return parseTextLabels(raw, source);
    return raw.split(',').map((l, i) => make(i, l, null, source));
  }
  return null;
}

export function checkLabelCount(labels: readonly ClassLabel[], numClasses: number): void {
  if (labels.length !== numClasses) {
    throw new EngineError(
      'LABELS_MISMATCH',
      `the model has ${numClasses} outputs but ${labels.length} labels were given`,
      { numClasses, labels: labels.length },
    );
  }
}

export function defaultLabels(n: number): ClassLabel[] {
  return Array.from({ length: n }, (_, index) => ({ index, label: `class ${index}`, synset: null }));
}
