// Writes the GraphQL schema as SDL (client code generation reads it) and the SDK's method list
// derived from the engine's registry: `npm run schema`.
import { writeFileSync } from 'node:fs';
import { printSchema, lexicographicSortSchema } from 'graphql';
import { schema } from '../src/schema/index.js';
import { METHOD_LIST_PATH, methodListSource } from './method-list.ts';

const out = process.argv[2] ?? 'client/schema.graphql';
writeFileSync(out, `${printSchema(lexicographicSortSchema(schema))}\n`);
console.log(`wrote ${out}`);
writeFileSync(METHOD_LIST_PATH, methodListSource());
console.log(`wrote ${METHOD_LIST_PATH}`);
