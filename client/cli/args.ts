// Command-line parsing for `npm run explain`: pure functions, so they are unit-tested without a service.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXPLANATION_METHODS, type ExplanationMethod, type ExplanationMethodInfo } from '../sdk/index.ts';

type ParseArgsOptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** The method list comes from the SDK's copy generated from the engine's registry. */
export const METHODS: readonly ExplanationMethod[] = EXPLANATION_METHODS.map((m) => m.method);
/** grad-cam++, smooth-grad, …: how methods are written on the command line. */
const cliName = (m: ExplanationMethod) => m.toLowerCase().replace(/_plus_plus/, '++').replace(/_/g, '-');

/** The names, wrapped to the usage text's column. */
function methodChoices(indent: string, width = 110): string {
  const lines: string[] = [];
  let line = '';
  for (const name of METHODS.map(cliName)) {
    const next = line ? `${line}, ${name}` : name;
    if (indent.length + next.length + 1 > width && line) {
      lines.push(`${line},`);
      line = name;
    } else line = next;
  }
  lines.push(line);
  return lines.join(`\n${indent}`);
}

export const USAGE = `usage:
  npm run explain -- IMAGE --model NAME --method METHOD [options]   explain one image
  npm run explain -- predict IMAGE --model NAME [--top-k K]          top predictions only
  npm run explain -- models                                           list registered models

explain options:
  --method M            ${methodChoices(' '.repeat(24))}
                        (case and - / _ do not matter)
  --param K=V           method parameter, repeatable: lime.numSamples=500, lime.segmentation.algorithm=SLIC,
                        or without the family (numSamples=500); V is JSON when it parses, else a string
  --target N[,N…]|topK  class indices to explain, or top2 for the two most probable (default: top-1)
  --seed N, --priority N, --force
  --study ID            file the explanation under a study (its global id; filters, dashboard feed)
  --out DIR             where to save the artifacts (default ./xai-results/<explanation id>/)
  --no-cancel-on-interrupt   leave the job running on Ctrl-C (also --cancel-on-interrupt=false;
                        default: Ctrl-C cancels the job)

common options:
  --model NAME[:VERSION]  model name as registered (modelByName)
  --url URL             service (default $XAI_URL or http://127.0.0.1:4000/graphql)
  --api-key KEY         API key (default $XAI_API_KEY)
  --top-k K             predictions to print (default 5)
  -h, --help

exit codes: 0 success, 1 the job failed or was cancelled, 2 bad usage or an API error`;

export class UsageError extends Error {}

/** Parameter family (ExplanationParametersInput field) of each method. */
export function familyOf(method: ExplanationMethod): ExplanationMethodInfo['parameters'] {
  return EXPLANATION_METHODS.find((m) => m.method === method)!.parameters;
}
const FAMILIES = new Set<string>(EXPLANATION_METHODS.map((m) => m.parameters));

export function parseMethod(s: string): ExplanationMethod {
  const m = s.trim().toUpperCase().replace(/\+\+/g, '_PLUS_PLUS').replace(/[-\s.]+/g, '_');
  const found = METHODS.find((x) => x === m || x.replace(/_/g, '') === m.replace(/_/g, ''));
  if (!found) throw new UsageError(`unknown method "${s}"; one of: ${METHODS.map(cliName).join(', ')}`);
  return found;
}

