// Writes the GraphQL schema as SDL, the SDK's method list derived from the engine's registry and,
// from that SDL, the SDK's gql.tada introspection types (client/sdk/graphql-env.d.ts): `npm run
// schema` is the one step after a registry or schema change (a new method reaches the SDK's types
// too, not only its list).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { printSchema, lexicographicSortSchema } from 'graphql';
import { schema } from '../src/schema/index.js';
import { METHOD_LIST_PATH, methodListSource } from './method-list.ts';

const out = process.argv[2] ?? 'client/schema.graphql';
writeFileSync(out, `${printSchema(lexicographicSortSchema(schema))}\n`);
console.log(`wrote ${out}`);
writeFileSync(METHOD_LIST_PATH, methodListSource());
console.log(`wrote ${METHOD_LIST_PATH}`);
// client/sdk/tsconfig.json reads client/schema.graphql: another output path leaves the types alone.
if (out === 'client/schema.graphql') {
  execFileSync(process.execPath, ['node_modules/gql.tada/bin/cli.js', 'generate', 'output', '-c', 'client/sdk/tsconfig.json'], { stdio: 'inherit' });
}
