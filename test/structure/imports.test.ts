// The structure as drawn from the code: no import circle between files or layers, and every layer
// imports only the layers below it (scripts/imports.ts holds the rules; `npm run imports` prints them).
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { checkStructure, importGraph, problems } from '../../scripts/imports.ts';
import { repoRoot } from '../support/service.js';
import { tmpDir } from '../support/tmp.js';

function tree(files: Record<string, string>): string {
  const root = tmpDir('xai-imports-');
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

test('the checker sees circles through type-only and dynamic imports, and imports against the layers', () => {
  const root = tree({
    'src/engine/a.ts': "import type { B } from './b.ts';\nexport type A = B;\n",
    'src/engine/b.ts': "export type B = 1;\nexport const load = () => import('./a.js');\n",
    'src/engine/c.ts': "import { x } from '../services/s.js';\nexport const c = x;\n",
    'src/services/s.ts': "export const x = 1;\nimport type { c } from '../engine/c.ts';\n",
    'src/stray.ts': 'export {};\n',
  });
  const r = checkStructure(root, ['src']);
  assert.deepEqual(r.fileCircles, [
    ['src/engine/a.ts', 'src/engine/b.ts'],
    ['src/engine/c.ts', 'src/services/s.ts'],
  ]);
  assert.deepEqual(r.layerCircles, [['engine', 'services']]);
  assert.deepEqual(r.forbidden, ['src/engine/c.ts → src/services/s.ts (engine may not import services)']);
  assert.deepEqual(r.unlayered, ['src/stray.ts']);
});

test('the portal may import only the browser-safe engine modules, and they import nothing else', () => {
  const root = tree({
    'src/engine/errors.ts': "import { readFileSync } from 'node:fs';\nimport { x } from './other.ts';\nexport const e = [readFileSync, x];\n",
    'src/engine/other.ts': 'export const x = 1;\n',
    'client/portal/a.ts': "import { e } from '../../src/engine/errors.ts';\nimport { x } from '../../src/engine/other.ts';\nexport const a = [e, x];\n",
  });
  const r = checkStructure(root, ['src', 'client']);
  assert.deepEqual(r.browserUnsafe, ['src/engine/errors.ts → node:fs', 'src/engine/errors.ts → ./other.ts']);
  assert.deepEqual(r.forbidden, ['client/portal/a.ts → src/engine/other.ts (portal may not import engine)']);
});

test('src and client have no import circle and keep their layers', () => {
  const r = checkStructure(repoRoot);
  assert.ok(r.files > 100 && r.edges > 300, `read ${r.files} files, ${r.edges} imports`);
  assert.deepEqual(problems(r), []);
});

test('the engine imports nothing of the service around it', () => {
  const r = checkStructure(repoRoot);
  assert.deepEqual([...(r.layerGraph.get('engine') ?? [])], []);
});

test("the engine's relative imports name their .ts files (one suffix convention)", () => {
  const files = [...importGraph(repoRoot, ['src/engine']).keys()];
  assert.ok(files.length > 50, `${files.length} engine files`);
  const other = files.flatMap((f) =>
    ts.preProcessFile(readFileSync(path.join(repoRoot, f), 'utf8'), true, true)
      .importedFiles.map((r) => r.fileName)
      .filter((s) => s.startsWith('.') && !s.endsWith('.ts'))
      .map((s) => `${f}: ${s}`),
  );
  assert.deepEqual(other, []);
});