export function parseValue(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** `lime.numSamples=500` … into `{ lime: { numSamples: 500 } }`; a path without family gets the method's. */
export function parseParams(items: string[], method: ExplanationMethod): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param needs KEY=VALUE, got "${item}"`);
    let keys = item.slice(0, eq).split('.').filter(Boolean);
    if (!FAMILIES.has(keys[0])) keys = [familyOf(method), ...keys];
    if (keys.length < 2) throw new UsageError(`--param "${item}": name a field, e.g. ${familyOf(method)}.batchSize=32`);
    let o: Record<string, unknown> = out;
    for (const k of keys.slice(0, -1)) {
      const next = (o[k] ??= {});
      if (typeof next !== 'object' || next === null || Array.isArray(next)) throw new UsageError(`--param "${item}" conflicts with an earlier value`);
      o = next as Record<string, unknown>;
    }
    o[keys[keys.length - 1]] = parseValue(item.slice(eq + 1));
  }
  return out;
}

export function parseTarget(s: string): { classIndices: number[] } | { topK: number } {
  const top = /^top[-:_]?(\d+)$/i.exec(s.trim());
  if (top) return { topK: Number(top[1]) };
  const parts = s.split(',').map((x) => x.trim());
  if (!parts.every((x) => /^\d+$/.test(x))) throw new UsageError(`--target takes class indices (3 or 3,7) or topK (top2), got "${s}"`);
  return { classIndices: parts.map(Number) };
}

export function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) throw new UsageError(`--${name} takes an integer, got "${v}"`);
  return Number(v);
}

export type Command =
  | { kind: 'help' }
  | { kind: 'models'; common: Common }
  | { kind: 'predict'; common: Common; image: string; model: string; version?: string; topK: number }
  | {
      kind: 'explain';
      common: Common;
      image: string;
      model: string;
      version?: string;
      topK: number;
      method: ExplanationMethod;
      parameters: Record<string, Record<string, unknown>>;
      target?: { classIndices: number[] } | { topK: number };
      seed?: number;
      priority?: number;
      study?: string;
      force: boolean;
      out?: string;
      cancelOnInterrupt: boolean;
    };

export interface Common {
  url: string;
  apiKey?: string;
}

/** `--url` and `--api-key`, falling back to $XAI_URL and $XAI_API_KEY. */
export function commonOf(v: { url?: string; 'api-key'?: string }, env: Record<string, string | undefined>): Common {
  return { url: v.url ?? env.XAI_URL ?? 'http://127.0.0.1:4000/graphql', apiKey: v['api-key'] ?? (env.XAI_API_KEY || undefined) };
}

/** Options both commands take: the seed, where to write, the service and its key, what Ctrl-C does. */
const SHARED_OPTIONS = {
  seed: { type: 'string' },
  out: { type: 'string', short: 'o' },
  url: { type: 'string' },
  'api-key': { type: 'string' },
  'cancel-on-interrupt': { type: 'boolean' },
  'no-cancel-on-interrupt': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

type ParsedOptions<O extends ParseArgsOptionsConfig> = ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: boolean; strict: true; options: O & typeof SHARED_OPTIONS }>>;

/**
 * Strict parseArgs with a command's own options and the shared ones; `--cancel-on-interrupt=false|true`
 * are accepted as spellings of the boolean pair, and whatever parseArgs refuses is a UsageError.
 */
export function parseOptions<const O extends ParseArgsOptionsConfig>(argv: string[], options: O, allowPositionals: boolean): ParsedOptions<O> {
  try {
    return parseArgs({
      args: argv.map((a) => (a === '--cancel-on-interrupt=false' ? '--no-cancel-on-interrupt' : a === '--cancel-on-interrupt=true' ? '--cancel-on-interrupt' : a)),
      allowPositionals,
      strict: true,
      options: { ...options, ...SHARED_OPTIONS },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function parseCommand(argv: string[], env: Record<string, string | undefined> = {}): Command {
  const parsed = parseOptions(
    argv,
    {
      model: { type: 'string', short: 'm' },
      method: { type: 'string' },
      param: { type: 'string', short: 'p', multiple: true },
      target: { type: 'string', short: 't' },
      priority: { type: 'string' },
      study: { type: 'string' },
      force: { type: 'boolean' },
      'top-k': { type: 'string' },
    },
    true,
  );
  const { values: v, positionals } = parsed;
  if (v.help) return { kind: 'help' };
  const common = commonOf(v, env);
  const topK = int('top-k', v['top-k']) ?? 5;
  const [first, ...rest] = positionals;
  const modelArg = () => {
    if (!v.model) throw new UsageError('--model NAME is required');
    const [model, version] = v.model.split(':');
    return { model, version: version || undefined };
  };
  const oneImage = (ps: string[]) => {
    if (ps.length !== 1) throw new UsageError(ps.length ? `one image at a time, got ${ps.join(' ')}` : 'IMAGE is required');
    return ps[0];
  };

  if (first === 'models') {
    if (rest.length) throw new UsageError(`models takes no arguments, got ${rest.join(' ')}`);
    return { kind: 'models', common };
  }
  if (first === 'predict') return { kind: 'predict', common, image: oneImage(rest), ...modelArg(), topK };
  if (first === 'explain') positionals.shift();

  const image = oneImage(positionals);
  if (!v.method) throw new UsageError('--method METHOD is required (e.g. --method lime)');
  const method = parseMethod(v.method);
  return {
    kind: 'explain',
    common,
    image,
    ...modelArg(),
    topK,
    method,
    parameters: parseParams(v.param ?? [], method),
    target: v.target === undefined ? undefined : parseTarget(v.target),
    seed: int('seed', v.seed),
    priority: int('priority', v.priority),
    study: v.study,
    force: v.force ?? false,
    out: v.out,
    cancelOnInterrupt: !v['no-cancel-on-interrupt'],
  };
}
