// Command-line parsing for `npm run study`: pure functions, unit-tested without a service (see args.ts
// for the method names and the `K=V` parameter syntax they share with `npm run explain`).
import type { ExplanationMethod } from '../sdk/index.ts';
import { completeBlock } from '../../src/engine/method-defaults.ts';
import { commonOf, familyOf, int, parseMethod, parseOptions, parseParams, parseTarget, parseValue, UsageError, type Common } from './args.ts';

export const STUDY_USAGE = `usage:
  npm run study -- --name NAME --images DIR --models A[,B…] --methods M[,M…] [options]

  Runs every image of DIR × every model × every method as one study, shows its progress, waits for
  it and writes its report to --out.

  --name NAME           the study's name (required)
  --description TEXT    what it is for
  --images DIR          a folder of images (jpg, jpeg, png, webp, gif, tif, tiff, bmp; not recursive);
                        an ImageNet-style name (n02010272_1613.jpg) gives the image its ground truth
  --models A,B          model names as registered, NAME[:VERSION] (repeatable)
  --methods M,M         methods (repeatable), each METHOD[:K=V[:K=V…]], e.g.
                          GRAD_CAM,LIME:numFeatures=5,LIME:numFeatures=10,PARTITION_SHAP:maxEvals=500
                        method names as in npm run explain (grad-cam, lime, …); K=V as its --param
                        (the method's family by default; V is JSON when it parses); label=TEXT names
                        the column in the report; target=top2, target=3 or target=[3,7] picks the
                        classes it explains (default: the top-1 class); faithfulness=true (or faithfulness.steps=10,
                        faithfulness.fill=BLACK) asks for deletion/insertion curves of its cells;
                        the same method may appear with different parameters
  --seed N              the study's seed (default: the service's)
  --out DIR             where the report goes (default ./xai-studies/<study id>/)
  --no-cancel-on-interrupt   Ctrl-C quits immediately, exit 130, and leaves the study running on the
                        server (default: see Ctrl-C below)
  --url URL             service (default $XAI_URL or http://127.0.0.1:4000/graphql)
  --api-key KEY         API key (default $XAI_API_KEY)
  -h, --help

Ctrl-C: the first cancels the study on the server (its queued and running cells stop), waits until
  it is CANCELLED, writes what it has to --out and exits 1; a second Ctrl-C quits immediately with 130.

exit codes: 0 success, 1 the study failed or was cancelled, 2 bad usage or an API error,
  130 quit on Ctrl-C without waiting`;

export interface MethodSpec {
  method: ExplanationMethod;
  parameters: Record<string, Record<string, unknown>>;
  label?: string;
  /** TargetInput: the classes its cells explain. */
  target?: { classIndices: number[] } | { topK: number };
  /** EvaluationInput: faithfulness curves, the randomization check. */
  evaluation?: Record<string, Record<string, unknown>>;
}

const EVALUATIONS = new Set(['faithfulness', 'randomization']);

/** `faithfulness=true`, `faithfulness.steps=10`, `randomization.layers=2` into `{ faithfulness: {…}, … }`. */
function parseEvaluation(items: string[]): Record<string, Record<string, unknown>> | undefined {
  if (!items.length) return undefined;
  const out: Record<string, Record<string, unknown>> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    const [kind, ...path] = item.slice(0, eq).split('.');
    const block = (out[kind] ??= {});
    if (!path.length) {
      if (item.slice(eq + 1) !== 'true') throw new UsageError(`--methods: ${kind}= takes true (or set a field: ${kind}.steps=10)`);
      continue;
    }
    let o = block;
    for (const k of path.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
    o[path[path.length - 1]] = parseValue(item.slice(eq + 1));
  }
  return out;
}

export interface ModelRef {
  name: string;
  version?: string;
}

export type StudyCommand =
  | { kind: 'help' }
  | {
      kind: 'study';
      common: Common;
      name: string;
      description?: string;
      images: string;
      models: ModelRef[];
      methods: MethodSpec[];
      seed?: number;
      out?: string;
      cancelOnInterrupt: boolean;
    };

