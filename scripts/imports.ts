// The import graph as the code draws it, and the structure rules it must keep: no circle between
// files, and layers that only point down. `npm run imports` prints the layer graph and any problem;
// test/structure/imports.test.ts fails on one.
//
// Every import counts: static, `export … from`, `import type` and dynamic `import()`; a type-only
// import ties two modules together just as much for a reader (and for the next refactor).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export type Graph = Map<string, Set<string>>;

const SOURCE = /\.(ts|tsx|mts)$/;

function listSources(root: string, dir: string): string[] {
  const full = path.join(root, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full).flatMap((name) => {
    const rel = path.posix.join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === 'generated') return [];
    if (statSync(path.join(root, rel)).isDirectory()) return listSources(root, rel);
    return SOURCE.test(name) && !name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** A relative specifier to the repository path it names (`./x.js` is `./x.ts` under tsx and tsc). */
function resolve(root: string, from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  const stem = base.replace(/\.(m?js|tsx?)$/, '');
  for (const candidate of [base, `${stem}.ts`, `${stem}.tsx`, `${stem}/index.ts`]) {
    if (SOURCE.test(candidate) && existsSync(path.join(root, candidate))) return candidate;
  }
  return null;
}

/** Files under `dirs` (repository-relative) and the repository files each one imports. */
export function importGraph(root: string, dirs: readonly string[]): Graph {
  const graph: Graph = new Map();
  for (const file of dirs.flatMap((d) => listSources(root, d))) {
    const info = ts.preProcessFile(readFileSync(path.join(root, file), 'utf8'), true, true);
    const targets = new Set<string>();
    for (const ref of info.importedFiles) {
      const target = resolve(root, file, ref.fileName);
      if (target) targets.add(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** Strongly connected components with more than one member, or a file importing itself (Tarjan). */
export function circles(graph: Graph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || graph.get(v)?.has(v)) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/**
 * The layers, top to bottom, and what each may import besides itself. Requests flow down: the
 * GraphQL schema and the job runners drive the services; services reach the queue only through
 * the `JobQueue` slot of the App container; the engine is a plain library.
 */
export const LAYERS: { name: string; files: RegExp; mayImport: string[] }[] = [
  { name: 'entry', files: /^src\/(main|worker-main)\.ts$/, mayImport: ['server', 'schema', 'jobs', 'services', 'app', 'http', 'base', 'db', 'storage', 'engine'] },
  { name: 'server', files: /^src\/server\.ts$/, mayImport: ['schema', 'services', 'app', 'http', 'base', 'engine'] },
  { name: 'schema', files: /^src\/schema\//, mayImport: ['resolvers', 'services', 'app', 'http', 'base', 'engine'] },
  { name: 'resolvers', files: /^src\/resolvers\//, mayImport: ['services', 'app', 'base', 'engine'] },
  { name: 'http', files: /^src\/http\//, mayImport: ['services', 'app', 'base', 'storage', 'engine'] },
  { name: 'jobs', files: /^src\/jobs\//, mayImport: ['services', 'app', 'base', 'db', 'storage', 'engine'] },
  { name: 'services', files: /^src\/services\//, mayImport: ['app', 'base', 'db', 'storage', 'engine'] },
  { name: 'app', files: /^src\/(app|context|events|redis|process|job-queue)\.ts$/, mayImport: ['base', 'db', 'storage', 'engine'] },
  { name: 'storage', files: /^src\/storage\//, mayImport: ['base'] },
  { name: 'db', files: /^src\/db\//, mayImport: ['base'] },
  { name: 'base', files: /^src\/(config|errors|auth|uploads)\.ts$/, mayImport: ['engine'] },
  { name: 'engine', files: /^src\/engine\//, mayImport: [] },
  // Clients talk to the service over HTTP only; the CLI is built on the SDK, the portal on both (and
  // both on the BROWSER_SAFE engine modules).
  { name: 'portal', files: /^client\/portal\//, mayImport: ['sdk'] },
  { name: 'cli', files: /^client\/cli\//, mayImport: ['sdk'] },
  { name: 'sdk', files: /^client\/sdk\//, mayImport: [] },
];

/**
 * Engine modules the clients import so that they compute what the service computes from one source
 * (the LIME views of a stored result and the result's uncertainty records in the portal, the synset in
 * a file name in the study CLI, the methods' parameter defaults in both). Pure TypeScript: they import no package, no Node built-in, and no
 * engine module outside this list.
 */
export const BROWSER_SAFE = /^src\/engine\/(errors|segment\/boundaries|render\/lime-selection|perturb\/uncertainty-records|file-name-synset|method-defaults)\.ts$/;
const CLIENTS = new Set(['portal', 'cli']);

export function layerOf(file: string): string | null {
  return LAYERS.find((l) => l.files.test(file))?.name ?? null;
}

export interface StructureReport {
  files: number;
  edges: number;
  /** Files that import each other, directly or around a loop. */
  fileCircles: string[][];
  /** Layers that import each other (the layer graph collapsed from the file graph). */
  layerCircles: string[][];
  /** Imports a layer may not make, as "from → to". */
  forbidden: string[];
  /** Files in none of the layers. */
  unlayered: string[];
  /** Imports of a BROWSER_SAFE module that would take more than itself into the browser. */
  browserUnsafe: string[];
  /** layer → layers it imports. */
  layerGraph: Graph;
}

export const CHECKED_DIRS = ['src', 'client'] as const;

export function checkStructure(root: string, dirs: readonly string[] = CHECKED_DIRS): StructureReport {
  const graph = importGraph(root, dirs);
  const layerGraph: Graph = new Map();
  const forbidden: string[] = [];
  const unlayered: string[] = [];
  let edges = 0;
  for (const [from, targets] of graph) {
    const a = layerOf(from);
    if (!a) {
      unlayered.push(from);
      continue;
    }
    if (!layerGraph.has(a)) layerGraph.set(a, new Set());
    const allowed = LAYERS.find((l) => l.name === a)!.mayImport;
    for (const to of targets) {
      edges++;
      const b = layerOf(to);
      if (!b || b === a) continue;
      layerGraph.get(a)!.add(b);
      if (!allowed.includes(b) && !(CLIENTS.has(a) && BROWSER_SAFE.test(to))) forbidden.push(`${from} → ${to} (${a} may not import ${b})`);
    }
  }
  const browserUnsafe = [...graph.keys()]
    .filter((f) => BROWSER_SAFE.test(f))
    .flatMap((f) =>
      ts.preProcessFile(readFileSync(path.join(root, f), 'utf8'), true, true)
        .importedFiles.filter((ref) => {
          const target = resolve(root, f, ref.fileName);
          return target === null || !BROWSER_SAFE.test(target);
        })
        .map((ref) => `${f} → ${ref.fileName}`),
    );
  return { files: graph.size, edges, fileCircles: circles(graph), layerCircles: circles(layerGraph), forbidden, unlayered, browserUnsafe, layerGraph };
}

export function problems(r: StructureReport): string[] {
  return [
    ...r.fileCircles.map((c) => `import circle between files: ${c.join(', ')}`),
    ...r.layerCircles.map((c) => `import circle between layers: ${c.join(', ')}`),
    ...r.forbidden.map((f) => `layer rule broken: ${f}`),
    ...r.unlayered.map((f) => `file in no layer (add it to LAYERS in scripts/imports.ts): ${f}`),
    ...r.browserUnsafe.map((f) => `browser-safe module imports beyond BROWSER_SAFE: ${f}`),
  ];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const r = checkStructure(root);
  console.log(`${r.files} files, ${r.edges} imports`);
  for (const l of LAYERS) console.log(`  ${l.name.padEnd(9)} → ${[...(r.layerGraph.get(l.name) ?? [])].sort().join(', ') || '(nothing)'}`);
  const found = problems(r);
  for (const p of found) console.log(p);
  if (found.length) process.exit(1);
  console.log('no import circles; every layer imports only what it may');
}
