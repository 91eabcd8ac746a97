// The SDK's generated artifacts are current: client/schema.graphql equals the schema printed from
// src/schema (what `npm run schema` writes), client/sdk/graphql-env.d.ts equals what gql.tada generates
// from it (`npm run client:codegen`), and every SDK document is valid against the live schema.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Kind, lexicographicSortSchema, printSchema, validate, type DocumentNode, type GraphQLEnumType } from 'graphql';
import { schema } from '../../src/schema/index.js';
import * as operations from '../../client/sdk/operations.ts';
import { METHODS } from '../../client/cli/args.ts';
import { METHOD_LIST_PATH, methodListSource } from '../../scripts/method-list.ts';
import { repoRoot } from '../support/service.js';
import { tmpDir } from '../support/tmp.js';

const committedSdl = () => readFileSync(path.join(repoRoot, 'client/schema.graphql'), 'utf8');

test('client/schema.graphql is what `npm run schema` prints from src/schema', () => {
  const fresh = `${printSchema(lexicographicSortSchema(schema))}\n`;
  assert.ok(committedSdl() === fresh, 'client/schema.graphql is stale: run `npm run schema && npm run client:codegen` and commit both files');
});

test('client/sdk/methods.ts is what `npm run schema` derives from the engine\'s method registry', () => {
  const committed = readFileSync(path.join(repoRoot, METHOD_LIST_PATH), 'utf8');
  assert.ok(committed === methodListSource(), `${METHOD_LIST_PATH} is stale: run \`npm run schema\` and commit it`);
});

test('client/sdk/graphql-env.d.ts is what `gql.tada generate output` makes from client/schema.graphql', () => {
  const out = path.join(tmpDir('xai-codegen-'), 'graphql-env.d.ts');
  execFileSync(process.execPath, [path.join(repoRoot, 'node_modules/gql.tada/bin/cli.js'), 'generate', 'output', '-c', 'client/sdk/tsconfig.json', '-o', out], {
    cwd: repoRoot,
    stdio: 'pipe',
  });
  const committed = readFileSync(path.join(repoRoot, 'client/sdk/graphql-env.d.ts'), 'utf8');
  assert.ok(readFileSync(out, 'utf8') === committed, 'client/sdk/graphql-env.d.ts is stale: run `npm run client:codegen` and commit it');
});

test('every SDK operation is valid against the live schema', () => {
  const docs = Object.entries(operations).filter(
    (e): e is [string, DocumentNode] => typeof e[1] === 'object' && e[1] !== null && (e[1] as DocumentNode).kind === Kind.DOCUMENT,
  );
  const ops = docs.filter(([, d]) => d.definitions.some((x) => x.kind === Kind.OPERATION_DEFINITION));
  assert.ok(ops.length >= 13, `${ops.length} operations`);
  for (const [name, doc] of ops) {
    const errors = validate(schema, doc);
    assert.deepEqual(errors.map((e) => e.message), [], name);
  }
});

test('the CLI knows every explanation method of the schema', () => {
  const values = (schema.getType('ExplanationMethod') as GraphQLEnumType).getValues().map((v) => v.name);
  assert.deepEqual([...METHODS].sort(), values.sort());
});