/** Splits on `sep` outside JSON brackets and quotes, so `masker={"kind":"BLUR","kernel":64}` stays whole. */
export function splitTopLevel(s: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth = Math.max(0, depth - 1);
    else if (c === sep && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts.map((p) => p.trim());
}

/** `LIME:numFeatures=5:label=lime 5` into `{ method: 'LIME', parameters: { lime: { numFeatures: 5 } }, label: 'lime 5' }`. */
export function parseMethodSpec(spec: string): MethodSpec {
  const [name, ...items] = splitTopLevel(spec, ':');
  if (!name) throw new UsageError(`--methods: empty method in "${spec}"`);
  const method = parseMethod(name);
  const labels = items.filter((i) => /^label=/.test(i));
  if (labels.length > 1) throw new UsageError(`--methods "${spec}": one label=… per method`);
  const label = labels[0]?.slice('label='.length).trim();
  if (labels.length && !label) throw new UsageError(`--methods "${spec}": label= needs a text`);
  const targets = items.filter((i) => /^target=/.test(i));
  if (targets.length > 1) throw new UsageError(`--methods "${spec}": one target=… per method`);
  // `target=[3,7]` in brackets: a bare comma would end the method.
  let target: MethodSpec['target'];
  if (targets.length) {
    const text = targets[0].slice('target='.length);
    try {
      target = parseTarget(text.replace(/^\[(.*)\]$/, '$1'));
    } catch {
      throw new UsageError(`--methods "${spec}": target= takes top2 (the two most probable classes), a class index (3) or indices in brackets ([3,7]), got "${text}"`);
    }
  }
  const isEvaluation = (i: string) => EVALUATIONS.has(i.split(/[.=]/)[0]);
  const parameters = parseParams(
    items.filter((i) => !/^(label|target)=/.test(i) && !isEvaluation(i)),
    method,
  );
  const evaluation = parseEvaluation(items.filter(isEvaluation));
  return { method, parameters, ...(label ? { label } : {}), ...(target ? { target } : {}), ...(evaluation ? { evaluation } : {}) };
}

/**
 * A stable text of a method and its parameters (object keys sorted), to find the same one listed
 * twice: its parameter block completed with the service's defaults (engine/method-defaults.ts), so
 * `LIME` and `LIME:numSamples=1000` are one, as they are one request to the service.
 */
function specKey(m: MethodSpec): string {
  const block = familyOf(m.method);
  let parameters: Record<string, unknown> = m.parameters;
  try {
    parameters = { ...m.parameters, [block]: completeBlock(block, m.parameters[block]) };
  } catch {
    // A value the service refuses (an unknown segmentation algorithm): compared as written.
  }
  const sorted = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
        )
      : v;
  return `${m.method} ${JSON.stringify(sorted(parameters))} ${JSON.stringify(sorted(m.target ?? null))} ${JSON.stringify(sorted(m.evaluation ?? {}))}`;
}

export function parseMethodList(lists: string[]): MethodSpec[] {
  const specs = lists.flatMap((l) => splitTopLevel(l, ',')).filter(Boolean).map(parseMethodSpec);
  if (!specs.length) throw new UsageError('--methods needs at least one method (e.g. --methods GRAD_CAM,LIME)');
  const seen = new Map<string, string>();
  const labels = new Set<string>();
  for (const [i, s] of specs.entries()) {
    const k = specKey(s);
    if (seen.has(k)) throw new UsageError(`--methods lists ${seen.get(k)} twice with the same parameters`);
    seen.set(k, s.label ?? `method ${i + 1} (${s.method})`);
    if (s.label && labels.has(s.label)) throw new UsageError(`--methods: label "${s.label}" is used twice`);
    if (s.label) labels.add(s.label);
  }
  return specs;
}

export function parseModelList(lists: string[]): ModelRef[] {
  const refs = lists.flatMap((l) => l.split(',')).map((x) => x.trim()).filter(Boolean);
  if (!refs.length) throw new UsageError('--models needs at least one model name (e.g. --models demo-shapes)');
  const out: ModelRef[] = [];
  for (const r of refs) {
    const [name, version, ...rest] = r.split(':');
    if (!name || rest.length) throw new UsageError(`--models takes NAME or NAME:VERSION, got "${r}"`);
    if (out.some((m) => m.name === name && m.version === (version || undefined))) throw new UsageError(`--models lists ${r} twice`);
    out.push({ name, ...(version ? { version } : {}) });
  }
  return out;
}

export function parseStudyCommand(argv: string[], env: Record<string, string | undefined> = {}): StudyCommand {
  const parsed = parseOptions(
    argv,
    {
      name: { type: 'string', short: 'n' },
      description: { type: 'string' },
      images: { type: 'string', short: 'i' },
      models: { type: 'string', short: 'm', multiple: true },
      methods: { type: 'string', multiple: true },
    },
    false,
  );
  const { values: v } = parsed;
  if (v.help) return { kind: 'help' };
  const name = v.name?.trim();
  if (!name) throw new UsageError('--name NAME is required');
  if (!v.images?.trim()) throw new UsageError('--images DIR is required (a folder of images)');
  if (!v.models?.length) throw new UsageError('--models NAME[,NAME…] is required');
  if (!v.methods?.length) throw new UsageError('--methods METHOD[,METHOD…] is required (e.g. --methods GRAD_CAM,LIME:numFeatures=5)');
  return {
    kind: 'study',
    common: commonOf(v, env),
    name,
    description: v.description,
    images: v.images,
    models: parseModelList(v.models),
    methods: parseMethodList(v.methods),
    seed: int('seed', v.seed),
    out: v.out,
    cancelOnInterrupt: !v['no-cancel-on-interrupt'],
  };
}
