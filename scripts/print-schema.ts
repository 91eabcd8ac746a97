// Writes the GraphQL schema as SDL (client code generation reads it): `npm run schema`.
import { writeFileSync } from 'node:fs';
import { printSchema, lexicographicSortSchema } from 'graphql';
import { schema } from '../src/schema/index.js';

const out = process.argv[2] ?? 'client/schema.graphql';
writeFileSync(out, `${printSchema(lexicographicSortSchema(schema))}\n`);
console.log(`wrote ${out}`);
